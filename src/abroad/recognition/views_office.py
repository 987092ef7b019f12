"""The recognition pages that are not one mobility's: the conversion rules by scope (office and
promoters), the grading tables with their charts and the upload that builds a home table from
past grades (office), the registrar's export of validated recognitions (office) and the
promoter's "to validate" desk.

Who (``recognition/rules.py``, through ``core.permissions.office_page``): the rules page is for
the office and the promoters; the grading tables and the export for the office; the desk for
the promoters (what they approve) and the office (everything, read only). Anybody else gets a
404, as if the page did not exist; an anonymous visitor is sent to log in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from abroad.catalogue.models import Promoter
from abroad.core import jobs
from abroad.core.academic_year import format_year
from abroad.core.permissions import can, office_page
from abroad.mobility.models import Mobility
from abroad.people.models import User
from abroad.recognition import jobs as recognition_jobs
from abroad.recognition import queries, services
from abroad.recognition.enums import TranscriptState
from abroad.recognition.forms import ExportForm, GradingTableUploadForm
from abroad.recognition.models import ConversionRule, GradingTable
from abroad.recognition.presenters import RuleView, rule_view, table_view
from abroad.recognition.services import RecognitionError
from abroad.recognition.views import form_errors, user_of

# ------------------------------------------------------------------------------ who may


OFFICE = "recognition.export_recognitions"


def _is_office(user: User) -> bool:
    return can(user, OFFICE)


def _promoter(user: User) -> Promoter | None:
    if not user.is_promoter:
        return None
    return getattr(user, "promoter", None)


# -------------------------------------------------------------------------- the rules

SCOPES = (
    ("partner", gettext_lazy("For a partner institution")),
    ("course_of_study", gettext_lazy("For a course of study")),
    ("school", gettext_lazy("For a School")),
    ("default", gettext_lazy("For every mobility")),
)


def _scope_of(rule: ConversionRule) -> str:
    if rule.partner_id is not None:
        return "partner"
    if rule.course_of_study_id is not None:
        return "course_of_study"
    if rule.school_id is not None:
        return "school"
    return "default"


@dataclass
class ScopeGroup:
    key: str
    label: str
    rules: list[RuleView]


@office_page("recognition.view_rules")
@require_GET
def rules_list(request: HttpRequest) -> HttpResponse:
    """Every conversion rule, grouped by its most specific scope, with its method (the office
    edits them in the admin)."""
    user = user_of(request)
    office = _is_office(user)
    if not office and _promoter(user) is None:
        raise Http404
    found = ConversionRule.objects.select_related(
        "school",
        "course_of_study",
        "partner",
        "host_scale",
        "home_scale",
        "host_table__scale",
        "host_table__institution",
        "home_table__scale",
        "home_table__institution",
    ).order_by("name", "pk")
    views = [rule_view(rule) for rule in found]
    groups = [
        ScopeGroup(key, str(label), [v for v in views if _scope_of(v.rule) == key])
        for key, label in SCOPES
    ]
    return render(
        request,
        "recognition/rules.html",
        {"groups": groups, "office": office, "count": len(views)},
    )


# --------------------------------------------------------------------- grading tables


def _tables() -> QuerySet[GradingTable]:
    return GradingTable.objects.select_related("institution", "scale")


@office_page(OFFICE)
@require_http_methods(["GET", "POST"])
def grading_tables(request: HttpRequest) -> HttpResponse:
    """Every grading table with its chart; POST builds a home grading table from a file of past
    grades (a bad row: nothing is stored, and each is named)."""
    user = user_of(request)
    form = GradingTableUploadForm()
    report = None
    problems: list[str] = []
    if request.method == "POST":
        form = GradingTableUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            problems = [form_errors(form)]
        else:
            upload = form.cleaned_data["file"]
            try:
                report = services.build_home_grading_table(
                    institution=form.cleaned_data["institution"],
                    scale=form.cleaned_data["scale"],
                    isced_code=form.cleaned_data["isced_code"],
                    cycle=form.cleaned_data["cycle"],
                    file=upload,
                    name=upload.name,
                    actor=user,
                )
            except RecognitionError as error:
                problems = [str(error)]
            else:
                if report.table is not None:
                    messages.success(
                        request,
                        _(
                            "The grading table of %(group)s was built from %(grades)d passing "
                            "grades (%(failing)d fail grades and %(other)d grades of other "
                            "fields left out)."
                        )
                        % {
                            "group": report.table.describe(),
                            "grades": report.grades,
                            "failing": report.failing,
                            "other": report.other_fields,
                        },
                    )
                    return redirect("recognition:grading_table", pk=report.table.pk)
    views = [table_view(table) for table in _tables()]
    return render(
        request,
        "recognition/grading_tables.html",
        {"tables": views, "form": form, "report": report, "problems": problems},
    )


@office_page(OFFICE)
@require_GET
def grading_table(request: HttpRequest, pk: int) -> HttpResponse:
    table = get_object_or_404(_tables(), pk=pk)
    return render(request, "recognition/grading_table.html", {"view": table_view(table)})


# ---------------------------------------------------------------------------- the export


def _years() -> list[tuple[int, str]]:
    years = Mobility.objects.order_by("-academic_year").values_list("academic_year", flat=True)
    return [(year, format_year(year)) for year in years.distinct()]


@office_page(OFFICE)
@require_POST
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The validated recognitions (of one academic year, with ``year=2026``) for the
    registrar, as CSV or XLSX, made by the background worker: the request writes the job and
    goes to its page, where the file is offered once made."""
    form = ExportForm(request.POST, years=_years())
    if not form.is_valid():
        return HttpResponseBadRequest(form_errors(form))
    params = {"format": "xlsx" if fmt == "xlsx" else "csv", "year": form.cleaned_data["year"]}
    with transaction.atomic():
        job = jobs.submit(
            recognition_jobs.RECOGNITIONS_EXPORT, requested_by=user_of(request), params=params
        )
    return redirect("job", pk=job.pk)


# ------------------------------------------------------------------------------ the desk


@office_page("recognition.view_desk")
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    """The recognitions waiting for the promoter's validation (and the transcripts accepted by
    the student, waiting for the proposal), in a constant number of queries."""
    user = user_of(request)
    promoter = _promoter(user)
    office = _is_office(user)
    if promoter is None and not office:
        raise Http404  # a promoter's role without a promoter: nothing to show
    proposed = list(
        queries.waiting_transcripts(user, promoter, TranscriptState.PROPOSED)
        .annotate(
            line_count=Count("lines"),
            recognised_credits=Sum("lines__credits"),
            flagged=Count("lines", filter=~Q(lines__flag="")),
        )
        .order_by("proposed_at", "pk")
    )
    accepted = list(
        queries.waiting_transcripts(user, promoter, TranscriptState.ACCEPTED).order_by(
            "accepted_at", "pk"
        )
    )
    context: dict[str, Any] = {
        "proposed": proposed,
        "accepted": accepted,
        "office": office,
        "promoter": promoter,
    }
    if office:
        context["export_form"] = ExportForm(years=_years())
    return render(request, "recognition/desk.html", context)
