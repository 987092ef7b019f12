"""Grade conversion: grading scales as data, and the strategies that turn a host grade into a
home grade (or FAIL), each with an explanation.

Pure Python, no Django: the recognition services build the scales, tables and rules below from
the database, pick a rule with :func:`resolve`, call ``rule.strategy.convert(grade)``, and store
the :class:`Result` with its :class:`Explanation`. The standard scales are in ``scales.py``.

The rules, in one place
-----------------------
Scales

* A scale is finite. A :class:`NumericScale` runs from ``lowest`` to ``highest`` in steps of
  ``step`` (or over an explicit list of ``values``, as German grades do), higher or lower is
  better, passes at ``pass_mark`` and every better number, and may have one honours grade above
  its best number ("30L", 30 e lode), which passes and counts as the best number in formulas.
  An :class:`OrderedScale` lists its grades best first and passes at ``pass_mark`` and every
  better grade; it may give each grade points (US GPA) for formulas.
* Grades are Decimal, never float. Parsing accepts a decimal comma ("1,3"), ignores case and
  spaces in letters and honours ("30 e lode" is "30L", "b+" is "B+"), and says in its
  ValueError which scale, what the scale is and what to give instead. Every :class:`Grade`
  has a rank: 0 is the best grade of its scale; a smaller rank is a better grade.

Strategies (each has ``convert(grade) -> Result``)

* A fail grade of the host scale converts to FAIL under every strategy, with no table or
  formula, and a passing grade always converts to a passing home grade. Tables cover passing
  grades only.
* :class:`FixedTable`: bands of host grades (inclusive, ends in either order), each giving one
  home grade. The bands must not overlap, must cover every passing host grade, and must be
  monotone (a better band never gives a worse home grade).
* :class:`GradingTableMatch` (EGRACONS, ECTS Users' Guide 2015): in a :class:`GradingTable` each
  passing grade covers a range of cumulative percentages of passing grades, from the top:
  [percentage of better grades, that plus its own percentage]; a passing grade missing from the
  table has 0%. Percentages are scaled to sum to exactly 100. The host grade's range is matched
  with the home ranges by the :class:`OverlapPolicy`:

  - closest (EGRACONS): the home grade whose range holds the midpoint of the host range;
  - average (Unimore): the overlap-weighted average of the home grades overlapping the host
    range, taken over positions in the home scale (its grades one step apart: for a scale with
    a step that is the number, with an honours grade one step above the best number), rounded
    to the nearest grade, halves towards the better grade;
  - top (PoliTO): the best home grade overlapping the host range.

  A point on a boundary goes to the better home grade; home grades with 0% are never chosen by
  closest or top; a host grade with 0% (a point, not a range) uses closest under every policy.
  The two tables must describe the same reference group: the same cycle, and ISCED-F codes of
  which one is a prefix of the other (0731 matches 073).
* :class:`TwoStep`: host bands give an ECTS letter, and each letter has a band of home grades
  (bands of neighbouring letters may share one grade, as published tables do: "B 30-27, C
  27-24"). The host grades giving a letter (all its host bands together) and the letter's home
  band are taken as equally frequent: the host grade's share of the former goes to the home
  grade holding the share's midpoint (a boundary goes to the better grade), so a letter given
  by a single host grade goes to the middle of its home band.
* :class:`Linear`: home = H_pass + (H_best - H_pass) * (V - V_pass) / (V_best - V_pass), V the
  host grade's number (or points), V_pass the host pass mark, V_best the host's best number,
  H_pass and H_best the same at home. With Italian home grades this is the ministry's
  18 + 12 (V - Vmin) / (Vmax - Vmin); with German home grades it is the modified Bavarian
  formula 1 + 3 (Nmax - Nd) / (Nmax - Nmin). Lower-is-better scales need no special case: the
  numerator and denominator change sign together. The exact value is rounded to a passing home
  grade by a :class:`Rounding`. The formula never gives honours; ``lode_at_best=True`` gives the
  home honours grade to the host's best grade only (its honours grade, when it has one).
* :class:`EctsFallback`: the old ECTS letters A-E stand for the best 10/25/30/25/10 % of passing
  grades; the letter's range is matched, as grading tables are (with the policy), against the
  home grading table when one is given, else against the passing home grades taken as equally
  frequent (the honours grade left out: no table grants it).

Resolver

* :func:`resolve` picks, among the :class:`Rule` records that apply to a School, a course of
  study and a partner institution, the most specific: partner > course of study > School >
  default. A rule applies when every scope it names matches; a rule naming two scopes (a
  partner for one course of study) ranks above one naming only the more specific of them. Two
  different rules with the same precedence are an error.

Cost: parsing is arithmetic (no table of every grade); fixed and two-step tables find the band,
and grading tables the overlapping home grades, by bisection; constructors validate once
(benchmarks/conversion.py: about 100,000 grades a second, explanation included).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import Enum, StrEnum
from functools import cached_property
from itertools import pairwise
from typing import Final, Protocol, TypeAlias, TypeVar

__all__ = [
    "ECTS",
    "ECTS_BANDS",
    "FAIL",
    "Band",
    "Cycle",
    "Direction",
    "EctsFallback",
    "Explanation",
    "Fail",
    "FixedTable",
    "Grade",
    "GradeLike",
    "GradingTable",
    "GradingTableMatch",
    "Linear",
    "Method",
    "NumericScale",
    "OrderedScale",
    "Overlap",
    "OverlapPolicy",
    "Result",
    "Rounding",
    "Rule",
    "Scale",
    "Scope",
    "Strategy",
    "TwoStep",
    "render",
    "resolve",
]

MAX_GRADES: Final = 100_001  # a scale finer than this is a typo (0-100 in steps of 0.001)
HUNDRED: Final = Decimal(100)


# ---------------------------------------------------------------------------------- grades


@dataclass(frozen=True, slots=True)
class Grade:
    """One grade as its scale parsed it. ``rank`` is its position in the scale (0 = the best
    grade); ``value`` is its number (numeric scales; an honours grade has the best number) or
    its points (ordered scales with points), else None."""

    label: str
    rank: int
    passed: bool
    value: Decimal | None = None
    honours: bool = False

    def __str__(self) -> str:
        return self.label


GradeLike: TypeAlias = Grade | str | int | Decimal
G = TypeVar("G", bound=GradeLike)  # grades as the caller's mapping keys them


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher"
    LOWER_IS_BETTER = "lower"


def _plain(number: Decimal) -> str:
    """A Decimal without exponent or trailing zeros: 20, 14.5, 0.01."""
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def _number(value: object, what: str) -> Decimal:
    """A finite Decimal from an int, Decimal, float or string ("1,3" too), else ValueError."""
    number: Decimal | None = None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite():
        raise ValueError(f"{what} must be a number, not {value!r}")
    return number


def _key(text: str) -> str:
    """How labels are matched: case and spaces ignored, typographic minus and dash as '-'."""
    return "".join(text.casefold().split()).replace("\u2212", "-").replace("\u2013", "-")


class Scale:
    """What every grading scale offers; see :class:`NumericScale` and :class:`OrderedScale`."""

    name: str

    # ------------------------------------------------------------ implemented by each kind

    def parse(self, grade: GradeLike) -> Grade:
        """The grade, validated; ValueError naming the scale for anything else."""
        raise NotImplementedError

    @property
    def size(self) -> int:
        """How many grades the scale has, fail grades and honours included."""
        raise NotImplementedError

    @property
    def pass_rank(self) -> int:
        """The rank of the worst passing grade (so ranks 0..pass_rank pass)."""
        raise NotImplementedError

    def grade_at(self, rank: int) -> Grade:
        """The grade of that rank (0 = best); IndexError outside 0..size-1."""
        raise NotImplementedError

    def describe(self) -> str:
        """What the scale is, e.g. "0-20, pass 10, step 0.01"."""
        raise NotImplementedError

    @property
    def numeric(self) -> bool:
        """Every grade has a value, so formulas apply."""
        raise NotImplementedError

    @property
    def higher_is_better(self) -> bool:
        """Whether a higher value is a better grade."""
        raise NotImplementedError

    @property
    def honours_grade(self) -> Grade | None:
        """The honours grade, if the scale has one (always rank 0)."""
        raise NotImplementedError

    def show_value(self, value: Decimal) -> str:
        """A value written as this scale writes its numbers."""
        return _plain(value)

    # ---------------------------------------------------------------------------- shared

    def format(self, grade: GradeLike) -> str:
        """The grade's canonical text: "14.5", "30L", "1.3", "B+"."""
        return self.parse(grade).label

    def is_pass(self, grade: GradeLike) -> bool:
        return self.parse(grade).passed

    def compare(self, a: GradeLike, b: GradeLike) -> int:
        """1 if ``a`` is the better grade, -1 if ``b`` is, 0 if they are the same grade."""
        ra, rb = self.parse(a).rank, self.parse(b).rank
        return (ra < rb) - (ra > rb)

    def better(self, a: GradeLike, b: GradeLike) -> bool:
        """Whether ``a`` is strictly better than ``b``."""
        return self.parse(a).rank < self.parse(b).rank

    @property
    def best(self) -> Grade:
        """The best grade (the honours grade, when there is one)."""
        return self.grade_at(0)

    @property
    def lowest_pass(self) -> Grade:
        """The worst passing grade: the pass mark."""
        return self.grade_at(self.pass_rank)

    def grades(self) -> tuple[Grade, ...]:
        """Every grade, best first."""
        return tuple(map(self.grade_at, range(self.size)))

    def passing_grades(self) -> tuple[Grade, ...]:
        """The passing grades, best first."""
        return tuple(map(self.grade_at, range(self.pass_rank + 1)))

    def _error(self, shown: str, hint: str) -> ValueError:
        return ValueError(f"{shown} is not a grade of {self.name} ({self.describe()}): {hint}")

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class NumericScale(Scale):
    """Numbers from ``lowest`` to ``highest``, every ``step`` (or exactly the ``values``).

    ``pass_mark`` is the worst passing number. ``honours`` (optional) is the label of a grade
    above the best number, e.g. "30L"; ``honours_aliases`` are other ways to write it.
    ``decimals`` fixes how many decimals labels show (Germany: "1.0"); by default labels show
    what the number needs ("14", "14.5"). The constructor validates and raises ValueError
    naming the fix; see ``scales.define_scale`` for loose input (strings from a form).
    """

    name: str
    lowest: Decimal
    highest: Decimal
    pass_mark: Decimal
    step: Decimal | None = None
    values: tuple[Decimal, ...] = ()
    direction: Direction = Direction.HIGHER_IS_BETTER
    honours: str | None = None
    honours_aliases: tuple[str, ...] = ()
    decimals: int | None = None

    def __post_init__(self) -> None:
        name = str(self.name).strip()
        if not name:
            raise ValueError("a grading scale needs a name")
        where = f"scale {name!r}"
        put = object.__setattr__
        put(self, "name", name)
        lowest = _number(self.lowest, f"{where}: the lowest grade")
        highest = _number(self.highest, f"{where}: the highest grade")
        pass_mark = _number(self.pass_mark, f"{where}: the pass mark")
        put(self, "lowest", lowest)
        put(self, "highest", highest)
        put(self, "pass_mark", pass_mark)
        try:
            put(self, "direction", Direction(self.direction))
        except ValueError:
            raise ValueError(
                f"{where}: direction must be 'higher' or 'lower' (which is better), "
                f"not {self.direction!r}"
            ) from None
        if lowest >= highest:
            raise ValueError(
                f"{where}: the lowest number {_plain(lowest)} must be below the highest "
                f"{_plain(highest)} (say which is better with direction)"
            )
        if self.decimals is not None and not 0 <= self.decimals <= 6:
            raise ValueError(f"{where}: decimals must be 0 to 6, not {self.decimals}")
        if not lowest <= pass_mark <= highest:
            raise ValueError(
                f"{where}: the pass mark {_plain(pass_mark)} is outside "
                f"{_plain(lowest)}-{_plain(highest)}"
            )
        if self.step is not None and self.values:
            raise ValueError(f"{where}: give a step or the list of values, not both")
        if self.step is not None:
            step = _number(self.step, f"{where}: the step")
            if step <= 0:
                raise ValueError(f"{where}: the step must be above 0, not {_plain(step)}")
            count, rest = divmod(highest - lowest, step)
            if rest:
                raise ValueError(
                    f"{where}: {_plain(lowest)}-{_plain(highest)} is not a whole number of "
                    f"steps of {_plain(step)}; change the step or the ends"
                )
            if count + 1 > MAX_GRADES:
                raise ValueError(
                    f"{where}: {count + 1} grades is too many (at most {MAX_GRADES}); "
                    "use a coarser step"
                )
            if (pass_mark - lowest) % step:
                raise ValueError(
                    f"{where}: the pass mark {_plain(pass_mark)} is not on the steps of "
                    f"{_plain(step)} from {_plain(lowest)}"
                )
            put(self, "step", step)
        elif self.values:
            values = tuple(_number(v, f"{where}: a value") for v in self.values)
            if len(set(values)) != len(values):
                raise ValueError(f"{where}: a value is listed twice in the values")
            if min(values) != lowest or max(values) != highest:
                raise ValueError(
                    f"{where}: the values must run from the lowest {_plain(lowest)} to the "
                    f"highest {_plain(highest)}"
                )
            if pass_mark not in values:
                raise ValueError(
                    f"{where}: the pass mark {_plain(pass_mark)} is not one of the values"
                )
            if len(values) > MAX_GRADES:
                raise ValueError(f"{where}: too many values (at most {MAX_GRADES})")
            put(self, "values", tuple(sorted(values)))
        else:
            raise ValueError(
                f"{where}: give the step between grades (e.g. 1 or 0.5) or the list of values"
            )
        if self.honours is not None:
            honours = str(self.honours).strip()
            if not honours:
                raise ValueError(f"{where}: the honours grade needs a label, e.g. 30L")
            for text in (honours, *self.honours_aliases):
                try:
                    Decimal(text.strip().replace(",", "."))
                except InvalidOperation:
                    continue
                raise ValueError(
                    f"{where}: the honours label {text!r} reads as a number; write it "
                    "differently (e.g. 30L)"
                )
            put(self, "honours", honours)
        elif self.honours_aliases:
            raise ValueError(f"{where}: honours_aliases without an honours grade")
        put(self, "honours_aliases", tuple(self.honours_aliases))

    # ------------------------------------------------------------------------- internals

    @cached_property
    def _offset(self) -> int:
        return 1 if self.honours is not None else 0

    @cached_property
    def _up(self) -> bool:
        """Higher is better (read on every parse: a plain attribute once cached)."""
        return self.direction is Direction.HIGHER_IS_BETTER

    @cached_property
    def _count(self) -> int:
        """Numbers on the scale (the honours grade not counted)."""
        if self.step is not None:
            return int((self.highest - self.lowest) / self.step) + 1
        return len(self.values)

    @cached_property
    def _best_first(self) -> tuple[Decimal, ...]:
        """The explicit values, best first (only for scales without a step)."""
        return tuple(reversed(self.values)) if self.higher_is_better else self.values

    @cached_property
    def _rank_of(self) -> Mapping[Decimal, int]:
        return {v: self._offset + i for i, v in enumerate(self._best_first)}

    @cached_property
    def _honours_keys(self) -> frozenset[str]:
        if self.honours is None:
            return frozenset()
        return frozenset(map(_key, (self.honours, *self.honours_aliases)))

    @cached_property
    def _best_number(self) -> Decimal:
        return self.highest if self.higher_is_better else self.lowest

    @cached_property
    def _pass_rank(self) -> int:
        return self._rank(self.pass_mark)

    def _label(self, value: Decimal) -> str:
        if self.decimals is None:
            return _plain(value)
        return format(value.quantize(Decimal(1).scaleb(-self.decimals)), "f")

    def _rank(self, value: Decimal) -> int:
        if self.step is None:
            return self._rank_of[value]
        offset = int((value - self.lowest) / self.step)
        return self._offset + (self._count - 1 - offset if self._up else offset)

    def _passes(self, value: Decimal) -> bool:
        if self._up:
            return value >= self.pass_mark
        return value <= self.pass_mark

    # ------------------------------------------------------------------------------ API

    @property
    def size(self) -> int:
        return self._offset + self._count

    @property
    def pass_rank(self) -> int:
        return self._pass_rank

    @property
    def numeric(self) -> bool:
        return True

    @property
    def higher_is_better(self) -> bool:
        return self._up

    @property
    def honours_grade(self) -> Grade | None:
        if self.honours is None:
            return None
        return Grade(self.honours, 0, True, self._best_number, honours=True)

    def show_value(self, value: Decimal) -> str:
        return self._label(value)

    def describe(self) -> str:
        parts = [f"{self._label(self.lowest)}-{self._label(self.highest)}"]
        if not self.higher_is_better:
            parts.append("lower is better")
        parts.append(f"pass {self._label(self.pass_mark)}")
        if self.step is not None:
            parts.append(f"step {_plain(self.step)}")
        else:
            parts.append("grades " + " ".join(map(self._label, self.values)))
        if self.honours is not None:
            parts.append(f"honours {self.honours}")
        return ", ".join(parts)

    def grade_at(self, rank: int) -> Grade:
        if not 0 <= rank < self.size:
            raise IndexError(f"{self.name} has no grade of rank {rank}")
        if rank < self._offset:
            return Grade(str(self.honours), 0, True, self._best_number, honours=True)
        i = rank - self._offset
        if self.step is None:
            value = self._best_first[i]
        elif self.higher_is_better:
            value = self.highest - i * self.step
        else:
            value = self.lowest + i * self.step
        return Grade(self._label(value), rank, self._passes(value), value)

    def parse(self, grade: GradeLike) -> Grade:
        if isinstance(grade, Grade):
            grade = grade.label
        if isinstance(grade, str):
            shown = grade.strip()
            if self._honours_keys and _key(shown) in self._honours_keys:
                return Grade(str(self.honours), 0, True, self._best_number, honours=True)
            try:
                value = Decimal(shown.replace(",", "."))
            except InvalidOperation:
                hint = "give a number" + (f" or {self.honours}" if self.honours else "")
                raise self._error(repr(shown), hint) from None
        elif isinstance(grade, Decimal | int) and not isinstance(grade, bool):
            value = Decimal(grade)
            shown = _plain(value) if value.is_finite() else str(value)
        elif isinstance(grade, float):
            value = Decimal(repr(grade))
            shown = repr(grade)
        else:
            raise self._error(repr(grade), "give a number")
        if not value.is_finite():
            raise self._error(shown, "give a number")
        if value < self.lowest:
            raise self._error(shown, f"it is below the lowest grade {self._label(self.lowest)}")
        if value > self.highest:
            raise self._error(shown, f"it is above the highest grade {self._label(self.highest)}")
        if self.step is not None:
            if (value - self.lowest) % self.step:
                raise self._error(shown, f"grades go in steps of {_plain(self.step)}")
        elif value not in self._rank_of:
            raise self._error(shown, "it is not one of the listed grades")
        return Grade(self._label(value), self._rank(value), self._passes(value), value)


