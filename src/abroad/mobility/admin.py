from django.contrib import admin

from abroad.core.admin import AuditedModelAdmin
from abroad.mobility.models import Mobility


@admin.register(Mobility)
class MobilityAdmin(AuditedModelAdmin):
    list_display = ("student", "host", "academic_year", "kind", "state", "months", "origin")
    list_filter = ("state", "kind", "academic_year")
    search_fields = ("student__last_name", "student__student_number", "host__name")
    autocomplete_fields = ("student", "host")
    raw_id_fields = ("offer",)
    list_select_related = ("student", "host")
