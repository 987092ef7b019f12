"""The admin of the selection, read-only: calls (created and changed on the office's pages,
/calls/office/, whose services check every rule), their rounds and the applications (a
student changes their application on the site; the office ranks and allocates on the office
pages). Two actions call the services: fill the offers, rank."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from abroad.core.admin import AuditedModelAdmin
from abroad.core.enums import DegreeLevel
from abroad.selection import services
from abroad.selection.models import (
    Application,
    Assignment,
    Call,
    CommissionScore,
    Preference,
    Round,
)
from abroad.selection.queries import office_calls_q


class RoundInline(admin.TabularInline[Round, Call]):
    model = Round
    extra = 0
    fields = ("number", "acceptance_deadline", "state", "run_at", "published_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Call)
class CallAdmin(AuditedModelAdmin):
    """Read-only: a call is created and changed on the office's pages (/calls/office/), whose
    services check the window, the frozen rules and which offers may belong to the call. A
    call's offers (2,000 and more) are never an inline here: the page shows how many there
    are and links to the office's editor."""

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
    inlines = (RoundInline,)
    actions = ("fill_offers", "rank")
    fieldsets = (
        (None, {"fields": ("code", "title", "schools", "academic_year", "number", "editor")}),
        (_("Applications"), {"fields": ("opens_at", "closes_at", "max_preferences")}),
        (_("Offers"), {"fields": ("programme_labels", "mobility_type_labels", "offer_count")}),
        (
            _("Eligibility"),
            {
                "fields": (
                    "level_labels",
                    "require_first_year_completed",
                    "min_credits",
                    "min_average",
                    "months_per_cycle",
                    "months_single_cycle",
                )
            },
        ),
        (_("Ranking"), {"fields": ("formula",)}),
    )
    readonly_fields = (
        "code",
        "title",
        "schools",
        "academic_year",
        "number",
        "editor",
        "opens_at",
        "closes_at",
        "max_preferences",
        "programme_labels",
        "mobility_type_labels",
        "offer_count",
        "level_labels",
        "require_first_year_completed",
        "min_credits",
        "min_average",
        "months_per_cycle",
        "months_single_cycle",
        "formula",
    )

    def get_queryset(self, request: HttpRequest) -> Any:
        # a School-scoped office user reads their School's calls only
        return super().get_queryset(request).filter(office_calls_q(request.user, ""))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("change"))
    def editor(self, call: Call) -> str:
        url = reverse("selection:office_call_edit", kwargs={"code": call.code})
        return format_html('<a href="{}">{}</a>', url, gettext("Edit on the office's page"))

    @admin.display(description=_("programmes"))
    def programme_labels(self, call: Call) -> str:
        return call.programme_labels

    @admin.display(description=_("mobility types"))
    def mobility_type_labels(self, call: Call) -> str:
        return call.mobility_type_labels

    @admin.display(description=_("degree levels admitted"))
    def level_labels(self, call: Call) -> str:
        names = dict(DegreeLevel.choices)
        return ", ".join(str(names.get(level, level)) for level in call.levels) or gettext(
            "every level"
        )

    @admin.display(description=_("offers in the call"))
    def offer_count(self, call: Call) -> str:
        url = reverse("selection:office_call_offers", kwargs={"code": call.code})
        return format_html(
            '{} · <a href="{}">{}</a>', call.call_offers.count(), url, gettext("Choose the offers")
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

    def get_queryset(self, request: HttpRequest) -> Any:
        # a School-scoped office user reads their School's calls only
        return super().get_queryset(request).filter(office_calls_q(request.user, "call__"))

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

    def get_queryset(self, request: HttpRequest) -> Any:
        # a School-scoped office user reads their School's calls only
        return super().get_queryset(request).filter(office_calls_q(request.user, "round__call__"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
