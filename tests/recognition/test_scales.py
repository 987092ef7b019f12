"""The grading scales: parsing, canonical text, order and pass marks of the standard scales, the
definition of new ones, and the ValueErrors for grades and definitions that do not fit."""

from __future__ import annotations

import re
from decimal import Decimal as D
from typing import Any

import pytest

from abroad.recognition.conversion import (
    Direction,
    Grade,
    GradeLike,
    NumericScale,
    OrderedScale,
    Scale,
)
from abroad.recognition.scales import (
    AUSTRIA,
    ECTS,
    FRANCE,
    GERMANY,
    ITALY,
    NETHERLANDS,
    SPAIN,
    STANDARD_SCALES,
    UK,
    UK_POSTGRADUATE,
    US_LETTERS,
    define_scale,
)

pytestmark = pytest.mark.unit


# ------------------------------------------------------------------------- parse, format


@pytest.mark.parametrize(
    ("scale", "given", "label"),
    [
        (ITALY, "27", "27"),
        (ITALY, 27, "27"),
        (ITALY, D("27"), "27"),
        (ITALY, " 30L ", "30L"),
        (ITALY, "30 e lode", "30L"),
        (ITALY, "30 l", "30L"),
        (ITALY, "17", "17"),
        (FRANCE, "14", "14"),
        (FRANCE, "14,5", "14.5"),
        (FRANCE, "13.75", "13.75"),
        (FRANCE, "14.50", "14.5"),
        (FRANCE, 12.25, "12.25"),
        (GERMANY, "1,3", "1.3"),
        (GERMANY, "2", "2.0"),
        (GERMANY, D("5"), "5.0"),
        (SPAIN, "7.5", "7.5"),
        (SPAIN, "matrícula de honor", "MH"),
        (SPAIN, "mh", "MH"),
        (NETHERLANDS, "5,5", "5.5"),
        (UK, "40", "40"),
        (US_LETTERS, "b+", "B+"),
        (US_LETTERS, "A−", "A-"),  # typographic minus
        (ECTS, " fx ", "FX"),
        (AUSTRIA, 3, "3"),
    ],
)
def test_parse_and_format_give_the_canonical_label(
    scale: Scale, given: GradeLike, label: str
) -> None:
    assert scale.parse(given).label == label
    assert scale.format(given) == label
    assert scale.parse(scale.parse(given)) == scale.parse(given)  # a Grade parses as itself


