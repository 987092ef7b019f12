"""The arithmetic of a proposed recognition line, pure (no database, no Django): from the home
grades the host entries it recognises converted to (and their credits), the line's grade, the
exact average, what the passing ones would give, its flag and its credits.

The rules (see also :mod:`abroad.recognition.services`):

* an entry weighs its ECTS credits, or 1 when it has none (or 0);
* one converted grade is kept as it is (no average);
* several: the credit-weighted average, rounded to the nearest passing home grade, a tie to the
  better grade; on a numeric scale by number, honours left out, and the honours grade only when
  every grade is honours; on an ordered scale by rank;
* every entry passed: the line gets the average; some failed or are missing: no grade, flag
  ``partial`` (with what the passing ones give); none passed (or none at all): flag ``failed``;
* a line's credits are the home component's ECTS when it has a grade, else none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from abroad.recognition.conversion import Grade, Scale

__all__ = ["Flag", "LineGrade", "average", "line_credits", "line_grade", "weight"]


class Flag(StrEnum):
    """Why a line needs the promoter's eye (``enums.LineFlag``'s values)."""

    NONE = ""
    FAILED = "failed"
    PARTIAL = "partial"


def weight(ects: Decimal | None) -> Decimal:
    """An entry's weight in the average: its credits, or 1 without (or with 0)."""
    return ects if ects else Decimal(1)


def average(
    converted: Sequence[tuple[Decimal | None, Grade]], home: Scale
) -> tuple[Grade, Decimal | None]:
    """The credit-weighted average of the converted home grades (each with its entry's ECTS),
    as a passing home grade, and the exact average (None for a single grade, kept as it is).
    ValueError for no grade."""
    if not converted:
        raise ValueError("no grade to average")
    if len(converted) == 1:
        return converted[0][1], None
    grades = [grade for _ects, grade in converted]
    total = sum((weight(ects) for ects, _grade in converted), Decimal(0))
    honours = home.honours_grade
    if home.numeric:
        exact = (
            sum(
                (weight(ects) * (grade.value or Decimal(0)) for ects, grade in converted),
                Decimal(0),
            )
            / total
        )
        if honours is not None and all(grade.honours for grade in grades):
            return honours, exact
        candidates = [g for g in home.passing_grades() if not g.honours]
        best = min(candidates, key=lambda g: (abs((g.value or Decimal(0)) - exact), g.rank))
        return best, exact
    exact = sum((weight(ects) * grade.rank for ects, grade in converted), Decimal(0)) / total
    return min(home.passing_grades(), key=lambda g: (abs(g.rank - exact), g.rank)), exact


@dataclass(frozen=True)
class LineGrade:
    """A line's proposed grade ("" for none), the exact average (None: no average was taken),
    what the passing entries give ("" unless some failed), and its flag."""

    grade: str
    exact: Decimal | None
    average: str
    passing_give: str
    flag: Flag


def line_grade(entries: Sequence[tuple[Decimal | None, Grade | None]], home: Scale) -> LineGrade:
    """The grade of a line recognising ``entries``: each its ECTS and its converted home grade
    (None when it failed or is missing)."""
    passing = [(ects, grade) for ects, grade in entries if grade is not None]
    if not passing:
        return LineGrade("", None, "", "", Flag.FAILED)
    grade, exact = average(passing, home)
    if len(passing) == len(entries):
        return LineGrade(grade.label, exact, grade.label, "", Flag.NONE)
    return LineGrade("", exact, grade.label, grade.label, Flag.PARTIAL)


def line_credits(grade: str, ects: Decimal | None) -> Decimal:
    """A line's credits: the home component's ECTS with a grade, none without."""
    return ects if grade and ects is not None else Decimal(0)
