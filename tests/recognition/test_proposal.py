"""The arithmetic of a proposed recognition line (recognition/proposal.py), as properties over
random home grades and credits: pure, no database."""

from __future__ import annotations

from decimal import Decimal as D
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from abroad.recognition.conversion import Grade, Scale
from abroad.recognition.proposal import (
    Flag,
    average,
    line_credits,
    line_grade,
    weight,
)
from abroad.recognition.scales import ECTS, GERMANY, ITALY, US_LETTERS

NUMERIC = (ITALY, GERMANY)
SCALES = (ITALY, GERMANY, US_LETTERS, ECTS)

credits = st.one_of(st.none(), st.sampled_from([D(0), D(1), D("2.5"), D(3), D(6), D(12)]))


@st.composite
def converted(draw: st.DrawFn, scale: Scale, min_size: int = 1) -> list[tuple[D | None, Grade]]:
    grades = list(scale.passing_grades())
    return draw(
        st.lists(st.tuples(credits, st.sampled_from(grades)), min_size=min_size, max_size=8)
    )


def test_weight_is_the_credits_or_one() -> None:
    assert weight(D(6)) == 6
    assert weight(D("2.5")) == D("2.5")
    assert weight(None) == 1
    assert weight(D(0)) == 1


def test_a_known_average() -> None:
    pairs = [(D(6), ITALY.parse("23")), (D(6), ITALY.parse("28")), (D(3), ITALY.parse("19"))]
    grade, exact = average(pairs, ITALY)
    assert exact is not None
    assert exact.quantize(D("0.1")) == D("24.2")
    assert grade.label == "24"


def test_nothing_to_average_is_an_error() -> None:
    with pytest.raises(ValueError, match="no grade"):
        average([], ITALY)


@given(st.sampled_from(SCALES).flatmap(lambda scale: st.tuples(st.just(scale), converted(scale))))
def test_the_average_is_a_passing_home_grade(
    case: tuple[Scale, list[tuple[D | None, Grade]]],
) -> None:
    scale, pairs = case
    grade, exact = average(pairs, scale)
    assert grade.passed
    assert grade in scale.passing_grades()
    assert (exact is None) == (len(pairs) == 1)


@given(st.sampled_from(SCALES).flatmap(lambda scale: st.tuples(st.just(scale), converted(scale))))
def test_one_grade_is_kept_as_it_is(case: tuple[Scale, list[tuple[D | None, Grade]]]) -> None:
    scale, pairs = case
    grade, exact = average(pairs[:1], scale)
    assert grade == pairs[0][1]
    assert exact is None


@given(
    st.sampled_from(SCALES).flatmap(lambda scale: st.tuples(st.just(scale), converted(scale, 2))),
    st.randoms(use_true_random=False),
)
def test_the_order_of_the_entries_does_not_matter(
    case: tuple[Scale, list[tuple[D | None, Grade]]], random: Random
) -> None:
    scale, pairs = case
    shuffled = list(pairs)
    random.shuffle(shuffled)
    assert average(shuffled, scale) == average(pairs, scale)


@given(
    st.sampled_from(SCALES).flatmap(
        lambda scale: st.tuples(st.just(scale), st.sampled_from(list(scale.passing_grades())))
    ),
    st.lists(credits, min_size=2, max_size=6),
)
def test_equal_grades_average_to_that_grade(
    case: tuple[Scale, Grade], weights: list[D | None]
) -> None:
    scale, grade = case
    got, _exact = average([(w, grade) for w in weights], scale)
    assert got == grade


@given(
    st.sampled_from(NUMERIC).flatmap(lambda scale: st.tuples(st.just(scale), converted(scale, 2)))
)
def test_a_numeric_average_lies_between_the_grades(
    case: tuple[Scale, list[tuple[D | None, Grade]]],
) -> None:
    scale, pairs = case
    grade, exact = average(pairs, scale)
    values = [g.value for _w, g in pairs if g.value is not None]
    assert exact is not None
    assert min(values) <= exact <= max(values)
    if not grade.honours:  # the nearest passing grade: none is closer
        assert grade.value is not None
        distance = abs(grade.value - exact)
        for other in scale.passing_grades():
            if not other.honours and other.value is not None:
                assert distance <= abs(other.value - exact)


@given(converted(ITALY, 2))
def test_honours_only_when_every_grade_is_honours(pairs: list[tuple[D | None, Grade]]) -> None:
    grade, _exact = average(pairs, ITALY)
    assert grade.honours == all(g.honours for _w, g in pairs)


ITALIAN_OR_FAILED = st.one_of(st.none(), st.sampled_from(list(ITALY.passing_grades())))


@given(st.lists(st.tuples(credits, ITALIAN_OR_FAILED), max_size=6))
def test_the_flag_follows_the_entries_that_passed(
    entries: list[tuple[D | None, Grade | None]],
) -> None:
    outcome = line_grade(entries, ITALY)
    passing = [(w, g) for w, g in entries if g is not None]
    if not passing:
        assert (outcome.flag, outcome.grade, outcome.average) == (Flag.FAILED, "", "")
    elif len(passing) == len(entries):
        assert outcome.flag is Flag.NONE
        assert outcome.grade == outcome.average == average(passing, ITALY)[0].label
        assert outcome.passing_give == ""
    else:
        assert (outcome.flag, outcome.grade) == (Flag.PARTIAL, "")
        assert outcome.passing_give == average(passing, ITALY)[0].label


@given(st.sampled_from(["", "24", "30L"]), credits)
def test_credits_follow_the_grade(grade: str, ects: D | None) -> None:
    got = line_credits(grade, ects)
    assert got == (ects if grade and ects is not None else 0)
