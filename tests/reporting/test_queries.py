"""The figures against a small dataset counted by hand (tests/reporting/dataset.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from abroad.reporting import queries
from abroad.reporting.queries import Filters
from tests.reporting.dataset import YEAR, Dataset, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def data() -> Dataset:
    return build()


def by(figure: queries.Figure, column: str) -> dict[Any, dict[str, Any]]:
    return {row[column]: row for row in figure.rows}


def test_calls_count_applications_and_seats(data: Dataset) -> None:
    (row,) = queries.calls(Filters()).rows
    assert row["call"] == "eng-2025"
    assert (row["applications"], row["seats"], row["filled"], row["renounced"], row["empty"]) == (
        3,
        2,
        1,
        1,
        1,
    )


def test_rounds_count_each_outcome(data: Dataset) -> None:
    (row,) = queries.rounds(Filters()).rows
    assert (row["round"], row["offered"], row["accepted"], row["renounced"]) == (1, 2, 1, 1)


def test_mobilities_by_country_programme_level_duration(data: Dataset) -> None:
    countries = by(queries.by_country(Filters()), "country_code")
    assert countries["DE"]["mobilities"] == 3  # the withdrawn one is left out
    assert countries["FR"]["mobilities"] == 1
    programmes = by(queries.by_programme(Filters()), "programme_code")
    assert programmes["erasmus"]["mobilities"] == 3
    assert programmes["bilateral"]["mobilities"] == 1
    levels = by(queries.by_level(Filters()), "eqf")
    assert levels[7]["mobilities"] == 3
    assert levels[6]["mobilities"] == 1
    durations = by(queries.by_duration(Filters()), "months")
    assert durations[6]["mobilities"] == 3
    assert durations[10]["mobilities"] == 1
    partners = queries.by_partner(Filters()).rows
    assert [row["mobilities"] for row in partners] == [3, 1]


def test_learning_agreements_by_state_and_median_days(data: Dataset) -> None:
    states = by(queries.agreements_by_state(Filters()), "state_code")
    assert {key: row["versions"] for key, row in states.items()} == {
        "approved": 2,
        "signed": 1,
        "draft": 1,
    }
    days = by(queries.agreement_steps(Filters()), "step")
    assert days["submitted_approved"]["median_days"] == Decimal("4.0")  # 2, 4, 6
    assert days["approved_signed"]["median_days"] == Decimal("3.0")


def test_median_of_an_even_number_is_the_mean_of_the_middle_two(data: Dataset) -> None:
    from abroad.mobility.models import LearningAgreement

    found = LearningAgreement.objects.filter(mobility__in=data.mobilities[:2])
    assert queries.median_days(found, "student_signed_at", "promoter_signed_at") == Decimal("3.0")


def test_extensions_asked_and_granted(data: Dataset) -> None:
    rows = by(queries.extensions(Filters()), "outcome")
    assert rows["asked"]["requests"] == 2
    assert rows["granted"]["requests"] == 1
    assert rows["refused"]["requests"] == 1


def test_recognition_credits_and_courses(data: Dataset) -> None:
    (row,) = queries.recognition(Filters()).rows
    assert row["planned_credits"] == Decimal(12)
    assert row["recognised_credits"] == Decimal(6)
    assert row["credits_share"] == Decimal("50.0")
    assert (row["planned_courses"], row["recognised_courses"]) == (2, 1)
    assert row["courses_share"] == Decimal("50.0")


def test_grade_distribution(data: Dataset) -> None:
    assert queries.grades(Filters()).rows == [{"grade": "27", "courses": 1}]
    assert queries.grades(Filters(school=data.design.pk)).rows == []


def test_grades_are_ordered_as_grades() -> None:
    found = sorted(["30L", "A", "18", "30", "27", "19.5"], key=queries._grade_key)
    assert found == ["18", "19.5", "27", "30", "30L", "A"]


def test_grants_committed_and_paid(data: Dataset) -> None:
    (row,) = queries.grants(Filters()).rows
    assert row == {
        "academic_year": "2025/2026",
        "grants": 3,  # the zero-grant stay has none, the withdrawn one is left out
        "committed": Decimal("6500.00"),
        "paid": Decimal("1600.00"),
        "paid_mobilities": 1,
        "to_pay": Decimal("4900.00"),
        "paid_share": Decimal("24.6"),
    }
    (design,) = queries.grants(Filters(school=data.design.pk)).rows
    assert (design["committed"], design["paid"]) == (Decimal("3000.00"), Decimal(0))
    (berlin,) = queries.grants(Filters(country="DE"), scope=[data.engineering.pk]).rows
    assert berlin["committed"] == Decimal("3500.00")
    assert queries.grants(Filters(year=YEAR + 1)).rows == []
    assert queries.grants(Filters(), scope=[data.design.pk]).rows[0]["paid"] == Decimal(0)


def test_athens_participation(data: Dataset) -> None:
    (row,) = queries.athens(Filters(year=YEAR)).rows
    assert (row["applications"], row["accepted"], row["participants"], row["passed"]) == (
        2,
        1,
        1,
        1,
    )
    assert queries.athens(Filters(year=YEAR + 1)).rows == []


@pytest.mark.parametrize(
    ("filters", "countries"),
    [
        (lambda d: Filters(year=YEAR), {"DE": 3, "FR": 1}),
        (lambda d: Filters(year=YEAR + 1), {}),
        (lambda d: Filters(school=d.design.pk), {"FR": 1}),
        (lambda d: Filters(course=d.msc.pk), {"DE": 3}),
        (lambda d: Filters(programme="bilateral"), {"FR": 1}),
        (lambda d: Filters(country="DE"), {"DE": 3}),
    ],
)
def test_filters(data: Dataset, filters: Any, countries: dict[str, int]) -> None:
    rows = queries.by_country(filters(data)).rows
    assert {row["country_code"]: row["mobilities"] for row in rows} == countries


def test_filters_reach_calls_and_athens(data: Dataset) -> None:
    assert queries.calls(Filters(school=data.design.pk)).rows == []
    assert queries.calls(Filters(programme="bilateral")).rows[0]["applications"] == 0
    assert queries.athens(Filters(school=data.design.pk)).rows[0]["applications"] == 0
    assert queries.athens(Filters(programme="erasmus")).rows == []


def test_school_restriction_applies_on_top_of_the_filters(data: Dataset) -> None:
    """The optional scope (a School-scoped office user's Schools) narrows every figure."""
    design = [data.design.pk]
    for figure in queries.dashboard(Filters(), scope=design):
        if figure.key == "countries":
            assert {row["country_code"] for row in figure.rows} == {"FR"}
        if figure.key in ("calls", "rounds", "recognition"):
            assert figure.rows == [], figure.key
    # a School filter and a restriction to another School leave nothing
    assert queries.by_country(Filters(school=data.engineering.pk), scope=design).rows == []
    assert queries.athens(Filters(), scope=design).rows[0]["applications"] == 0
    engineering = queries.dashboard(Filters(), scope=[data.engineering.pk])
    assert {row["country_code"] for row in engineering[2].rows} == {"DE"}
    assert engineering[0].rows[0]["applications"] == 3