@dataclass(frozen=True)
class OrderedScale(Scale):
    """Grades listed best first (``labels``); ``pass_mark`` is the worst passing one.

    ``points`` (optional) gives each grade a number, higher for better grades, used by
    formulas (US GPA: A 4.0 ... F 0). Labels are matched ignoring case and spaces.
    """

    name: str
    labels: tuple[str, ...]
    pass_mark: str
    points: tuple[Decimal, ...] = ()

    def __post_init__(self) -> None:
        name = str(self.name).strip()
        if not name:
            raise ValueError("a grading scale needs a name")
        where = f"scale {name!r}"
        put = object.__setattr__
        put(self, "name", name)
        labels = tuple(str(label).strip() for label in self.labels)
        if len(labels) < 2:
            raise ValueError(f"{where}: list at least two grades, best first")
        if not all(labels):
            raise ValueError(f"{where}: a grade has an empty label")
        keys = list(map(_key, labels))
        if len(set(keys)) != len(keys):
            twice = next(label for i, label in enumerate(labels) if keys[i] in keys[:i])
            raise ValueError(f"{where}: the grade {twice!r} is listed twice")
        for label in labels:
            try:
                number = Decimal(label.replace(",", "."))
            except InvalidOperation:
                continue
            if number.is_finite():
                raise ValueError(f"{where}: {label!r} is a number; use a numeric scale for numbers")
        put(self, "labels", labels)
        pass_key = _key(str(self.pass_mark))
        if pass_key not in keys:
            raise ValueError(
                f"{where}: the pass mark {self.pass_mark!r} is not one of the grades "
                f"{', '.join(labels)}"
            )
        put(self, "pass_mark", labels[keys.index(pass_key)])
        if self.points:
            points = tuple(_number(p, f"{where}: points") for p in self.points)
            if len(points) != len(labels):
                raise ValueError(
                    f"{where}: give points for each of the {len(labels)} grades, or none"
                )
            if any(a <= b for a, b in pairwise(points)):
                raise ValueError(
                    f"{where}: points must fall strictly from the best grade to the worst"
                )
            put(self, "points", points)

    @cached_property
    def _index(self) -> Mapping[str, int]:
        return {_key(label): rank for rank, label in enumerate(self.labels)}

    @cached_property
    def _pass_rank(self) -> int:
        return self.labels.index(self.pass_mark)

    @property
    def size(self) -> int:
        return len(self.labels)

    @property
    def pass_rank(self) -> int:
        return self._pass_rank

    @property
    def numeric(self) -> bool:
        return bool(self.points)

    @property
    def higher_is_better(self) -> bool:
        return True

    @property
    def honours_grade(self) -> Grade | None:
        return None

    def describe(self) -> str:
        return f"{', '.join(self.labels)}; pass {self.pass_mark}"

    def grade_at(self, rank: int) -> Grade:
        if not 0 <= rank < self.size:
            raise IndexError(f"{self.name} has no grade of rank {rank}")
        value = self.points[rank] if self.points else None
        return Grade(self.labels[rank], rank, rank <= self._pass_rank, value)

    def parse(self, grade: GradeLike) -> Grade:
        if isinstance(grade, Grade):
            grade = grade.label
        if not isinstance(grade, str):
            raise self._error(repr(grade), "give one of the grades, as text")
        rank = self._index.get(_key(grade))
        if rank is None:
            raise self._error(repr(grade.strip()), f"the grades are {', '.join(self.labels)}")
        return self.grade_at(rank)


