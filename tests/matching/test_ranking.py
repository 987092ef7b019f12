"""The career rule calls and ATHENS sessions share: the years of enrolment a merit score
divides the credits by."""

from __future__ import annotations

import pytest

from abroad.matching.ranking import years_enrolled

pytestmark = pytest.mark.unit


def test_the_year_of_application_counts() -> None:
    assert years_enrolled(2023, applying_in=2026) == 4
    assert years_enrolled(2026, applying_in=2026) == 1


def test_a_call_and_a_session_applied_to_in_the_same_year_count_the_same() -> None:
    """A call for the mobility year 2027/28 is applied to in 2026/27 (it passes 2026); an ATHENS
    session in March 2027 falls in 2026/27 (it passes 2026 too)."""
    call_mobility_year, session_academic_year = 2027, 2026
    assert years_enrolled(2023, applying_in=call_mobility_year - 1) == years_enrolled(
        2023, applying_in=session_academic_year
    )
