"""The standard grading scales, and :func:`define_scale` for the ones an office adds.

Sources: ../shared/research/domain-facts.md, section 3.4 (tags C = confirmed from an official
page, S = secondary). Choices where the sources leave room:

* Italy: 0-30, pass 18, 30 e lode written "30L" (C). Marks below 18 are fails: they are never
  recorded in a career, but they are grades a partner's transcript may show, so the scale
  starts at 0 and a converted grade is always 18-30L (or FAIL).
* France: 0-20, pass 10 (C), in steps of 0.01 because transcripts print averages such as 13.75.
* Germany: 1.0-5.0, lower is better, pass 4.0 (C). A numeric scale over the explicit grades
  1.0 1.3 1.7 2.0 2.3 2.7 3.0 3.3 3.7 4.0 5.0 (no 0.7, 4.3 or 4.7), not an ordered one: the
  linear (Bavarian) formula needs the numbers. Labels keep one decimal ("1.0"); "1,3" parses.
* Spain: 0-10 in steps of 0.1, pass 5 (Real Decreto 1125/2003, C), with Matrícula de Honor as
  the honours grade "MH" above 10.
* Netherlands: 1-10 in steps of 0.1. Leiden and EUR (C) give "pass 6, 5.5 rounds to 6": a
  recorded 5.5 passes, so the pass mark here is 5.5.
* UK: percentages 0-100 in whole marks, pass 40 for undergraduate modules (C, York); masters
  modules pass at 50 (S), hence :data:`UK_POSTGRADUATE`.
* US: letters A, A-, B+, B, B-, C+, C, C-, D+, D, F with GPA points 4.0 ... 1.0, 0 (S), pass D;
  no A+ (schools disagree on 4.0 or 4.3) and no D-.
* ECTS: A-E pass, FX and F fail (C), as :data:`abroad.recognition.conversion.ECTS`.
* Austria: 1-5, lower is better, pass 4 (C).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Final

from abroad.recognition.conversion import (
    ECTS,
    Direction,
    NumericScale,
    OrderedScale,
    Scale,
)
from abroad.recognition.conversion.grades import _number

__all__ = [
    "AUSTRIA",
    "ECTS",
    "FRANCE",
    "GERMANY",
    "ITALY",
    "NETHERLANDS",
    "SPAIN",
    "STANDARD_SCALES",
    "UK",
    "UK_POSTGRADUATE",
    "US_LETTERS",
    "define_scale",
]

D = Decimal

ITALY: Final = NumericScale(
    "Italy 0-30",
    lowest=D(0),
    highest=D(30),
    pass_mark=D(18),
    step=D(1),
    honours="30L",
    honours_aliases=("30 e lode", "30 lode", "30 cum laude", "30 con lode"),
)
FRANCE: Final = NumericScale(
    "France 0-20", lowest=D(0), highest=D(20), pass_mark=D(10), step=D("0.01")
)
GERMANY: Final = NumericScale(
    "Germany 1.0-5.0",
    lowest=D("1.0"),
    highest=D("5.0"),
    pass_mark=D("4.0"),
    values=tuple(
        D(v) for v in ("1.0", "1.3", "1.7", "2.0", "2.3", "2.7", "3.0", "3.3", "3.7", "4.0", "5.0")
    ),
    direction=Direction.LOWER_IS_BETTER,
    decimals=1,
)
SPAIN: Final = NumericScale(
    "Spain 0-10",
    lowest=D(0),
    highest=D(10),
    pass_mark=D(5),
    step=D("0.1"),
    honours="MH",
    honours_aliases=("Matrícula de Honor", "Matricula de Honor", "10 MH"),
)
NETHERLANDS: Final = NumericScale(
    "Netherlands 1-10", lowest=D(1), highest=D(10), pass_mark=D("5.5"), step=D("0.1")
)
UK: Final = NumericScale(
    "UK percentage (undergraduate)", lowest=D(0), highest=D(100), pass_mark=D(40), step=D(1)
)
UK_POSTGRADUATE: Final = NumericScale(
    "UK percentage (postgraduate)", lowest=D(0), highest=D(100), pass_mark=D(50), step=D(1)
)
US_LETTERS: Final = OrderedScale(
    "US letters",
    labels=("A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "F"),
    pass_mark="D",
    points=tuple(
        D(p) for p in ("4.0", "3.7", "3.3", "3.0", "2.7", "2.3", "2.0", "1.7", "1.3", "1.0", "0")
    ),
)
AUSTRIA: Final = NumericScale(
    "Austria 1-5",
    lowest=D(1),
    highest=D(5),
    pass_mark=D(4),
    step=D(1),
    direction=Direction.LOWER_IS_BETTER,
)

# By a short key, for settings and fixtures.
STANDARD_SCALES: Final[Mapping[str, Scale]] = {
    "it": ITALY,
    "fr": FRANCE,
    "de": GERMANY,
    "es": SPAIN,
    "nl": NETHERLANDS,
    "uk": UK,
    "uk-pg": UK_POSTGRADUATE,
    "us": US_LETTERS,
    "ects": ECTS,
    "at": AUSTRIA,
}


def define_scale(
    name: str,
    *,
    pass_mark: object,
    lowest: object = None,
    highest: object = None,
    step: object = None,
    values: Iterable[object] | None = None,
    lower_is_better: bool = False,
    honours: str | None = None,
    grades: Iterable[str] | None = None,
    points: Iterable[object] | None = None,
) -> Scale:
    """A scale an office defines, from loose input (strings from a form or a CSV).

    Either ``grades`` (labels, best first) with ``pass_mark`` the worst passing label and
    optional ``points``: an ordered scale; or ``lowest``, ``highest``, ``pass_mark`` and
    ``step`` (or the list of ``values``), with ``lower_is_better`` and an optional ``honours``
    label: a numeric scale. Numbers may be written "5,5". ValueError names what to fix.
    """
    if grades is not None:
        extra = [
            what
            for what, given in (
                ("lowest", lowest),
                ("highest", highest),
                ("step", step),
                ("values", values),
                ("honours", honours),
            )
            if given is not None
        ] + (["lower_is_better"] if lower_is_better else [])
        if extra:
            raise ValueError(
                f"scale {name!r}: an ordered scale (grades) takes no {', '.join(extra)}; "
                "give either the grades or a numeric range"
            )
        labels = tuple(grades)
        return OrderedScale(
            name,
            labels,
            str(pass_mark),
            tuple(_decimal(p, name, "points") for p in points) if points is not None else (),
        )
    if points is not None:
        raise ValueError(f"scale {name!r}: points are for ordered scales (grades)")
    if values is not None:
        numbers = tuple(_decimal(v, name, "a value") for v in values)
        if not numbers:
            raise ValueError(f"scale {name!r}: the list of values is empty")
        lowest = min(numbers) if lowest is None else lowest
        highest = max(numbers) if highest is None else highest
    else:
        numbers = ()
    if lowest is None or highest is None:
        raise ValueError(
            f"scale {name!r}: give the lowest and highest numbers (a numeric scale) or the "
            "grades best first (an ordered scale)"
        )
    return NumericScale(
        name,
        lowest=_decimal(lowest, name, "the lowest grade"),
        highest=_decimal(highest, name, "the highest grade"),
        pass_mark=_decimal(pass_mark, name, "the pass mark"),
        step=None if step is None else _decimal(step, name, "the step"),
        values=numbers,
        direction=Direction.LOWER_IS_BETTER if lower_is_better else Direction.HIGHER_IS_BETTER,
        honours=honours or None,
    )


def _decimal(value: object, name: str, what: str) -> Decimal:
    return _number(value, f"scale {name!r}: {what}")
