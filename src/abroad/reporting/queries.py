"""The office's figures, each a query (or a few) that aggregates in the database.

Every figure takes the dashboard's :class:`Filters` and an optional ``scope``: the Schools a
School-scoped office user is limited to (``people.rules.office_scope``; None: the whole
university). The scope applies on top of the filters: a student's course of study must belong
to one of its Schools, a call must be open to one of them.

A figure is a :class:`Figure`: a stable ``key`` (the download's name), stable column keys, the
headers a person reads, the rows (one per group, never one per record) and which two columns
its bar chart draws. Nothing here loops over records in Python: the loops below run over the
groups a query returned (a country, a call, a year).

The public side (:func:`partner_years`) gives aggregates per past academic year for one
partner and suppresses every year with fewer than :data:`MIN_CELL` students.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from abroad.catalogue.enums import Programme
from abroad.catalogue.models import CourseOfStudy, Institution, School
from abroad.core.academic_year import current_start_year, format_year
from abroad.core.enums import DegreeLevel
from abroad.core.importing import country_label
from abroad.grants.models import GrantCase, Payment
from abroad.mobility.enums import (
    ComponentStatus,
    ExtensionState,
    LearningAgreementState,
    MobilityState,
    Table,
)
from abroad.mobility.models import Component, ExtensionRequest, LearningAgreement, Mobility
from abroad.networks.enums import AllocationState, Season
from abroad.networks.enums import ApplicationState as AthensApplicationState
from abroad.networks.models import AthensAllocation, AthensApplication, AthensSession, Participation
from abroad.recognition.enums import TranscriptState
from abroad.recognition.models import RecognitionLine, Transcript
from abroad.selection.enums import ApplicationState, AssignmentState
from abroad.selection.models import Application, Assignment, Call, CallOffer, Preference

__all__ = [
    "MIN_CELL",
    "Figure",
    "Filters",
    "PartnerYear",
    "dashboard",
    "figure",
    "partner_years",
]

# The Schools (their keys) an office user is limited to, as people.rules.office_scope gives
# them (a School, its sections and the School it is a section of); None: the whole university.
Scope = Collection[int] | None

# The smallest number of students a public cell may show.
MIN_CELL = 5

# A course of study's EQF level (core.enums.DegreeLevel.eqf), for the database to compute.
EQF_OF_LEVEL = {level.value: level.eqf for level in DegreeLevel}


@dataclass(frozen=True)
class Filters:
    """What the dashboard's form keeps; None or "" keeps everything."""

    year: int | None = None
    school: int | None = None
    course: int | None = None
    programme: str = ""
    country: str = ""


@dataclass
class Figure:
    key: str
    title: Any
    description: Any
    columns: Sequence[str]
    headers: Sequence[Any]
    rows: list[dict[str, Any]] = field(default_factory=list)
    label: str = ""  # the column naming each bar
    value: str = ""  # the column each bar measures
    text_columns: Sequence[str] = ()


# ------------------------------------------------------------------------------ filters


def school_q(path: str, school: int | School | None) -> Q:
    """Rows whose course of study (``path`` leads to it) belongs to ``school`` or one of its
    sections (AUIC and AUIC-ARCH / AUIC-ENG)."""
    if school is None:
        return Q()
    pk = school.pk if isinstance(school, School) else school
    return Q(**{f"{path}school": pk}) | Q(**{f"{path}school__parent": pk})


def _student_q(filters: Filters, scope: Scope, path: str) -> Q:
    """The School (filter and restriction) and course filters on a student found at ``path``."""
    course = f"{path}course_of_study__"
    q = school_q(course, filters.school)
    if scope is not None:
        q &= Q(**{f"{course}school__in": sorted(scope)})
    if filters.course:
        q &= Q(**{f"{path}course_of_study": filters.course})
    return q