# The old ECTS grading scale (A-E pass, FX and F fail), which TwoStep and EctsFallback use.
ECTS: Final = OrderedScale("ECTS", ("A", "B", "C", "D", "E", "FX", "F"), pass_mark="E")

# The share of passing grades each ECTS letter stands for, best first (ECTS Users' Guide 2005).
ECTS_BANDS: Final[tuple[tuple[str, Decimal], ...]] = tuple(
    (letter, Decimal(share)) for letter, share in zip("ABCDE", (10, 25, 30, 25, 10), strict=True)
)


# --------------------------------------------------------------------------------- results


class Fail(Enum):
    """The outcome of a failing host grade: there is no home grade."""

    FAIL = "FAIL"

    def __str__(self) -> str:
        return self.value


FAIL: Final = Fail.FAIL


class Method(StrEnum):
    FIXED_TABLE = "fixed table"
    GRADING_TABLES = "grading tables"
    TWO_STEP = "two-step table"
    LINEAR = "linear formula"
    ECTS_FALLBACK = "ECTS fallback"


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
    ``home_table`` (which reference groups). Linear: ``formula``, ``exact`` (before
    rounding), ``rounding``. ``honours`` says which rule granted an honours grade.
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
        """The explanation in plain English (see :func:`render`)."""
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


