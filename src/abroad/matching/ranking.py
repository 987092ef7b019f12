"""Ranking formulas: how a call turns a student's career into a merit score. Pure Python.

Engineering (reported for the engineering Schools, about 2015; configurable, not presented as
an official rule):

    score = M + 0.1 * ((CFU_I + CFU_II) / (Y - 1) - 30) - 5 * n

M is the credit-weighted average over both levels, CFU_I and CFU_II the credits earned at
each level, Y the years since first enrolment (counted at the call, the year before the
mobility, see :func:`years_enrolled`) and n the previous exchanges.

Commission (Design, Architecture): portfolio (0-10) + languages, motivation and CV (0-10) +
interview (0-10) + the average (up to 30).

Ties are broken, in order, by the higher weighted average, fewer previous exchanges, the
earlier submission, and finally the application's number: see :func:`tie_break`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Career:
    average: Decimal | None  # M, credit-weighted, 18-30
    credits: int  # CFU_I + CFU_II
    years_enrolled: int  # Y
    previous_exchanges: int  # n


def years_enrolled(first_enrolment_year: int, applying_in: int) -> int:
    """Y of the formula: the academic years the student has been enrolled in when applying,
    the year of application included. Both years are start years (2026 for 2026/27):
    ``applying_in`` is the academic year in which the student applies, not the one they would
    go in. Enrolled in 2023, applying in 2026/27: Y = 4 (2023/24 to 2026/27).

    A call applies the year before its mobility (a call for 2027/28 passes 2026); an ATHENS
    session applies in the academic year it falls in (March 2027 passes 2026)."""
    return applying_in - first_enrolment_year + 1


@dataclass(frozen=True)
class CommissionMarks:
    portfolio: Decimal
    languages_motivation_cv: Decimal
    interview: Decimal


@dataclass(frozen=True)
class Score:
    value: Decimal
    parts: dict[str, str]  # each term, for the explanation shown to the student and office


THREE_PLACES = Decimal("0.001")


def engineering(career: Career) -> Score:
    average = career.average or Decimal(0)
    years = max(career.years_enrolled - 1, 1)
    pace = Decimal(career.credits) / years
    bonus = Decimal("0.1") * (pace - 30)
    penalty = Decimal(5) * career.previous_exchanges
    value = (average + bonus - penalty).quantize(THREE_PLACES, rounding=ROUND_HALF_UP)
    return Score(
        value=value,
        parts={
            "average": str(average.quantize(THREE_PLACES)),
            "credits_per_year": str(pace.quantize(THREE_PLACES)),
            "credits_bonus": str(bonus.quantize(THREE_PLACES)),
            "exchanges_penalty": str(penalty),
        },
    )


def commission(career: Career, marks: CommissionMarks | None) -> Score:
    average = career.average or Decimal(0)
    if marks is None:
        return Score(value=Decimal(0), parts={"missing": "commission marks not entered"})
    value = (marks.portfolio + marks.languages_motivation_cv + marks.interview + average).quantize(
        THREE_PLACES, rounding=ROUND_HALF_UP
    )
    return Score(
        value=value,
        parts={
            "portfolio": str(marks.portfolio),
            "languages_motivation_cv": str(marks.languages_motivation_cv),
            "interview": str(marks.interview),
            "average": str(average.quantize(THREE_PLACES)),
        },
    )


def tie_break(
    *, average: Decimal | None, previous_exchanges: int, submitted_order: int
) -> tuple[float, ...]:
    """Smaller first: the higher average, then fewer previous exchanges, then who submitted
    first (the application's number breaks any tie left)."""
    return (-float(average or 0), float(previous_exchanges), float(submitted_order))


# The order in which a score's parts are shown. The database may not keep a JSON object's key
# order (PostgreSQL's jsonb does not), so pages and exports sort the parts with this.
PART_ORDER = (
    "average",
    "credits_per_year",
    "credits_bonus",
    "exchanges_penalty",
    "portfolio",
    "languages_motivation_cv",
    "interview",
    "missing",
)


def ordered_parts(details: dict[str, str] | None) -> list[tuple[str, str]]:
    """A score's parts in PART_ORDER (unknown parts last, by name)."""
    position = {name: index for index, name in enumerate(PART_ORDER)}
    return sorted(
        (details or {}).items(), key=lambda item: (position.get(item[0], len(position)), item[0])
    )