def mobilities(filters: Filters, scope: Scope = None) -> QuerySet[Mobility]:
    """The mobilities the figures count: every filter, withdrawn ones left out."""
    q = _student_q(filters, scope, "student__") & ~Q(state=MobilityState.WITHDRAWN)
    if filters.year is not None:
        q &= Q(academic_year=filters.year)
    if filters.programme:
        q &= Q(offer__agreement__programme=filters.programme)
    if filters.country:
        q &= Q(host__country=filters.country)
    return Mobility.objects.filter(q)


def _callschool_q(path: str, school: int | School | None) -> Q:
    """Calls (``path`` leads to one) open to ``school`` or one of its sections."""
    if school is None:
        return Q()
    pk = school.pk if isinstance(school, School) else school
    return Q(
        Exists(
            Call.schools.through.objects.filter(
                Q(school=pk) | Q(school__parent=pk), call=OuterRef(path)
            )
        )
    )


def _call_scope_q(path: str, scope: Scope) -> Q:
    """Calls (``path`` leads to one) open to a School of ``scope`` (None: every call)."""
    if scope is None:
        return Q()
    return Q(
        Exists(Call.schools.through.objects.filter(school__in=sorted(scope), call=OuterRef(path)))
    )


def _offer_q(filters: Filters, path: str) -> Q:
    q = Q()
    if filters.programme:
        q &= Q(**{f"{path}agreement__programme": filters.programme})
    if filters.country:
        q &= Q(**{f"{path}agreement__partner__country": filters.country})
    return q


# ------------------------------------------------------------------------------ selection


def calls(filters: Filters, scope: Scope = None) -> Figure:
    """Per call: applications submitted, seats, seats filled, renounced and left empty.
    Four queries: the calls, then the numbers grouped by call over the calls found (each
    table read once, not once per call: with the demo's past years, a subquery per call read
    every assignment once per call)."""
    found = Call.objects.all()
    if filters.year is not None:
        found = found.filter(academic_year=filters.year)
    found = found.filter(_callschool_q("pk", filters.school), _call_scope_q("pk", scope))
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in found.order_by("-academic_year", "code").values(
            "pk", "code", "title", "academic_year"
        )
    ]
    ids = [row["pk"] for row in rows]
    applications = Application.objects.filter(
        _student_q(filters, scope, "student__"), call__in=ids, state=ApplicationState.SUBMITTED
    )
    if filters.programme or filters.country:
        applications = applications.filter(
            Exists(
                Preference.objects.filter(
                    _offer_q(filters, "call_offer__offer__"), application=OuterRef("pk")
                )
            )
        )
    n_applications = _per(applications, "call", total=Count("pk"))
    n_seats = _per(
        CallOffer.objects.filter(_offer_q(filters, "offer__"), call__in=ids),
        "call",
        total=Sum("seats"),
    )
    assignments = Assignment.objects.filter(
        _student_q(filters, scope, "application__student__"),
        _offer_q(filters, "call_offer__offer__"),
        round__call__in=ids,
    )
    outcomes = {
        row["round__call"]: row
        for row in assignments.values("round__call")
        .annotate(
            filled=Count("pk", filter=Q(state=AssignmentState.ACCEPTED)),
            renounced=Count(
                "pk", filter=Q(state__in=[AssignmentState.RENOUNCED, AssignmentState.EXPIRED])
            ),
        )
        .order_by()
    }
    for row in rows:
        pk = row["pk"]
        row["n_applications"] = n_applications.get(pk, 0)
        row["n_seats"] = n_seats.get(pk, 0)
        row["n_filled"] = outcomes.get(pk, {}).get("filled", 0)
        row["n_renounced"] = outcomes.get(pk, {}).get("renounced", 0)
    return Figure(
        key="calls",
        title=_("Applications and seats per call"),
        description=_(
            "Submitted applications and seats of each call: filled (accepted), renounced "
            "(renounced or expired) and left empty."
        ),
        columns=(
            "call",
            "title",
            "academic_year",
            "applications",
            "seats",
            "filled",
            "renounced",
            "empty",
        ),
        headers=(
            _("Call"),
            _("Title"),
            _("Academic year"),
            _("Applications"),
            _("Seats"),
            _("Filled"),
            _("Renounced"),
            _("Left empty"),
        ),
        rows=[
            {
                "call": row["code"],
                "title": row["title"],
                "academic_year": format_year(row["academic_year"]),
                "applications": row["n_applications"],
                "seats": row["n_seats"],
                "filled": row["n_filled"],
                "renounced": row["n_renounced"],
                "empty": max(row["n_seats"] - row["n_filled"], 0),
            }
            for row in rows
        ],
        label="call",
        value="applications",
    )