# ----------------------------------------------------------------------- fixed and two-step


@dataclass(frozen=True, slots=True)
class Band:
    """The grades from ``start`` to ``end`` (inclusive, in either order) and the grade they
    correspond to: a home grade (:class:`FixedTable`), an ECTS letter (the host bands of
    :class:`TwoStep`), or the letter these home grades stand for (its home bands)."""

    start: GradeLike
    end: GradeLike
    grade: GradeLike


@dataclass(frozen=True, slots=True)
class _Row:
    number: int  # 1-based, in the order given
    best: int  # rank of the band's best grade
    worst: int  # rank of its worst grade
    band: tuple[str, str, str]  # start, end, grade as labels
    grade: Grade

    def shown(self, what: str = "band") -> str:
        start, end, grade = self.band
        return f"{what} {self.number} ({start} to {end} → {grade})"


def _parse_in(scale: Scale, grade: GradeLike, where: str) -> Grade:
    try:
        return scale.parse(grade)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def _as_band(band: Band | tuple[GradeLike, GradeLike, GradeLike]) -> Band:
    return band if isinstance(band, Band) else Band(*band)


def _band_rows(bands: Sequence[Band], source: Scale, target: Scale, what: str) -> list[_Row]:
    """Parse and check each band on its own: passing grades on both sides."""
    rows = []
    for number, band in enumerate(bands, start=1):
        where = f"{what} {number}"
        start = _parse_in(source, band.start, where)
        end = _parse_in(source, band.end, where)
        grade = _parse_in(target, band.grade, where)
        best, worst = sorted((start.rank, end.rank))
        row = _Row(number, best, worst, (start.label, end.label, grade.label), grade)
        if not source.grade_at(worst).passed:
            raise ValueError(
                f"{row.shown(what)}: {source.grade_at(worst)} is a fail grade of "
                f"{source.name}; fail grades convert to FAIL by rule, so bands cover passing "
                f"grades only (down to {source.lowest_pass})"
            )
        if not grade.passed:
            raise ValueError(
                f"{row.shown(what)}: {grade} is a fail grade of {target.name}; a band "
                "must give a passing grade"
            )
        rows.append(row)
    return rows


