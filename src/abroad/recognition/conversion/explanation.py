"""A conversion's result and its structured explanation (data, never words: the words are
:mod:`abroad.recognition.conversion.wording`'s, in the reader's language)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any, Final, Protocol

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy

from abroad.recognition.conversion.grades import (
    Grade,
    GradeLike,
    Scale,
    _plain,
)

# --------------------------------------------------------------------------------- results


class Fail(Enum):
    """The outcome of a failing host grade: there is no home grade."""

    FAIL = "FAIL"

    def __str__(self) -> str:
        return self.value


FAIL: Final = Fail.FAIL


class Method(TextChoices):
    """How a conversion rule turns a host grade into a home grade: the one enum and the one
    spelling, stored in ``ConversionRule.method`` and in every stored explanation. A Django
    choices enum for its labels only (lazy: nothing here needs Django set up); the words of an
    explanation are :mod:`.wording`'s."""

    FIXED_TABLE = "fixed_table", gettext_lazy("Fixed table")
    GRADING_TABLES = "grading_tables", gettext_lazy("Grading tables (EGRACONS)")
    TWO_STEP = "two_step", gettext_lazy("Two-step table through ECTS letters")
    LINEAR = "linear", gettext_lazy("Linear formula")
    ECTS_FALLBACK = "ects_fallback", gettext_lazy("ECTS letters (10/25/30/25/10)")


class OverlapPolicy(StrEnum):
    """Which home grade a host grade's percentage range gives (see the module docstring)."""

    CLOSEST = "closest"
    AVERAGE = "average"
    TOP = "top"


class Rounding(StrEnum):
    """How an exact value becomes a home grade (among the passing home grades)."""

    HALF_UP = "half up"  # the nearest grade; a tie goes to the higher number
    NEAREST = "nearest"  # the nearest grade; a tie goes to the better grade
    DOWN = "down"  # the grade with the highest number not above the value
    UP = "up"  # the grade with the lowest number not below the value


class Cycle(StrEnum):
    FIRST = "first"
    SECOND = "second"
    THIRD = "third"
    SINGLE = "long single"


@dataclass(frozen=True, slots=True)
class Overlap:
    """A home grade's range in a grading table (percent of passing grades, from the top) and
    the part of the host grade's range it covers (percentage points)."""

    grade: str
    start: Decimal
    end: Decimal
    overlap: Decimal


@dataclass(frozen=True, slots=True)
class Group:
    """A grading table's reference group: the institution ("" when not named), the ISCED-F
    field, the cycle (``Cycle``'s value) and the academic years."""

    institution: str
    isced: str
    cycle: str
    years: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a host grade converted as it did; the fields a method does not use stay empty.

    Every method: ``method``, ``rule`` (the strategy's name), ``host_scale`` and
    ``home_scale``; for FAIL, ``pass_mark`` (the host's worst passing grade). Fixed and two-step
    tables: ``row`` (1-based, as the bands were given) and ``band`` (start, end, grade).
    Two-step: ``letter``, ``home_band`` (start, end) and ``within_band`` (the host grade's
    place from the best among the host grades giving that letter, and how many they are).
    Grading tables and ECTS fallback: ``host_range`` (percent of passing grades, from the top),
    ``policy``, ``midpoint`` (closest), ``home_range`` (the chosen grade's range, for closest
    and top), ``overlaps`` (every home grade overlapping the host range), ``host_table`` and
    ``home_table`` (which reference groups, in words, for the code that reads them; stored as
    ``host_group`` and ``home_group``, data). Linear: ``formula``, ``exact`` (before
    rounding), ``rounding``. ``honours`` is the home honours grade the host's best grade gave
    (lode at best). Data, never words: :mod:`.wording` says it in the reader's language.
    """

    method: Method
    rule: str = ""
    host_scale: str = ""
    home_scale: str = ""
    pass_mark: str = ""
    row: int | None = None
    band: tuple[str, str, str] | None = None
    letter: str = ""
    home_band: tuple[str, str] | None = None
    within_band: tuple[int, int] | None = None
    host_range: tuple[Decimal, Decimal] | None = None
    policy: OverlapPolicy | None = None
    midpoint: Decimal | None = None
    home_range: tuple[Decimal, Decimal] | None = None
    overlaps: tuple[Overlap, ...] = ()
    host_table: str = ""
    home_table: str = ""
    host_group: Group | None = None
    home_group: Group | None = None
    formula: str = ""
    exact: Decimal | None = None
    rounding: Rounding | None = None
    honours: str = ""


@dataclass(frozen=True, slots=True)
class Result:
    """A conversion: the host grade, the home grade (or FAIL) and why."""

    host: Grade
    home: Grade | Fail
    explanation: Explanation

    @property
    def failed(self) -> bool:
        return self.home is FAIL

    @property
    def label(self) -> str:
        """The home grade's text, or "FAIL"."""
        return str(self.home)

    def text(self) -> str:
        """The explanation in words, in the active language (see :func:`.wording.render`)."""
        from abroad.recognition.conversion.wording import render

        return render(self)


class Strategy(Protocol):
    """A conversion from one host scale to one home scale."""

    @property
    def host(self) -> Scale: ...

    @property
    def home(self) -> Scale: ...

    @property
    def name(self) -> str: ...

    def convert(self, grade: GradeLike) -> Result: ...


def _explained(strategy: Strategy, method: Method, **details: object) -> Explanation:
    return Explanation(
        method,
        rule=strategy.name,
        host_scale=strategy.host.name,
        home_scale=strategy.home.name,
        **details,  # type: ignore[arg-type]
    )


def _fail(strategy: Strategy, grade: Grade, method: Method) -> Result:
    return Result(
        grade, FAIL, _explained(strategy, method, pass_mark=strategy.host.lowest_pass.label)
    )


def explanation_data(explanation: Explanation) -> dict[str, Any]:
    """The explanation as JSON, as it is stored (decimals as text, enums as their values), its
    empty fields left out."""
    data: dict[str, Any] = {}
    for f in dataclasses.fields(explanation):
        value = _jsonable(getattr(explanation, f.name))
        if value not in (None, "", []):
            data[f.name] = value
    # a reference group is stored as data only: its words are the renderer's
    for side in ("host", "home"):
        if f"{side}_group" in data:
            data.pop(f"{side}_table", None)
    return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return _plain(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value
