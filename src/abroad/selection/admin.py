"""The admin of the selection: calls with their offers and rounds, and the applications,
read-mostly (a student changes their application on the site; the office ranks and allocates
on the office pages, /calls/office/, where every step goes through the services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from abroad.core import audit
from abroad.core.admin import AuditedModelAdmin
from abroad.selection import services
from abroad.selection.models import (
    Application,
    Assignment,
    Call,
    CallOffer,
    CommissionScore,
    Preference,
    Round,
)


class CallOfferInline(admin.TabularInline[CallOffer, Call]):
    model = CallOffer
    extra = 0
    raw_id_fields = ("offer",)
    fields = ("offer", "seats")


class RoundInline(admin.TabularInline[Round, Call]):
    model = Round
    extra = 0
    fields = ("number", "acceptance_deadline", "state", "run_at", "published_at")
    readonly_fields = ("state", "run_at", "published_at")
    show_change_link = False


@admin.register(Call)
class CallAdmin(AuditedModelAdmin):
    list_display = (
        "title",
        "code",
        "academic_year",
        "number",
        "opens_at",
        "closes_at",
        "formula",
        "office_page",
    )
    list_filter = ("academic_year", "number", "formula", "schools")
    search_fields = ("code", "title")
    filter_horizontal = ("schools",)
    prepopulated_fields = {"code": ("title",)}
    inlines = (CallOfferInline, RoundInline)
    actions = ("fill_offers", "rank")
    fieldsets = (
        (None, {"fields": ("code", "title", "schools", "academic_year", "number")}),
        (_("Applications"), {"fields": ("opens_at", "closes_at", "max_preferences")}),
        (
            _("Eligibility"),
            {
                "fields": (
                    "levels",
                    "require_first_year_completed",
                    "min_credits",
                    "min_average",
                    "months_per_cycle",
                    "months_single_cycle",
                    "programmes",
                )
            },
        ),
        (_("Ranking"), {"fields": ("formula",)}),
    )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """The inlines' offers and rounds are audited like the call itself."""
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            self._audit(request, obj, "created")
        for obj, fields in formset.changed_objects:
            self._audit(request, obj, "changed", fields=sorted(fields))
        for obj in formset.deleted_objects:
            self._audit(request, obj, "deleted")

    def _audit(self, request: HttpRequest, obj: Any, what: str, **data: Any) -> None:
        audit.record(
            actor=request.user,
            action=f"{obj._meta.model_name}.{what}",
            obj=obj,
            via="admin",
            **data,
        )

    @admin.display(description=_("office page"))
    def office_page(self, call: Call) -> str:
        url = reverse("selection:office_call", kwargs={"code": call.code})
        return format_html('<a href="{}">{}</a>', url, gettext("Open"))

    @admin.action(description=_("Fill the offers of the selected calls"))
    def fill_offers(self, request: HttpRequest, queryset: QuerySet[Call]) -> None:
        for call in queryset:
            added = services.fill_call_offers(call=call, actor=request.user)
            self.message_user(
                request,
                gettext("%(call)s: %(added)d offers added.") % {"call": call, "added": added},
                messages.SUCCESS,
            )

    @admin.action(description=_("Rank the applications of the selected calls"))
    def rank(self, request: HttpRequest, queryset: QuerySet[Call]) -> None:
        for call in queryset:
            try:
                ranked = services.rank_call(call=call, actor=request.user)
            except services.SelectionError as error:
                self.message_user(request, f"{call}: {error}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("%(call)s: %(ranked)d applications ranked.")
                    % {"call": call, "ranked": ranked},
                    messages.SUCCESS,
                )


class ReadOnlyInline(admin.TabularInline[Any, Any]):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PreferenceInline(ReadOnlyInline):
    model = Preference
    fields = ("rank", "call_offer")
    readonly_fields = ("rank", "call_offer")


class CommissionScoreInline(ReadOnlyInline):
    model = CommissionScore
    fields = ("portfolio", "languages_motivation_cv", "interview", "entered_by", "updated_at")
    readonly_fields = fields


class AssignmentInline(ReadOnlyInline):
    model = Assignment
    fk_name = "application"
    fields = ("round", "call_offer", "choice", "state", "decided_at")
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(AuditedModelAdmin):
    """Read-mostly: what the student submitted and what the ranking froze. Changes go through
    the site (the student) and the office pages (ranking, rounds)."""

    list_display = ("student", "call", "state", "submitted_at", "rank", "score", "eligible")
    list_filter = ("call", "state", "eligible")
    search_fields = (
        "student__username",
        "student__first_name",
        "student__last_name",
        "student__student_number",
        "call__code",
    )
    list_select_related = ("student", "call")
    readonly_fields = (
        "call",
        "student",
        "state",
        "submitted_at",
        "score",
        "score_details",
        "rank",
        "eligible",
        "eligibility_notes",
        "updated_at",
    )
    inlines = (PreferenceInline, CommissionScoreInline, AssignmentInline)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Assignment)
class AssignmentAdmin(AuditedModelAdmin):
    """What each round gave each application: read-only (the services write it)."""

    list_display = ("application", "round", "call_offer", "choice", "state", "decided_at")
    list_filter = ("round__call", "round__number", "state")
    search_fields = (
        "application__student__last_name",
        "application__student__student_number",
    )
    list_select_related = (
        "application__student",
        "application__call",
        "round__call",
        "call_offer__offer__agreement__partner",
    )
    readonly_fields = (
        "round",
        "application",
        "call_offer",
        "choice",
        "explanation",
        "state",
        "decided_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