def _table_rows(
    bands: Sequence[Band], host: Scale, target: Scale, what: str = "band"
) -> tuple[_Row, ...]:
    """The bands of a fixed table, validated, ordered from the best host grades."""
    if not bands:
        raise ValueError(f"a table from {host.name} to {target.name} needs at least one band")
    rows = sorted(_band_rows(bands, host, target, what), key=lambda row: row.best)
    if rows[0].best != 0:
        raise ValueError(
            f"no {what} covers {host.grade_at(0)} of {host.name}: every passing grade needs one"
        )
    for better, row in pairwise(rows):
        if row.best <= better.worst:
            first, second = sorted((better, row), key=lambda r: r.number)
            raise ValueError(
                f"{first.shown(what)} and {second.shown(what)} overlap at "
                f"{host.grade_at(row.best)}: end one a step before the other starts"
            )
        if row.best > better.worst + 1:
            raise ValueError(
                f"no {what} covers {host.grade_at(better.worst + 1)} of {host.name}: every "
                "passing grade needs one"
            )
        if row.grade.rank < better.grade.rank:
            raise ValueError(
                f"{row.shown(what)} gives a better grade than {better.shown(what)}, "
                "which holds better host grades: a better host grade "
                "must never convert to a worse grade"
            )
    if rows[-1].worst != host.pass_rank:
        raise ValueError(
            f"no {what} covers {host.grade_at(rows[-1].worst + 1)} of {host.name}: every "
            "passing grade needs one"
        )
    return tuple(rows)