def rounds(filters: Filters, scope: Scope = None) -> Figure:
    """Per call and round: seats offered, accepted, renounced, expired. One grouped query."""
    assignments = Assignment.objects.filter(
        _student_q(filters, scope, "application__student__"),
        _offer_q(filters, "call_offer__offer__"),
        call_offer__isnull=False,
    )
    if filters.year is not None:
        assignments = assignments.filter(round__call__academic_year=filters.year)
    assignments = assignments.filter(
        _callschool_q("round__call", filters.school), _call_scope_q("round__call", scope)
    )
    grouped = (
        assignments.values("round__call__code", "round__number")
        .annotate(
            offered=Count("pk"),
            accepted=Count("pk", filter=Q(state=AssignmentState.ACCEPTED)),
            renounced=Count("pk", filter=Q(state=AssignmentState.RENOUNCED)),
            expired=Count("pk", filter=Q(state=AssignmentState.EXPIRED)),
        )
        .order_by("round__call__code", "round__number")
    )
    return Figure(
        key="rounds",
        title=_("Seats per call and round"),
        description=_(
            "Seats each round offered, and how many were accepted, renounced or expired."
        ),
        columns=("call", "round", "offered", "accepted", "renounced", "expired"),
        headers=(_("Call"), _("Round"), _("Offered"), _("Accepted"), _("Renounced"), _("Expired")),
        rows=[
            {
                "call": row["round__call__code"],
                "round": row["round__number"],
                "label": f"{row['round__call__code']} · {row['round__number']}",
                "offered": row["offered"],
                "accepted": row["accepted"],
                "renounced": row["renounced"],
                "expired": row["expired"],
            }
            for row in grouped
        ],
        label="label",
        value="accepted",
    )


# ------------------------------------------------------------------------------ mobility


