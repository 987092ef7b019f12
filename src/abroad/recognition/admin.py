"""The office manages grading scales, grading tables and conversion rules in the admin (each
validated by the model's clean(): a scale that does not parse, a table that does not sum to 100,
a rule that cannot build its conversion are refused with the reason). Transcripts and their
recognition change only through the services."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from abroad.core.admin import AuditedModelAdmin
from abroad.recognition.models import ConversionRule, GradingScale, GradingTable


@admin.register(GradingScale)
class GradingScaleAdmin(AuditedModelAdmin):
    list_display = ("name", "code", "country", "standard", "description")
    list_filter = ("standard",)
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}

    @admin.display(description=_("grades"))
    def description(self, obj: GradingScale) -> str:
        try:
            return obj.scale().describe()
        except ValueError as error:
            return str(error)


@admin.register(GradingTable)
class GradingTableAdmin(AuditedModelAdmin):
    list_display = ("institution", "scale", "isced_code", "cycle", "years_display", "source")
    list_filter = ("cycle", "scale")
    search_fields = ("institution__name", "isced_code", "source")
    autocomplete_fields = ("institution",)
    list_select_related = ("institution", "scale")

    @admin.display(description=_("academic years"))
    def years_display(self, obj: GradingTable) -> str:
        return f"{obj.years[0]}-{obj.years[-1]}"


@admin.register(ConversionRule)
class ConversionRuleAdmin(AuditedModelAdmin):
    list_display = (
        "name",
        "method",
        "host_scale",
        "home_scale",
        "school",
        "course_of_study",
        "partner",
    )
    list_filter = ("method", "host_scale", "school")
    search_fields = ("name", "partner__name", "course_of_study__name", "course_of_study__code")
    autocomplete_fields = ("school", "course_of_study", "partner", "host_table", "home_table")
    list_select_related = ("host_scale", "home_scale", "school", "course_of_study", "partner")