@dataclass(frozen=True)
class FixedTable:
    """Bands of host grades, each giving one home grade (e.g. the AUIC/ARCH table).

    ``bands`` are :class:`Band` (or (start, end, home grade) tuples), in any order."""

    host: Scale
    home: Scale
    bands: tuple[Band, ...]
    name: str = ""
    _rows: tuple[_Row, ...] = field(init=False, repr=False, compare=False, default=())
    _starts: tuple[int, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        bands = tuple(map(_as_band, self.bands))
        rows = _table_rows(bands, self.host, self.home)
        object.__setattr__(self, "bands", bands)
        object.__setattr__(self, "_rows", rows)
        object.__setattr__(self, "_starts", tuple(row.best for row in rows))

    def convert(self, grade: GradeLike) -> Result:
        host = self.host.parse(grade)
        if not host.passed:
            return _fail(self, host, Method.FIXED_TABLE)
        row = self._rows[bisect.bisect_right(self._starts, host.rank) - 1]
        return Result(
            host, row.grade, _explained(self, Method.FIXED_TABLE, row=row.number, band=row.band)
        )


@dataclass(frozen=True)
class TwoStep:
    """Host bands to ECTS letters, then each letter's band of home grades, as consortia
    publish them (e.g. Lorraine 14-15.99 → B, and B is 27 to 30 at home)."""

    host: Scale
    home: Scale
    host_bands: tuple[Band, ...]
    home_bands: tuple[Band, ...]
    name: str = ""
    _rows: tuple[_Row, ...] = field(init=False, repr=False, compare=False, default=())
    _starts: tuple[int, ...] = field(init=False, repr=False, compare=False, default=())
    _home_rows: tuple[_Row | None, ...] = field(init=False, repr=False, compare=False, default=())
    # per letter, the best and worst rank of the host grades giving it (all its host bands)
    _spans: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        host_bands = tuple(map(_as_band, self.host_bands))
        home_bands = tuple(map(_as_band, self.home_bands))
        rows = _table_rows(host_bands, self.host, ECTS, "host band")
        by_letter: list[_Row | None] = [None] * ECTS.size
        home_rows = _band_rows(home_bands, self.home, ECTS, "home band")
        for row in home_rows:
            twin = by_letter[row.grade.rank]
            if twin is not None:
                raise ValueError(
                    f"home bands {twin.number} and {row.number} are both for {row.grade}: "
                    "give one band per letter"
                )
            by_letter[row.grade.rank] = row
        for row in rows:
            if by_letter[row.grade.rank] is None:
                raise ValueError(
                    f"{row.shown('host band')} gives {row.grade}, which has no home band: add one"
                )
        ordered = sorted(home_rows, key=lambda row: row.grade.rank)
        for better, row in pairwise(ordered):
            if row.best < better.worst:
                raise ValueError(
                    f"{row.shown('home band')} reaches above {better.shown('home band')}: a "
                    "better letter must never give a worse grade (neighbouring bands may share "
                    "one grade)"
                )
        object.__setattr__(self, "host_bands", host_bands)
        object.__setattr__(self, "home_bands", home_bands)
        object.__setattr__(self, "_rows", rows)
        object.__setattr__(self, "_starts", tuple(row.best for row in rows))
        object.__setattr__(self, "_home_rows", tuple(by_letter))
        spans = [(self.host.size, -1)] * ECTS.size
        for row in rows:
            best, worst = spans[row.grade.rank]
            spans[row.grade.rank] = (min(best, row.best), max(worst, row.worst))
        object.__setattr__(self, "_spans", tuple(spans))

    def convert(self, grade: GradeLike) -> Result:
        host = self.host.parse(grade)
        if not host.passed:
            return _fail(self, host, Method.TWO_STEP)
        row = self._rows[bisect.bisect_right(self._starts, host.rank) - 1]
        home_row = self._home_rows[row.grade.rank]
        assert home_row is not None  # checked in __post_init__
        best, worst = self._spans[row.grade.rank]  # bands giving the same letter count as one
        n = worst - best + 1
        k = worst - host.rank  # 0 = the worst host grade giving this letter
        m = home_row.worst - home_row.best + 1
        j = ((2 * k + 1) * m) // (2 * n)  # the home grade holding the share's midpoint
        home = self.home.grade_at(home_row.worst - j)
        return Result(
            host,
            home,
            _explained(
                self,
                Method.TWO_STEP,
                row=row.number,
                band=row.band,
                letter=row.grade.label,
                home_band=home_row.band[:2],
                within_band=(host.rank - best + 1, n),
            ),
        )


# ------------------------------------------------------------------------- grading tables


@dataclass(frozen=True, slots=True)
class _Cell:
    grade: Grade
    start: Decimal
    end: Decimal


def _cells(weights: Sequence[tuple[Grade, Decimal]]) -> tuple[_Cell, ...]:
    """Cumulative ranges from the top, scaled to end at exactly 100."""
    total = sum((w for _, w in weights), Decimal(0))
    cells = []
    cumulative = Decimal(0)
    for grade, weight in weights:
        start = HUNDRED * cumulative / total
        cumulative += weight
        cells.append(_Cell(grade, start, HUNDRED * cumulative / total))
    return tuple(cells)


def _cycle(value: object) -> Cycle:
    try:
        return Cycle(str(value))
    except ValueError:
        raise ValueError(
            f"cycle {value!r}: give one of {', '.join(c.value for c in Cycle)}"
        ) from None


@dataclass(frozen=True)
class GradingTable:
    """The distribution of passing grades of a reference group: percentages per grade.

    ``percentages`` are (grade, percent) pairs; use :meth:`of` for a mapping or loose values
    and :meth:`from_counts` for counts of grades. The reference group is an ISCED-F field
    (2-4 digit code) and a cycle, over at least two academic ``years``. Percentages must sum to
    100 ± 0.5 (rounded published tables) and are then scaled to exactly 100.
    """

    scale: Scale
    percentages: tuple[tuple[str, Decimal], ...]
    isced: str
    cycle: Cycle
    years: tuple[str, ...]
    institution: str = ""

    def __post_init__(self) -> None:
        put = object.__setattr__
        isced = str(self.isced).strip()
        if not re.fullmatch(r"\d{2,4}", isced):
            raise ValueError(
                f"ISCED-F field {self.isced!r}: give the 2-, 3- or 4-digit code, e.g. 0731"
            )
        put(self, "isced", isced)
        put(self, "cycle", _cycle(self.cycle))
        years = tuple(str(year).strip() for year in self.years)
        where = f"the grading table of {self.scale.name} for {self._group(years)}"
        if len(set(years)) < 2 or not all(years):
            raise ValueError(
                f"{where}: a grading table covers at least two academic years (ECTS Users' "
                "Guide), give them all"
            )
        put(self, "years", years)
        seen: dict[int, tuple[str, Decimal]] = {}
        for grade, percent in self.percentages:
            parsed = _parse_in(self.scale, grade, where)
            if not parsed.passed:
                raise ValueError(
                    f"{where}: {parsed} is a fail grade; a grading table counts passing grades only"
                )
            if parsed.rank in seen:
                raise ValueError(f"{where}: {parsed} is listed twice")
            share = _number(percent, f"{where}: the percentage of {parsed}")
            if share < 0:
                raise ValueError(f"{where}: the percentage of {parsed} is negative")
            seen[parsed.rank] = (parsed.label, share)
        total = sum((share for _, share in seen.values()), Decimal(0))
        if abs(total - HUNDRED) > Decimal("0.5"):
            raise ValueError(
                f"{where}: the percentages sum to {_plain(total)}, not 100 (± 0.5); check the table"
            )
        put(self, "percentages", tuple(seen[rank] for rank in sorted(seen)))

    @classmethod
    def of(
        cls,
        scale: Scale,
        percentages: Mapping[G, object] | Iterable[tuple[G, object]],
        *,
        isced: str,
        cycle: Cycle | str,
        years: Iterable[str],
        institution: str = "",
    ) -> GradingTable:
        """A table from a mapping (or pairs) of grade -> percentage, values in any form."""
        pairs = percentages.items() if isinstance(percentages, Mapping) else percentages
        return cls(
            scale,
            tuple((scale.format(g), _number(p, f"the percentage of {g}")) for g, p in pairs),
            isced,
            _cycle(cycle),
            tuple(years),
            institution,
        )

    @classmethod
    def from_counts(
        cls,
        scale: Scale,
        counts: Mapping[G, int],
        *,
        isced: str,
        cycle: Cycle | str,
        years: Iterable[str],
        institution: str = "",
    ) -> GradingTable:
        """A table from how many times each passing grade was given (EGRACONS input)."""
        for grade, count in counts.items():
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                raise ValueError(f"the count of {grade} must be a whole number >= 0")
        total = sum(counts.values())
        if total == 0:
            raise ValueError(f"a grading table of {scale.name} needs at least one grade")
        return cls.of(
            scale,
            {g: HUNDRED * count / total for g, count in counts.items()},
            isced=isced,
            cycle=cycle,
            years=years,
            institution=institution,
        )

    def _group(self, years: Sequence[str]) -> str:
        who = f"{self.institution}, " if self.institution else ""
        cycle = self.cycle.value if isinstance(self.cycle, Cycle) else self.cycle
        return f"{who}ISCED-F {self.isced}, {cycle} cycle, {', '.join(years) or 'no years'}"

    def describe(self) -> str:
        """The reference group, e.g. "ISCED-F 0731, second cycle, 2021/22, 2022/23"."""
        return self._description

    @cached_property
    def _description(self) -> str:
        return self._group(self.years)

    @cached_property
    def cells(self) -> tuple[_Cell, ...]:
        """Each passing grade of the scale, best first, with its cumulative range."""
        share = {label: percent for label, percent in self.percentages}
        return _cells([(g, share.get(g.label, Decimal(0))) for g in self.scale.passing_grades()])

    @cached_property
    def ends(self) -> tuple[Decimal, ...]:
        return tuple(cell.end for cell in self.cells)


def _match(
    host: _Cell,
    cells: Sequence[_Cell],
    ends: Sequence[Decimal],
    policy: OverlapPolicy,
    home: Scale,
) -> tuple[Grade, dict[str, object]]:
    """The home grade for a host range, and the explanation's details. ``ends`` are the
    cells' ends (ascending), to find the overlapping cells by bisection."""
    a, b = host.start, host.end
    overlaps = []
    i = bisect.bisect_right(ends, a)  # the first cell ending after a
    while i < len(cells) and cells[i].start < b:
        cell = cells[i]
        if cell.end > cell.start:
            overlaps.append((cell, min(b, cell.end) - max(a, cell.start)))
        i += 1
    details: dict[str, object] = {
        "host_range": (a, b),
        "policy": policy,
        "overlaps": tuple(Overlap(c.grade.label, c.start, c.end, o) for c, o in overlaps),
    }
    if policy is OverlapPolicy.AVERAGE and b > a:
        weighted = sum((o * c.grade.rank for c, o in overlaps), Decimal(0))
        width = b - a
        rank, rest = divmod(weighted, width)  # exact: the floor and what is left
        chosen = int(rank) + (1 if 2 * rest > width else 0)  # halves to the better grade
        return home.grade_at(chosen), details
    if policy is OverlapPolicy.TOP and b > a:
        cell = overlaps[0][0]
    else:  # closest, or a host grade of 0% (a point)
        midpoint = (a + b) / 2
        i = bisect.bisect_left(ends, midpoint)  # the first cell ending at or after it
        while cells[i].end == cells[i].start:  # nobody had it: the next grade someone had
            i += 1
        cell = cells[i]
        details["midpoint"] = midpoint
    details["home_range"] = (cell.start, cell.end)
    return cell.grade, details


def _same_group(host: GradingTable, home: GradingTable) -> None:
    if host.cycle != home.cycle or not (
        host.isced.startswith(home.isced) or home.isced.startswith(host.isced)
    ):
        raise ValueError(
            f"the host table is for {host.describe()} but the home table for "
            f"{home.describe()}: compare tables of the same reference group (ISCED-F field "
            "and cycle)"
        )


@dataclass(frozen=True)
class GradingTableMatch:
    """EGRACONS-style conversion between the grading tables of the same reference group at
    the host and at home, with an overlap policy (closest, average or top)."""

    host_table: GradingTable
    home_table: GradingTable
    policy: OverlapPolicy = OverlapPolicy.CLOSEST
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "policy", OverlapPolicy(self.policy))
        _same_group(self.host_table, self.home_table)

    @property
    def host(self) -> Scale:
        return self.host_table.scale

    @property
    def home(self) -> Scale:
        return self.home_table.scale

    def convert(self, grade: GradeLike) -> Result:
        host = self.host.parse(grade)
        if not host.passed:
            return _fail(self, host, Method.GRADING_TABLES)
        cell = self.host_table.cells[host.rank]
        table = self.home_table
        home, details = _match(cell, table.cells, table.ends, self.policy, self.home)
        return Result(
            host,
            home,
            _explained(
                self,
                Method.GRADING_TABLES,
                host_table=self.host_table.describe(),
                home_table=self.home_table.describe(),
                **details,
            ),
        )