def _grouped(
    found: QuerySet[Mobility],
    *group: str,
    order: Sequence[str] = ("-mobilities",),
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Mobilities and distinct students per ``group``, the first ``limit`` groups."""
    rows = (
        found.values(*group)
        .annotate(students=Count("student", distinct=True), mobilities=Count("pk"))
        .order_by(*order, *group)
    )
    return list(rows[:limit] if limit is not None else rows)


def by_country(filters: Filters, scope: Scope = None) -> Figure:
    rows = _grouped(mobilities(filters, scope), "host__country")
    return Figure(
        key="countries",
        title=_("Mobilities by country"),
        description=_("Mobilities (withdrawn ones left out) by the host's country."),
        columns=("country_code", "country", "mobilities", "students"),
        headers=(_("Country code"), _("Country"), _("Mobilities"), _("Students")),
        rows=[
            {
                "country_code": row["host__country"],
                "country": country_label(row["host__country"]),
                "mobilities": row["mobilities"],
                "students": row["students"],
            }
            for row in rows
        ],
        label="country",
        value="mobilities",
    )


def by_partner(filters: Filters, scope: Scope = None, limit: int = 20) -> Figure:
    rows = _grouped(mobilities(filters, scope), "host", "host__name", "host__country", limit=limit)
    names = {
        partner.pk: partner.display_name
        for partner in Institution.objects.filter(pk__in=[row["host"] for row in rows])
    }
    return Figure(
        key="partners",
        title=_("Mobilities by partner"),
        description=_("The partners that received the most mobilities."),
        columns=("partner", "country", "mobilities", "students"),
        headers=(_("Partner"), _("Country"), _("Mobilities"), _("Students")),
        rows=[
            {
                "partner": names.get(row["host"], row["host__name"]),
                "country": country_label(row["host__country"]),
                "mobilities": row["mobilities"],
                "students": row["students"],
            }
            for row in rows
        ],
        label="partner",
        value="mobilities",
    )


def by_programme(filters: Filters, scope: Scope = None) -> Figure:
    rows = _grouped(mobilities(filters, scope), "offer__agreement__programme")
    names = dict(Programme.choices)
    return Figure(
        key="programmes",
        title=_("Mobilities by programme"),
        description=_("Mobilities by the programme of the agreement they went under."),
        columns=("programme_code", "programme", "mobilities", "students"),
        headers=(_("Programme code"), _("Programme"), _("Mobilities"), _("Students")),
        rows=[
            {
                "programme_code": row["offer__agreement__programme"] or "",
                "programme": str(names.get(row["offer__agreement__programme"], _("No agreement"))),
                "mobilities": row["mobilities"],
                "students": row["students"],
            }
            for row in rows
        ],
        label="programme",
        value="mobilities",
    )


def student_eqf() -> Case:
    """The EQF level of a mobility's student's course of study, as a database expression."""
    return Case(
        *(
            When(student__course_of_study__level=level, then=Value(eqf))
            for level, eqf in EQF_OF_LEVEL.items()
        ),
        default=Value(None),
        output_field=IntegerField(),
    )


def by_level(filters: Filters, scope: Scope = None) -> Figure:
    rows = _grouped(mobilities(filters, scope).annotate(eqf=student_eqf()), "eqf", order=("eqf",))
    return Figure(
        key="levels",
        title=_("Mobilities by level (EQF)"),
        description=_("Mobilities by the EQF level of the student's course of study."),
        columns=("eqf", "mobilities", "students"),
        headers=(_("EQF level"), _("Mobilities"), _("Students")),
        rows=[
            {
                "eqf": row["eqf"] if row["eqf"] is not None else "",
                "label": f"EQF {row['eqf']}" if row["eqf"] is not None else str(_("Unknown")),
                "mobilities": row["mobilities"],
                "students": row["students"],
            }
            for row in rows
        ],
        label="label",
        value="mobilities",
    )


def by_duration(filters: Filters, scope: Scope = None) -> Figure:
    rows = _grouped(mobilities(filters, scope), "months", order=("months",))
    return Figure(
        key="durations",
        title=_("Mobilities by duration"),
        description=_("Mobilities by the months planned."),
        columns=("months", "mobilities", "students"),
        headers=(_("Months"), _("Mobilities"), _("Students")),
        rows=[
            {
                "months": row["months"],
                "label": str(_("%(months)s months") % {"months": row["months"]}),
                "mobilities": row["mobilities"],
                "students": row["students"],
            }
            for row in rows
        ],
        label="label",
        value="mobilities",
    )


def agreements_by_state(filters: Filters, scope: Scope = None) -> Figure:
    """Learning agreement versions by state."""
    rows = (
        LearningAgreement.objects.filter(mobility__in=mobilities(filters, scope))
        .values("state")
        .annotate(versions=Count("pk"))
        .order_by("state")
    )
    names = dict(LearningAgreementState.choices)
    return Figure(
        key="learning_agreements",
        title=_("Learning agreements by state"),
        description=_("Versions of learning agreements by their state."),
        columns=("state_code", "state", "versions"),
        headers=(_("State code"), _("State"), _("Versions")),
        rows=[
            {
                "state_code": row["state"],
                "state": str(names.get(row["state"], row["state"])),
                "versions": row["versions"],
            }
            for row in rows
        ],
        label="state",
        value="versions",
    )


STEPS = (
    ("submitted_approved", _("Submitted → approved"), "student_signed_at", "promoter_signed_at"),
    ("approved_signed", _("Approved → signed by the host"), "promoter_signed_at", "host_signed_at"),
)


class _Median(Aggregate):
    """PostgreSQL's median of an interval: the middle value, or the mean of the middle two
    (``percentile_cont``, which leaves out the rows where the interval is null)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def _span(start: str, end: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(end) - F(start), output_field=DurationField())


def _days(spans: Sequence[dt.timedelta]) -> Decimal:
    days = [Decimal(span.total_seconds()) / 86400 for span in spans]
    return (sum(days, Decimal(0)) / len(days)).quantize(Decimal("0.1"))


def medians(
    found: QuerySet[LearningAgreement], steps: Sequence[tuple[str, str, str]]
) -> dict[str, Decimal | None]:
    """The median number of days between ``start`` and ``end`` of the versions that have both,
    for each ``(key, start, end)`` of ``steps``. On PostgreSQL one query for every step (the
    database computes each median); elsewhere two a step: the database orders the
    differences and hands back the middle one (or two)."""
    if connection.vendor == "postgresql":
        found_medians = found.aggregate(
            **{key: _Median(_span(start, end)) for key, start, end in steps}
        )
        return {
            key: None if found_medians[key] is None else _days([found_medians[key]])
            for key, _start, _end in steps
        }
    result: dict[str, Decimal | None] = {}
    for key, start, end in steps:
        spans = (
            found.filter(**{f"{start}__isnull": False, f"{end}__isnull": False})
            .annotate(span=_span(start, end))
            .order_by("span")
        )
        count = spans.count()
        if not count:
            result[key] = None
            continue
        middle = list(spans.values_list("span", flat=True)[(count - 1) // 2 : count // 2 + 1])
        result[key] = _days(middle)
    return result


def median_days(found: QuerySet[LearningAgreement], start: str, end: str) -> Decimal | None:
    """The median number of days between ``start`` and ``end`` of the versions that have
    both (:func:`medians` of one step)."""
    return medians(found, [("days", start, end)])["days"]


def agreement_steps(filters: Filters, scope: Scope = None) -> Figure:
    """The median days each step of a learning agreement took."""
    found = LearningAgreement.objects.filter(mobility__in=mobilities(filters, scope))
    days = medians(found, [(key, start, end) for key, _label, start, end in STEPS])
    rows = [
        {"step": key, "label": str(label), "median_days": days[key]}
        for key, label, _start, _end in STEPS
    ]
    return Figure(
        key="learning_agreement_days",
        title=_("Days each learning agreement step took (median)"),
        description=_(
            "The median number of days from the student's signature to the promoter's "
            "approval, and from the approval to the host's signature."
        ),
        columns=("step", "label", "median_days"),
        headers=(_("Step code"), _("Step"), _("Median days")),
        rows=rows,
        label="label",
        value="median_days",
    )


def extensions(filters: Filters, scope: Scope = None) -> Figure:
    totals = ExtensionRequest.objects.filter(mobility__in=mobilities(filters, scope)).aggregate(
        asked=Count("pk"),
        granted=Count("pk", filter=Q(state=ExtensionState.APPROVED)),
        refused=Count("pk", filter=Q(state=ExtensionState.REFUSED)),
        waiting=Count("pk", filter=Q(state=ExtensionState.REQUESTED)),
    )
    labels = {
        "asked": _("Asked"),
        "granted": _("Granted"),
        "refused": _("Refused"),
        "waiting": _("Waiting"),
    }
    return Figure(
        key="extensions",
        title=_("Extensions asked and granted"),
        description=_("Extension requests and their decisions."),
        columns=("outcome", "label", "requests"),
        headers=(_("Outcome code"), _("Outcome"), _("Requests")),
        rows=[
            {"outcome": key, "label": str(label), "requests": totals[key]}
            for key, label in labels.items()
        ],
        label="label",
        value="requests",
    )


# ------------------------------------------------------------------------------ recognition


def recognition_by_year(
    found: QuerySet[Mobility],
) -> dict[int, dict[str, Any]]:
    """Per academic year, for the validated recognitions of ``found``: credits planned (table
    B of the version the transcript was entered against), credits recognised, courses planned
    and courses recognised (a line with credits). Two grouped queries."""
    planned = (
        Component.objects.filter(
            table=Table.B,
            agreement__in=Transcript.objects.filter(
                state=TranscriptState.VALIDATED, mobility__in=found
            ).values("agreement"),
        )
        .exclude(status=ComponentStatus.DELETED)
        .values(year=F("agreement__mobility__academic_year"))
        .annotate(total=Sum("ects"), courses=Count("pk"))
        .order_by()
    )
    recognised = (
        RecognitionLine.objects.filter(
            transcript__state=TranscriptState.VALIDATED, transcript__mobility__in=found
        )
        .values(year=F("transcript__mobility__academic_year"))
        .annotate(
            total=Sum("credits"),
            courses=Count("pk", filter=Q(credits__gt=0)),
        )
        .order_by()
    )
    years: dict[int, dict[str, Any]] = {}
    empty = {
        "planned_credits": Decimal(0),
        "recognised_credits": Decimal(0),
        "planned_courses": 0,
        "recognised_courses": 0,
    }
    for row in planned:
        year = years.setdefault(row["year"], dict(empty))
        year["planned_credits"] = _credits(row["total"])
        year["planned_courses"] = row["courses"]
    for row in recognised:
        year = years.setdefault(row["year"], dict(empty))
        year["recognised_credits"] = _credits(row["total"])
        year["recognised_courses"] = row["courses"]
    return years


def _credits(total: Decimal | None) -> Decimal:
    """Credits with one decimal on every database (SQLite drops a sum's decimals)."""
    return Decimal(total or 0).quantize(Decimal("0.1"))


def share(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """``part`` of ``whole`` in per cent, one decimal (None when ``whole`` is 0)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def recognition(filters: Filters, scope: Scope = None) -> Figure:
    years = recognition_by_year(mobilities(filters, scope))
    return Figure(
        key="recognition",
        title=_("Recognition: credits planned and recognised"),
        description=_(
            "For the validated recognitions: the credits of table B against those recognised, "
            "and the share of courses recognised, by academic year."
        ),
        columns=(
            "academic_year",
            "planned_credits",
            "recognised_credits",
            "credits_share",
            "planned_courses",
            "recognised_courses",
            "courses_share",
        ),
        headers=(
            _("Academic year"),
            _("Credits planned"),
            _("Credits recognised"),
            _("Credits recognised (%)"),
            _("Courses planned"),
            _("Courses recognised"),
            _("Courses recognised (%)"),
        ),
        rows=[
            {
                "academic_year": format_year(year),
                **values,
                "credits_share": share(values["recognised_credits"], values["planned_credits"]),
                "courses_share": share(values["recognised_courses"], values["planned_courses"]),
            }
            for year, values in sorted(years.items(), reverse=True)
        ],
        label="academic_year",
        value="credits_share",
    )


def _grade_key(grade: str) -> tuple[int, Decimal, str]:
    """Italian grades in order (18 ... 30, 30L after 30); anything else after them, by name."""
    number = grade.rstrip("Ll").replace(",", ".")
    try:
        return (0, Decimal(number) + (Decimal("0.5") if number != grade else 0), grade)
    except ArithmeticError:
        return (1, Decimal(0), grade)


def grades(filters: Filters, scope: Scope = None) -> Figure:
    """The home grades of the validated recognitions: how many courses got each. One grouped
    query."""
    rows = (
        RecognitionLine.objects.filter(
            transcript__state=TranscriptState.VALIDATED,
            transcript__mobility__in=mobilities(filters, scope),
        )
        .exclude(grade="")
        .values("grade")
        .annotate(courses=Count("pk"))
        .order_by()
    )
    ordered = sorted(rows, key=lambda row: _grade_key(row["grade"]))
    return Figure(
        key="grades",
        title=_("Recognition: grade distribution"),
        description=_("The home grades given to the courses of the validated recognitions."),
        columns=("grade", "courses"),
        headers=(_("Grade"), _("Courses")),
        rows=[{"grade": row["grade"], "courses": row["courses"]} for row in ordered],
        label="grade",
        value="courses",
        text_columns=("grade",),
    )


# ------------------------------------------------------------------------------ grants


def grants(filters: Filters, scope: Scope = None) -> Figure:
    """Per academic year: the mobilities with a grant, the grants committed (each mobility's
    grant as last computed, kept on its grant case) and what was paid (payments, less the
    money paid back). Two grouped queries."""
    found = mobilities(filters, scope)
    committed = (
        GrantCase.objects.filter(mobility__in=found, amount__isnull=False)
        .values(year=F("mobility__academic_year"))
        .annotate(total=Sum("amount"), grants=Count("pk", filter=Q(amount__gt=0)))
        .order_by()
    )
    paid = (
        Payment.objects.filter(mobility__in=found)
        .values(year=F("mobility__academic_year"))
        .annotate(total=Sum("amount"), paid_mobilities=Count("mobility", distinct=True))
        .order_by()
    )
    years: dict[int, dict[str, Any]] = {}
    zero = Decimal("0.00")
    empty = {"grants": 0, "committed": zero, "paid": zero, "paid_mobilities": 0}
    for row in committed:
        year = years.setdefault(row["year"], dict(empty))
        year["grants"], year["committed"] = row["grants"], _money(row["total"])
    for row in paid:
        year = years.setdefault(row["year"], dict(empty))
        year["paid"], year["paid_mobilities"] = _money(row["total"]), row["paid_mobilities"]
    return Figure(
        key="grants",
        title=_("Grants committed and paid"),
        description=_(
            "Per academic year, in euros: the grants of the mobilities as last computed "
            "(on the actual dates once known), what has been paid so far (less money paid "
            "back) and what is left to pay."
        ),
        columns=(
            "academic_year",
            "grants",
            "committed",
            "paid",
            "paid_mobilities",
            "to_pay",
            "paid_share",
        ),
        headers=(
            _("Academic year"),
            _("Mobilities with a grant"),
            _("Committed (EUR)"),
            _("Paid (EUR)"),
            _("Mobilities paid"),
            _("Left to pay (EUR)"),
            _("Paid (%)"),
        ),
        rows=[
            {
                "academic_year": format_year(year),
                **values,
                "to_pay": values["committed"] - values["paid"],
                "paid_share": share(values["paid"], values["committed"]),
            }
            for year, values in sorted(years.items(), reverse=True)
        ],
        label="academic_year",
        value="committed",
    )


def _money(total: Decimal | None) -> Decimal:
    """Euros with two decimals on every database (SQLite drops a sum's decimals)."""
    return Decimal(total or 0).quantize(Decimal("0.01"))


# ------------------------------------------------------------------------------ ATHENS


def _sessions_of_year(year: int) -> Q:
    """The ATHENS sessions of academic year ``year``: November ``year``, March ``year + 1``."""
    return Q(season=Season.NOVEMBER, year=year) | Q(season=Season.MARCH, year=year + 1)


def athens(filters: Filters, scope: Scope = None) -> Figure:
    """Per ATHENS session: applications submitted, courses accepted, participations and
    passes. One query (subqueries)."""
    sessions = AthensSession.objects.all()
    if filters.year is not None:
        sessions = sessions.filter(_sessions_of_year(filters.year))
    if filters.programme and filters.programme != Programme.NETWORK:
        sessions = sessions.none()
    student = _student_q(filters, scope, "student__")
    applications = AthensApplication.objects.filter(
        student, session=OuterRef("pk"), state=AthensApplicationState.SUBMITTED
    )
    allocations = AthensAllocation.objects.filter(
        _student_q(filters, scope, "application__student__"),
        application__session=OuterRef("pk"),
        state=AllocationState.ACCEPTED,
    )
    participations = Participation.objects.filter(student, course__session=OuterRef("pk"))
    if filters.country:
        applications = applications.filter(choices__course__host__country=filters.country)
        allocations = allocations.filter(course__host__country=filters.country)
        participations = participations.filter(course__host__country=filters.country)
    rows = sessions.annotate(
        n_applications=_count(applications.distinct()),
        n_accepted=_count(allocations),
        n_participations=_count(participations),
        n_passed=_count(participations.filter(passed=True)),
    ).order_by("-year", "-season", "code")
    return Figure(
        key="athens",
        title=pgettext_lazy("statistics heading", "ATHENS participation"),
        description=_("Per ATHENS session: applications, courses accepted, participants, passed."),
        columns=("session", "applications", "accepted", "participants", "passed"),
        headers=(_("Session"), _("Applications"), _("Accepted"), _("Participants"), _("Passed")),
        rows=[
            {
                "session": session.code,
                "applications": session.n_applications,
                "accepted": session.n_accepted,
                "participants": session.n_participations,
                "passed": session.n_passed,
            }
            for session in rows
        ],
        label="session",
        value="participants",
    )


# ------------------------------------------------------------------------------ the dashboard


FIGURES: dict[str, Callable[[Filters, Scope], Figure]] = {
    "calls": calls,
    "rounds": rounds,
    "countries": by_country,
    "partners": by_partner,
    "programmes": by_programme,
    "levels": by_level,
    "durations": by_duration,
    "learning_agreements": agreements_by_state,
    "learning_agreement_days": agreement_steps,
    "extensions": extensions,
    "recognition": recognition,
    "grades": grades,
    "grants": grants,
    "athens": athens,
}


def dashboard(filters: Filters, scope: Scope = None) -> list[Figure]:
    """Every figure, in the dashboard's order."""
    return [build(filters, scope) for build in FIGURES.values()]


def figure(key: str, filters: Filters, scope: Scope = None) -> Figure | None:
    """One figure by its key (None if there is none)."""
    build = FIGURES.get(key)
    return build(filters, scope) if build else None


# ------------------------------------------------------------------------------ public side


@dataclass(frozen=True)
class PartnerYear:
    """One past academic year at one partner; ``suppressed`` years show no number."""

    year: int
    students: int | None
    credits_share: Decimal | None

    @property
    def suppressed(self) -> bool:
        return self.students is None

    @property
    def label(self) -> str:
        return format_year(self.year)


def partner_years(partner: Institution, today: dt.date | None = None) -> list[PartnerYear]:
    """How many students went to ``partner`` in each past academic year and the share of the
    credits planned that were recognised; a year with fewer than :data:`MIN_CELL` students
    shows neither. Three queries."""
    found = Mobility.objects.filter(
        host=partner,
        academic_year__lt=current_start_year(today),
        state=MobilityState.COMPLETED,
    )
    counts = (
        found.values("academic_year")
        .annotate(students=Count("student", distinct=True))
        .order_by("-academic_year")
    )
    credits = recognition_by_year(found)
    years = []
    for row in counts:
        year, students = row["academic_year"], row["students"]
        if students < MIN_CELL:
            years.append(PartnerYear(year, None, None))
            continue
        values = credits.get(year)
        years.append(
            PartnerYear(
                year,
                students,
                share(values["recognised_credits"], values["planned_credits"]) if values else None,
            )
        )
    return years


# ------------------------------------------------------------------------------ helpers


class _Count(Subquery):
    """How many rows a correlated queryset has (0 for none), as one subquery."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _rows)"
    output_field = IntegerField()


def _per(found: QuerySet[Any], group: str, *, total: Aggregate) -> dict[int, int]:
    """``total`` of ``found`` per value of ``group`` (a key), as one grouped query."""
    return {
        key: value or 0
        for key, value in found.values(group)
        .annotate(total=total)
        .values_list(group, "total")
        .order_by()
    }


def _count(found: QuerySet[Any]) -> _Count:
    return _Count(found.order_by().values("pk"))


def courses() -> QuerySet[CourseOfStudy]:
    """The courses of study the form offers."""
    return CourseOfStudy.objects.select_related("school").order_by("code")
