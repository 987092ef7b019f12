"""The demo's past years (site/demo/history.py): three academic years of mobilities with
learning agreements, extensions, recognitions and grants, deterministic, loaded once, so that
every figure of the dashboard has rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from abroad.catalogue.enums import Programme
from abroad.catalogue.models import Institution
from abroad.core.models import AuditEvent
from abroad.grants.models import GrantCase, Payment, RateTable
from abroad.mobility.models import Mobility
from abroad.reporting import queries
from abroad.reporting.queries import Filters
from abroad.selection.enums import AssignmentState
from abroad.selection.models import Assignment
from abroad.site.demo.history import ORIGIN, load_history_demo
from tests.factories import (
    AgreementFactory,
    CourseOfStudyFactory,
    InstitutionFactory,
    NetworkFactory,
    OfferFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 8)


@pytest.fixture
def students_and_offers() -> None:
    InstitutionFactory.create(
        name="Home", country="IT", latitude=45.48, longitude=9.23, is_home=True
    )
    course = CourseOfStudyFactory.create(level="MSc")
    for index in range(12):
        UserFactory.create(username=f"past{index}", course_of_study=course)
    for country, latitude, longitude in (
        ("DE", 52.5, 13.4),
        ("FR", 48.9, 2.35),
        ("ES", 40.4, -3.7),
    ):
        partner = InstitutionFactory.create(country=country, latitude=latitude, longitude=longitude)
        OfferFactory.create(agreement=AgreementFactory.create(partner=partner))
    OfferFactory.create(
        agreement=AgreementFactory.create(
            partner=InstitutionFactory.create(country="US", latitude=42.36, longitude=-71.09),
            programme=Programme.BILATERAL,
        )
    )
    athens = NetworkFactory.create(code="athens", name="ATHENS")
    athens.members.add(*Institution.objects.filter(is_home=False, country__in=["DE", "FR"]))


def snapshot() -> list[tuple[object, ...]]:
    return list(
        Mobility.objects.filter(origin=ORIGIN)
        .order_by("pk")
        .values_list("student__username", "host__country", "academic_year", "kind", "state")
    )


@pytest.mark.usefixtures("students_and_offers")
def test_three_past_years_fill_every_figure() -> None:
    summary = load_history_demo(today=TODAY)
    assert summary.years == [2023, 2024, 2025]
    assert summary.mobilities == 36  # 12 students a year (the demo's 36 would be more)
    # the earlier years' amounts are 2025/26's, and their tables say so
    assert RateTable.objects.get(academic_year=2023).source == "Demo: the 2025/26 amounts"
    assert GrantCase.objects.filter(amount__gt=0).count() >= 30
    assert Payment.objects.exists()
    assert AuditEvent.objects.filter(action="grants.recomputed").count() >= 30
    assert (summary.calls, summary.sessions) == (3, 6)  # one edition: every course is one School
    for figure in queries.dashboard(Filters(year=2024)):
        assert figure.rows, figure.key
        if figure.key == "learning_agreement_days":
            assert all(row["median_days"] is not None for row in figure.rows)


@pytest.mark.usefixtures("students_and_offers")
def test_the_history_is_deterministic_and_loaded_once() -> None:
    with transaction.atomic():
        load_history_demo(today=TODAY)
        first = snapshot()
        transaction.set_rollback(True)
    assert not Mobility.objects.exists()
    load_history_demo(today=TODAY)
    assert snapshot() == first
    assert load_history_demo(today=TODAY).mobilities == len(first)  # loaded once
    assert snapshot() == first


def test_nothing_to_do_without_students() -> None:
    summary = load_history_demo(today=TODAY)
    assert summary.mobilities == 0
    assert summary.lines() == ["History:       no past mobilities (no students or offers)"]


@pytest.mark.usefixtures("students_and_offers")
def test_each_past_stay_came_from_a_seat_accepted_in_a_past_call() -> None:
    """A past mobility's student accepted, in one round of that year's call, a seat on the
    offer they went to; the calls' figures add up (seats filled = accepted assignments, no more
    than the seats), and the past ATHENS weeks have participants who passed."""
    load_history_demo(today=TODAY)
    accepted = set(
        Assignment.objects.filter(state=AssignmentState.ACCEPTED).values_list(
            "application__student", "call_offer__offer", "application__call__academic_year"
        )
    )
    stays = set(
        Mobility.objects.filter(origin=ORIGIN).values_list("student", "offer", "academic_year")
    )
    assert stays == accepted
    for row in queries.calls(Filters()).rows:
        assert row["filled"] + row["empty"] == row["seats"], row
        assert row["applications"] >= row["filled"] + row["renounced"], row
    rounds = queries.rounds(Filters(year=2025)).rows
    assert {row["round"] for row in rounds} == {1, 2}
    sessions = queries.athens(Filters(year=2024)).rows
    assert [row["session"] for row in sessions] == ["athens-2025-03", "athens-2024-11"]
    assert all(row["participants"] and row["passed"] for row in sessions), sessions
    assert all(row["applications"] >= row["accepted"] for row in sessions), sessions