@dataclass(frozen=True)
class EctsFallback:
    """An ECTS letter (A-E, FX, F) to a home grade through the 10/25/30/25/10 bands, onto the
    home grading table when given, else onto the passing home grades taken as equally frequent."""

    home: Scale
    home_table: GradingTable | None = None
    policy: OverlapPolicy = OverlapPolicy.CLOSEST
    name: str = ""
    _home_cells: tuple[_Cell, ...] = field(init=False, repr=False, compare=False, default=())
    _home_ends: tuple[Decimal, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "policy", OverlapPolicy(self.policy))
        if self.home_table is not None:
            if self.home_table.scale != self.home:
                raise ValueError(
                    f"the home grading table is of {self.home_table.scale.name}, not of the "
                    f"home scale {self.home.name}: give a table of the home scale"
                )
            cells = self.home_table.cells
        else:
            cells = _cells([(g, Decimal(1)) for g in self.home.passing_grades() if not g.honours])
        object.__setattr__(self, "_home_cells", cells)
        object.__setattr__(self, "_home_ends", tuple(cell.end for cell in cells))

    @property
    def host(self) -> Scale:
        return ECTS

    def convert(self, grade: GradeLike) -> Result:
        host = ECTS.parse(grade)
        if not host.passed:
            return _fail(self, host, Method.ECTS_FALLBACK)
        home, details = _match(
            _ECTS_CELLS[host.rank], self._home_cells, self._home_ends, self.policy, self.home
        )
        home_table = (
            self.home_table.describe()
            if self.home_table is not None
            else "every passing grade taken as equally frequent"
        )
        return Result(
            host,
            home,
            _explained(self, Method.ECTS_FALLBACK, home_table=home_table, **details),
        )


_ECTS_CELLS: Final = _cells([(ECTS.parse(letter), share) for letter, share in ECTS_BANDS])


# -------------------------------------------------------------------------------- linear


def _values(scale: Scale, what: str) -> tuple[Decimal, Decimal]:
    """The scale's pass mark and best number, for the formula."""
    if not scale.numeric:
        raise ValueError(
            f"the linear formula needs numbers, but the {what} scale {scale.name} has grades "
            "without points: give it points (e.g. GPA) or use a table"
        )
    low, best = scale.lowest_pass.value, scale.best.value
    assert low is not None  # numeric scales have values
    assert best is not None
    if low == best:
        raise ValueError(
            f"the linear formula needs a pass mark below the best grade, but the {what} "
            f"scale {scale.name} passes only at its best grade"
        )
    return low, best


@dataclass(frozen=True)
class Linear:
    """The linear formula between the pass marks and the best grades (see the module
    docstring), with a rounding rule, and honours only with ``lode_at_best``."""

    host: Scale
    home: Scale
    rounding: Rounding = Rounding.HALF_UP
    lode_at_best: bool = False
    name: str = ""
    _grades: tuple[Grade, ...] = field(init=False, repr=False, compare=False, default=())
    _numbers: tuple[Decimal, ...] = field(init=False, repr=False, compare=False, default=())
    _ends: tuple[Decimal, ...] = field(init=False, repr=False, compare=False, default=())
    _formula: tuple[str, str] = field(init=False, repr=False, compare=False, default=("", ""))

    def __post_init__(self) -> None:
        object.__setattr__(self, "rounding", Rounding(self.rounding))
        ends = (*_values(self.host, "host"), *_values(self.home, "home"))
        object.__setattr__(self, "_ends", ends)
        v_pass, v_best, h_pass, h_best = ends
        show, span = self.host.show_value, h_best - h_pass
        head = f"{self.home.show_value(h_pass)} {'+' if span >= 0 else '−'} {_plain(abs(span))} × ("
        tail = f" − {show(v_pass)}) / ({show(v_best)} − {show(v_pass)})"
        object.__setattr__(self, "_formula", (head, tail))
        if self.lode_at_best and self.home.honours_grade is None:
            raise ValueError(
                f"lode_at_best needs a home scale with an honours grade; {self.home.name} has none"
            )
        grades = sorted(
            (g for g in self.home.passing_grades() if not g.honours),
            key=lambda g: g.value or Decimal(0),
        )
        object.__setattr__(self, "_grades", tuple(grades))
        object.__setattr__(self, "_numbers", tuple(g.value or Decimal(0) for g in grades))

    def _round(self, exact: Decimal) -> Grade:
        numbers, grades = self._numbers, self._grades
        i = bisect.bisect_left(numbers, exact)
        if i < len(numbers) and numbers[i] == exact:
            return grades[i]
        if i == 0:
            return grades[0]
        if i == len(numbers):
            return grades[-1]
        below, above = exact - numbers[i - 1], numbers[i] - exact
        rounding = self.rounding
        if rounding is Rounding.DOWN:
            take_above = False
        elif rounding is Rounding.UP:
            take_above = True
        elif below != above:
            take_above = above < below
        else:
            take_above = rounding is Rounding.HALF_UP or self.home.higher_is_better
        return grades[i] if take_above else grades[i - 1]

    def convert(self, grade: GradeLike) -> Result:
        host = self.host.parse(grade)
        if not host.passed:
            return _fail(self, host, Method.LINEAR)
        v_pass, v_best, h_pass, h_best = self._ends
        v = host.value
        assert v is not None
        exact = h_pass + (h_best - h_pass) * (v - v_pass) / (v_best - v_pass)
        home = self._round(exact)
        honours = ""
        best = self.home.honours_grade
        if self.lode_at_best and host.rank == 0 and best is not None:
            home = best
            honours = f"the host's best grade gives {best} (lode at best)"
        head, tail = self._formula
        formula = f"{head}{self.host.show_value(v)}{tail}"
        return Result(
            host,
            home,
            _explained(
                self,
                Method.LINEAR,
                formula=formula,
                exact=exact,
                rounding=self.rounding,
                honours=honours,
            ),
        )


