"""The demo's past years (site/demo/history.py): three academic years of mobilities with
learning agreements, extensions, recognitions and grants, deterministic, loaded once, so that
every figure of the dashboard has rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from abroad.catalogue.enums import Programme
from abroad.core.models import AuditEvent
from abroad.grants.models import GrantCase, Payment, RateTable
from abroad.mobility.models import Mobility
from abroad.reporting import queries
from abroad.reporting.queries import Filters
from abroad.site.demo.history import ORIGIN, load_history_demo
from tests.factories import (
    AgreementFactory,
    CourseOfStudyFactory,
    InstitutionFactory,
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
    for figure in queries.dashboard(Filters(year=2024)):
        if figure.key in ("calls", "rounds", "athens"):
            continue  # the calls and ATHENS sessions are other demos'
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
