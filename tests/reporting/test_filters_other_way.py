"""The filtered figures against the same figures counted another way: the demo's past years
(site/demo/history.py: calls with rounds, mobilities, ATHENS weeks) over a School with two
sections, two programmes and several countries, each figure's rows recounted here in Python
from the records, for the programme filter, the School filter (a School with sections and a
section alone), a country, all of them together and a School-scoped office user.

The dashboard counts the calls' numbers in grouped queries and, on PostgreSQL, the medians in
the database (docs/performance.md); these tests hold the figures to what the filters mean."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from abroad.catalogue.enums import Programme
from abroad.catalogue.models import Institution, Offer, School
from abroad.mobility.enums import MobilityState
from abroad.mobility.models import LearningAgreement, Mobility
from abroad.networks.enums import AllocationState
from abroad.networks.enums import ApplicationState as AthensState
from abroad.networks.models import AthensApplication, AthensSession
from abroad.people.models import User
from abroad.reporting import queries
from abroad.reporting.queries import Filters, Scope
from abroad.selection.enums import ApplicationState, AssignmentState
from abroad.selection.models import Application, Assignment, Call, CallOffer
from abroad.site.demo.history import load_history_demo
from tests.factories import (
    AgreementFactory,
    CourseOfStudyFactory,
    InstitutionFactory,
    NetworkFactory,
    OfferFactory,
    SchoolFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 8)
YEAR = 2024


@pytest.fixture
def history() -> dict[str, School]:
    """Schools (AUIC with two sections, Design, 3I), students in each, offers of two
    programmes in four countries, an ATHENS network, and the history loaded on them."""
    InstitutionFactory.create(name="Home", country="IT", latitude=45.5, longitude=9.2, is_home=True)
    auic = SchoolFactory.create(code="AUIC", name="Architecture, Urban, Construction")
    schools = {
        "AUIC": auic,
        "AUIC-ARCH": SchoolFactory.create(code="AUIC-ARCH", name="Architecture", parent=auic),
        "AUIC-ENG": SchoolFactory.create(code="AUIC-ENG", name="Building", parent=auic),
        "DES": SchoolFactory.create(code="DES", name="Design"),
        "3I": SchoolFactory.create(code="3I"),
    }
    number = 0
    for code in ("AUIC-ARCH", "AUIC-ENG", "DES", "3I", "3I"):
        course = CourseOfStudyFactory.create(school=schools[code], level="MSc")
        for _ in range(6):
            number += 1
            UserFactory.create(username=f"s{number}", course_of_study=course)
    partners = []
    for country, latitude, longitude in (("DE", 52.5, 13.4), ("FR", 48.9, 2.35)):
        partner = InstitutionFactory.create(country=country, latitude=latitude, longitude=longitude)
        partners.append(partner)
        for _ in range(3):
            OfferFactory.create(agreement=AgreementFactory.create(partner=partner))
    for country, latitude, longitude in (("ES", 40.4, -3.7), ("US", 42.4, -71.1)):
        partner = InstitutionFactory.create(country=country, latitude=latitude, longitude=longitude)
        for _ in range(3):
            OfferFactory.create(
                agreement=AgreementFactory.create(partner=partner, programme=Programme.BILATERAL)
            )
    NetworkFactory.create(code="athens", name="ATHENS").members.add(*partners)
    load_history_demo(today=TODAY)
    return schools


# ------------------------------------------------------------------------------ by hand


def course_school(student: User) -> School | None:
    course = student.course_of_study
    return course.school if course is not None else None


def student_ok(student: User, filters: Filters, scope: Scope) -> bool:
    school = course_school(student)
    if filters.school is not None and (
        school is None or filters.school not in (school.pk, school.parent_id)
    ):
        return False
    if scope is not None and (school is None or school.pk not in scope):
        return False
    return not filters.course or student.course_of_study_id == filters.course


def offer_ok(offer: Offer | None, filters: Filters) -> bool:
    if offer is None:
        return not (filters.programme or filters.country)
    agreement = offer.agreement
    if filters.programme and agreement.programme != filters.programme:
        return False
    return not filters.country or agreement.partner.country == filters.country


def call_ok(call: Call, filters: Filters, scope: Scope) -> bool:
    schools = list(call.schools.all())
    if filters.year is not None and call.academic_year != filters.year:
        return False
    if filters.school is not None and not any(
        filters.school in (school.pk, school.parent_id) for school in schools
    ):
        return False
    return scope is None or any(school.pk in scope for school in schools)


def mobilities_by_hand(filters: Filters, scope: Scope) -> set[int]:
    return {
        mobility.pk
        for mobility in Mobility.objects.select_related(
            "student__course_of_study__school", "offer__agreement__partner", "host"
        )
        if mobility.state != MobilityState.WITHDRAWN
        and student_ok(mobility.student, filters, scope)
        and (filters.year is None or mobility.academic_year == filters.year)
        and (
            not filters.programme or offer_ok(mobility.offer, Filters(programme=filters.programme))
        )
        and (not filters.country or mobility.host.country == filters.country)
    }


def medians_by_hand(found: set[int]) -> dict[str, Decimal | None]:
    """The median days of each learning agreement step, from the versions' dates."""
    versions = list(LearningAgreement.objects.filter(mobility__in=found))
    result: dict[str, Decimal | None] = {}
    for key, _label, start, end in queries.STEPS:
        days = sorted(
            Decimal((getattr(v, end) - getattr(v, start)).total_seconds()) / 86400
            for v in versions
            if getattr(v, start) is not None and getattr(v, end) is not None
        )
        middle = days[(len(days) - 1) // 2 : len(days) // 2 + 1]
        result[key] = (
            (sum(middle, Decimal(0)) / len(middle)).quantize(Decimal("0.1")) if days else None
        )
    return result


def calls_by_hand(filters: Filters, scope: Scope) -> dict[str, tuple[int, int, int, int]]:
    rows = {}
    for call in Call.objects.all():
        if not call_ok(call, filters, scope):
            continue
        applications = [
            application
            for application in Application.objects.filter(
                call=call, state=ApplicationState.SUBMITTED
            ).select_related("student__course_of_study__school")
            if student_ok(application.student, filters, scope)
            and (
                not (filters.programme or filters.country)
                or any(
                    offer_ok(preference.call_offer.offer, filters)
                    for preference in application.preferences.select_related(
                        "call_offer__offer__agreement__partner"
                    )
                )
            )
        ]
        seats = sum(
            call_offer.seats
            for call_offer in CallOffer.objects.filter(call=call).select_related(
                "offer__agreement__partner"
            )
            if offer_ok(call_offer.offer, filters)
        )
        states: Counter[str] = Counter(
            assignment.state
            for assignment in Assignment.objects.filter(round__call=call).select_related(
                "application__student__course_of_study__school",
                "call_offer__offer__agreement__partner",
            )
            if student_ok(assignment.application.student, filters, scope)
            and assignment.call_offer is not None
            and offer_ok(assignment.call_offer.offer, filters)
        )
        rows[call.code] = (
            len(applications),
            seats,
            states[AssignmentState.ACCEPTED],
            states[AssignmentState.RENOUNCED] + states[AssignmentState.EXPIRED],
        )
    return rows


def allocated_in(application: AthensApplication, country: str) -> bool:
    course = application.allocation.course
    return course is not None and course.host.country == country


def athens_by_hand(filters: Filters, scope: Scope) -> dict[str, tuple[int, int]]:
    """Per session: applications submitted and courses accepted."""
    rows = {}
    for session in AthensSession.objects.all():
        if filters.year is not None and session.academic_year != filters.year:
            continue
        if filters.programme and filters.programme != Programme.NETWORK:
            continue
        applications = [
            application
            for application in AthensApplication.objects.filter(
                session=session, state=AthensState.SUBMITTED
            ).select_related("student__course_of_study__school")
            if student_ok(application.student, filters, scope)
            and (
                not filters.country
                or any(
                    choice.course.host.country == filters.country
                    for choice in application.choices.select_related("course__host")
                )
            )
        ]
        accepted = [
            application
            for application in AthensApplication.objects.filter(
                session=session, allocation__state=AllocationState.ACCEPTED
            ).select_related("student__course_of_study__school", "allocation__course__host")
            if student_ok(application.student, filters, scope)
            and (not filters.country or allocated_in(application, filters.country))
        ]
        rows[session.code] = (len(applications), len(accepted))
    return rows


# ------------------------------------------------------------------------------ the tests

CASES: list[tuple[str, Callable[[dict[str, School]], tuple[Filters, Scope]]]] = [
    ("nothing", lambda s: (Filters(), None)),
    ("programme", lambda s: (Filters(programme=Programme.ERASMUS), None)),
    ("other programme", lambda s: (Filters(programme=Programme.BILATERAL), None)),
    ("School with sections", lambda s: (Filters(school=s["AUIC"].pk), None)),
    ("a section", lambda s: (Filters(school=s["AUIC-ENG"].pk), None)),
    ("School", lambda s: (Filters(school=s["DES"].pk), None)),
    ("country", lambda s: (Filters(country="FR"), None)),
    (
        "all together",
        lambda s: (Filters(year=YEAR, school=s["AUIC"].pk, programme=Programme.ERASMUS), None),
    ),
    (
        "programme, country and a scope",
        lambda s: (
            Filters(programme=Programme.ERASMUS, country="DE"),
            [s["AUIC"].pk, s["AUIC-ARCH"].pk, s["AUIC-ENG"].pk],
        ),
    ),
    ("School outside the scope", lambda s: (Filters(school=s["DES"].pk), [s["3I"].pk])),
]


@pytest.mark.parametrize("case", [build for _name, build in CASES], ids=[n for n, _ in CASES])
def test_each_filtered_figure_matches_a_count_by_hand(
    history: dict[str, School], case: Callable[[dict[str, School]], tuple[Filters, Scope]]
) -> None:
    filters, scope = case(history)
    found = mobilities_by_hand(filters, scope)
    assert set(queries.mobilities(filters, scope).values_list("pk", flat=True)) == found

    mobilities = Mobility.objects.filter(pk__in=found).select_related("host")
    countries = Counter(str(mobility.host.country) for mobility in mobilities)
    rows = queries.by_country(filters, scope).rows
    assert {row["country_code"]: row["mobilities"] for row in rows} == countries

    steps = {
        row["step"]: row["median_days"] for row in queries.agreement_steps(filters, scope).rows
    }
    assert steps == medians_by_hand(found)

    calls = calls_by_hand(filters, scope)
    rows = queries.calls(filters, scope).rows
    assert {
        row["call"]: (row["applications"], row["seats"], row["filled"], row["renounced"])
        for row in rows
    } == calls

    per_round: dict[tuple[str, int], Counter[str]] = {}
    for assignment in Assignment.objects.exclude(call_offer=None).select_related(
        "round__call",
        "application__student__course_of_study__school",
        "call_offer__offer__agreement__partner",
    ):
        if (
            call_ok(assignment.round.call, filters, scope)
            and student_ok(assignment.application.student, filters, scope)
            and offer_ok(assignment.call_offer.offer if assignment.call_offer else None, filters)
        ):
            key = (assignment.round.call.code, assignment.round.number)
            per_round.setdefault(key, Counter())[assignment.state] += 1
    rows = queries.rounds(filters, scope).rows
    assert {
        (row["call"], row["round"]): (
            row["offered"],
            row["accepted"],
            row["renounced"],
            row["expired"],
        )
        for row in rows
    } == {
        key: (
            counts.total(),
            counts[AssignmentState.ACCEPTED],
            counts[AssignmentState.RENOUNCED],
            counts[AssignmentState.EXPIRED],
        )
        for key, counts in per_round.items()
    }

    athens = athens_by_hand(filters, scope)
    rows = queries.athens(filters, scope).rows
    assert {row["session"]: (row["applications"], row["accepted"]) for row in rows} == athens


def test_the_history_gives_the_filters_something_to_tell_apart(
    history: dict[str, School],
) -> None:
    """The cases above compare something: each filter keeps some rows and leaves out others."""
    everything = queries.mobilities(Filters()).count()
    for _name, build in CASES[1:7]:
        filters, scope = build(history)
        assert 0 < queries.mobilities(filters, scope).count() < everything, filters
    calls: dict[str, Any] = {row["call"]: row for row in queries.calls(Filters()).rows}
    assert set(calls) == {
        f"{edition}-{year}-1"
        for edition in ("engineering", "design", "architecture")
        for year in (2023, 2024, 2025)
    }
    assert all(row["filled"] and row["applications"] for row in calls.values())
    assert len(queries.athens(Filters()).rows) == 6
    assert Institution.objects.filter(athens_courses__isnull=False).exists()