@pytest.mark.parametrize(
    ("scale", "given", "message"),
    [
        (
            FRANCE,
            "12.555",
            "12.555 is not a grade of France 0-20 (0-20, pass 10, step 0.01): grades go in "
            "steps of 0.01",
        ),
        (
            FRANCE,
            "21",
            "21 is not a grade of France 0-20 (0-20, pass 10, step 0.01): it is above the "
            "highest grade 20",
        ),
        (
            FRANCE,
            -1,
            "-1 is not a grade of France 0-20 (0-20, pass 10, step 0.01): it is below the "
            "lowest grade 0",
        ),
        (
            ITALY,
            "ottimo",
            "'ottimo' is not a grade of Italy 0-30 (0-30, pass 18, step 1, honours 30L): give "
            "a number or 30L",
        ),
        (ITALY, "27.5", "grades go in steps of 1"),
        (ITALY, "NaN", "give a number"),
        (GERMANY, "1.5", "1.5 is not a grade of Germany 1.0-5.0 (1.0-5.0, lower is better"),
        (GERMANY, "4.3", "it is not one of the listed grades"),
        (
            US_LETTERS,
            "G",
            "'G' is not a grade of US letters (A, A-, B+, B, B-, C+, C, C-, D+, D, F; pass D): "
            "the grades are A, A-, B+",
        ),
        (US_LETTERS, 3, "give one of the grades, as text"),
        (ECTS, "A+", "is not a grade of ECTS"),
        (SPAIN, True, "give a number"),
    ],
)
def test_a_grade_outside_the_scale_is_a_clear_value_error(
    scale: Scale, given: object, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        scale.parse(given)  # type: ignore[arg-type]  # bad input on purpose


def test_grades_carry_rank_pass_and_value() -> None:
    assert ITALY.parse("30L") == Grade("30L", 0, True, D(30), honours=True)
    assert ITALY.parse("30") == Grade("30", 1, True, D(30))
    assert ITALY.parse("18") == Grade("18", 13, True, D(18))
    assert ITALY.parse("17") == Grade("17", 14, False, D(17))
    assert GERMANY.parse("1.0") == Grade("1.0", 0, True, D("1.0"))
    assert GERMANY.parse("4.0") == Grade("4.0", 9, True, D("4.0"))
    assert GERMANY.parse("5.0") == Grade("5.0", 10, False, D("5.0"))
    assert US_LETTERS.parse("B") == Grade("B", 3, True, D("3.0"))
    assert ECTS.parse("E") == Grade("E", 4, True, None)
    assert str(ITALY.parse("30 e lode")) == "30L"


# ------------------------------------------------------------------ order and pass marks


@pytest.mark.parametrize(
    ("scale", "better", "worse"),
    [
        (ITALY, "30L", "30"),
        (ITALY, "30", "18"),
        (ITALY, "18", "0"),
        (FRANCE, "10.01", "10"),
        (GERMANY, "1.0", "1.3"),
        (GERMANY, "4.0", "5.0"),
        (AUSTRIA, "1", "5"),
        (SPAIN, "MH", "10"),
        (NETHERLANDS, "6", "5.5"),
        (UK, "70", "69"),
        (US_LETTERS, "A", "A-"),
        (US_LETTERS, "D", "F"),
        (ECTS, "E", "FX"),
        (ECTS, "FX", "F"),
    ],
)
def test_compare_better_and_worse(scale: Scale, better: str, worse: str) -> None:
    assert scale.compare(better, worse) == 1
    assert scale.compare(worse, better) == -1
    assert scale.compare(better, better) == 0
    assert scale.better(better, worse)
    assert not scale.better(worse, better)
    assert not scale.better(better, better)


@pytest.mark.parametrize(
    ("scale", "lowest_pass", "highest_fail", "best", "size"),
    [
        (ITALY, "18", "17", "30L", 32),
        (FRANCE, "10", "9.99", "20", 2001),
        (GERMANY, "4.0", "5.0", "1.0", 11),
        (SPAIN, "5", "4.9", "MH", 102),
        (NETHERLANDS, "5.5", "5.4", "10", 91),
        (UK, "40", "39", "100", 101),
        (UK_POSTGRADUATE, "50", "49", "100", 101),
        (US_LETTERS, "D", "F", "A", 11),
        (ECTS, "E", "FX", "A", 7),
        (AUSTRIA, "4", "5", "1", 5),
    ],
)
def test_standard_pass_marks(
    scale: Scale, lowest_pass: str, highest_fail: str, best: str, size: int
) -> None:
    assert scale.is_pass(lowest_pass)
    assert not scale.is_pass(highest_fail)
    assert scale.lowest_pass.label == lowest_pass
    assert scale.best.label == best
    assert scale.size == size == len(scale.grades())
    assert scale.passing_grades() == scale.grades()[: scale.pass_rank + 1]


@pytest.mark.parametrize("scale", list(STANDARD_SCALES.values()), ids=list(STANDARD_SCALES))
def test_every_grade_of_a_standard_scale_round_trips_in_order(scale: Scale) -> None:
    grades = scale.grades()
    assert [g.rank for g in grades] == list(range(scale.size))
    for grade in grades:
        assert scale.parse(grade.label) == grade
    passed = [g.passed for g in grades]
    assert passed == sorted(passed, reverse=True)  # passing grades first, then the fails
    if scale.numeric:
        numbers = [g.value for g in grades if not g.honours]
        assert numbers == sorted(numbers, reverse=scale.higher_is_better)  # type: ignore[type-var]


def test_describe() -> None:
    assert ITALY.describe() == "0-30, pass 18, step 1, honours 30L"
    assert GERMANY.describe() == (
        "1.0-5.0, lower is better, pass 4.0, grades 1.0 1.3 1.7 2.0 2.3 2.7 3.0 3.3 3.7 4.0 5.0"
    )
    assert ECTS.describe() == "A, B, C, D, E, FX, F; pass E"
    assert str(FRANCE) == "France 0-20"


# ------------------------------------------------------------------------ defining scales


def test_define_a_numeric_scale_from_form_input() -> None:
    scale = define_scale(
        "Portugal 0-20", lowest="0", highest="20", pass_mark="9,5", step="0,5", honours=None
    )
    assert scale == NumericScale(
        "Portugal 0-20", lowest=D(0), highest=D(20), pass_mark=D("9.5"), step=D("0.5")
    )
    assert scale.is_pass("9.5")
    assert not scale.is_pass("9")


def test_define_a_lower_is_better_scale_with_values_and_an_ordered_scale() -> None:
    czech = define_scale(
        "Czechia 1-4", values=["1", "1.5", "2", "2.5", "3", "4"], pass_mark=3, lower_is_better=True
    )
    assert isinstance(czech, NumericScale)
    assert czech.direction is Direction.LOWER_IS_BETTER
    assert czech.better("1.5", "2")
    assert czech.lowest_pass.label == "3"
    sweden = define_scale("Sweden", grades=["VG", "G", "U"], pass_mark="g", points=["2", "1", "0"])
    assert isinstance(sweden, OrderedScale)
    assert sweden.pass_mark == "G"
    assert sweden.is_pass("g")
    assert not sweden.is_pass("U")
    assert sweden.numeric


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lowest": 20, "highest": 0, "pass_mark": 10, "step": 1}, "must be below the highest"),
        ({"lowest": 0, "highest": 20, "pass_mark": 25, "step": 1}, "pass mark 25 is outside"),
        ({"lowest": 0, "highest": 20, "pass_mark": 10, "step": "0.3"}, "whole number of steps"),
        ({"lowest": 0, "highest": 20, "pass_mark": "10.5", "step": 1}, "not on the steps of 1"),
        ({"lowest": 0, "highest": 20, "pass_mark": 10, "step": 0}, "step must be above 0"),
        ({"lowest": 0, "highest": 20, "pass_mark": 10}, "give the step between grades"),
        ({"lowest": 0, "highest": 20, "pass_mark": 10, "step": "x"}, "the step must be a number"),
        (
            {"lowest": 0, "highest": 100, "pass_mark": 50, "step": "0.0001"},
            "too many .*coarser step",
        ),
        (
            {"lowest": 0, "highest": 30, "pass_mark": 18, "step": 1, "honours": "31"},
            "reads as a number",
        ),
        ({"values": [1, 2, 2, 3], "pass_mark": 2}, "listed twice"),
        ({"values": [1, 2, 3], "pass_mark": "2.5"}, "not one of the values"),
        ({"grades": ["A", "B", "a"], "pass_mark": "B"}, "'a' is listed twice"),
        ({"grades": ["A", "B"], "pass_mark": "C"}, "pass mark 'C' is not one of the grades"),
        ({"grades": ["A"], "pass_mark": "A"}, "at least two grades"),
        ({"grades": ["A", "10"], "pass_mark": "A"}, "is a number; use a numeric scale"),
        ({"grades": ["A", "B"], "pass_mark": "B", "points": [1, 2]}, "points must fall"),
        ({"grades": ["A", "B"], "pass_mark": "B", "points": [1]}, "points for each"),
        ({"grades": ["A", "B"], "pass_mark": "B", "step": 1}, "takes no step"),
        ({"pass_mark": 10}, "give the lowest and highest"),
    ],
)
def test_a_bad_scale_definition_is_a_clear_value_error(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        define_scale("Office scale", **kwargs)


def test_a_scale_needs_a_name() -> None:
    with pytest.raises(ValueError, match="needs a name"):
        define_scale(" ", lowest=0, highest=10, pass_mark=5, step=1)