# ------------------------------------------------------------------------------ resolver


class Scope(StrEnum):
    PARTNER = "partner institution"
    COURSE_OF_STUDY = "course of study"
    SCHOOL = "School"
    DEFAULT = "default"


@dataclass(frozen=True)
class Rule:
    """A strategy and where it applies: a School, a course of study, a partner institution,
    any combination, or none (the default). Scope values are the caller's ids."""

    strategy: Strategy
    school: Hashable | None = None
    course_of_study: Hashable | None = None
    partner: Hashable | None = None
    name: str = ""

    @property
    def precedence(self) -> tuple[bool, bool, bool]:
        return (self.partner is not None, self.course_of_study is not None, self.school is not None)

    @property
    def scope(self) -> Scope:
        """The most specific scope the rule names."""
        if self.partner is not None:
            return Scope.PARTNER
        if self.course_of_study is not None:
            return Scope.COURSE_OF_STUDY
        if self.school is not None:
            return Scope.SCHOOL
        return Scope.DEFAULT

    def applies(
        self,
        *,
        school: Hashable | None = None,
        course_of_study: Hashable | None = None,
        partner: Hashable | None = None,
    ) -> bool:
        return (
            (self.school is None or self.school == school)
            and (self.course_of_study is None or self.course_of_study == course_of_study)
            and (self.partner is None or self.partner == partner)
        )

    def __str__(self) -> str:
        if self.name:
            return self.name
        where = [
            f"{scope} {value}"
            for scope, value in (
                (Scope.PARTNER, self.partner),
                (Scope.COURSE_OF_STUDY, self.course_of_study),
                (Scope.SCHOOL, self.school),
            )
            if value is not None
        ]
        return f"the rule for {' and '.join(where) or 'every mobility'}"


def resolve(
    rules: Iterable[Rule],
    *,
    school: Hashable | None = None,
    course_of_study: Hashable | None = None,
    partner: Hashable | None = None,
) -> Rule | None:
    """The most specific rule that applies (partner > course of study > School > default), or
    None when none does. ValueError, naming both, when two different rules tie."""
    applicable = [
        rule
        for rule in rules
        if rule.applies(school=school, course_of_study=course_of_study, partner=partner)
    ]
    if not applicable:
        return None
    top = max(rule.precedence for rule in applicable)
    winners = [rule for rule in applicable if rule.precedence == top]
    for other in winners[1:]:
        if other != winners[0]:
            raise ValueError(
                f"two rules apply with the same precedence ({winners[0].scope}): "
                f"{winners[0]} and {other}; keep one, or make one more specific"
            )
    return winners[0]


# ---------------------------------------------------------------------------------- text


def _percent(value: Decimal) -> str:
    return _plain(value.quantize(Decimal("0.1")))


def _range(bounds: tuple[Decimal, Decimal] | None) -> str:
    if bounds is None:
        return ""
    return f"top {_percent(bounds[0])}%–{_percent(bounds[1])}%"


def _exact(value: Decimal) -> str:
    rounded = value.quantize(Decimal("0.01"))
    return f"= {_plain(value)}" if rounded == value else f"≈ {_plain(rounded)}"


_ROUNDING_TEXT: Final = {
    Rounding.HALF_UP: "rounded half up",
    Rounding.NEAREST: "rounded to the nearest grade (a tie to the better one)",
    Rounding.DOWN: "rounded down",
    Rounding.UP: "rounded up",
}


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _render_tables(result: Result) -> str:
    e = result.explanation
    host, home = result.host, result.home
    a, b = e.host_range or (Decimal(0), Decimal(0))
    share = f"the {_range(e.host_range)} of passing grades"
    if e.method is Method.ECTS_FALLBACK:
        text = f"{host} stands for {share} (ECTS 10/25/30/25/10)"
    elif a == b:
        text = f"no one had {host} in the host table ({e.host_table}): it sits at {_percent(a)}%"
    else:
        text = f"{host} covers {share} at the host ({e.host_table})"
    table = f"({e.home_table})"
    if e.midpoint is not None:
        point = ", which falls" if a == b else f"; its midpoint {_percent(e.midpoint)}% falls"
        return f"{text}{point} in {home} at home, {_range(e.home_range)} {table}"
    if e.policy is OverlapPolicy.TOP:
        return (
            f"{text}; the best grade overlapping it at home is {home}, "
            f"{_range(e.home_range)} {table}"
        )
    parts = ", ".join(f"{o.grade} ({_percent(o.overlap)} points)" for o in e.overlaps)
    return f"{text}; at home {table} it overlaps {parts}: the weighted average is {home}"


def render(result: Result) -> str:
    """The explanation in plain English, e.g. "14 (France 0-20) → 23 (Italy 0-30) by the
    linear formula: 18 + 12 x (14 - 10) / (20 - 10) = 22.8, rounded half up." The UI
    translates from the structured :class:`Explanation` instead."""
    e = result.explanation
    host, home = result.host, result.home
    if result.failed:
        return (
            f"{host} is a fail grade of {e.host_scale} (the lowest pass is {e.pass_mark}), so "
            "it converts to FAIL."
        )
    head = f"{host} ({e.host_scale}) → {home} ({e.home_scale}) by "
    head += f"{e.rule} ({e.method})" if e.rule else f"the {e.method}"
    if e.method is Method.FIXED_TABLE and e.band is not None:
        start, end, grade = e.band
        return f"{head}, band {e.row}: {start} to {end} → {grade}."
    if e.method is Method.TWO_STEP and e.band is not None and e.home_band is not None:
        start, end, letter = e.band
        k, n = e.within_band or (1, 1)
        place = f", {host} being the {_ordinal(k)} best of the {n} giving {letter}" if n > 1 else ""
        return (
            f"{head}: host band {e.row} ({start} to {end}) gives {letter}, which is "
            f"{e.home_band[0]} to {e.home_band[1]} at home{place}."
        )
    if e.method is Method.LINEAR and e.exact is not None and e.rounding is not None:
        text = f"{head}: {e.formula} {_exact(e.exact)}"
        if not isinstance(home, Grade) or home.value != e.exact:
            text += f", {_ROUNDING_TEXT[e.rounding]}"
        return f"{text}; {e.honours}." if e.honours else f"{text}."
    return f"{head}: {_render_tables(result)}."
