"""Grades and grading scales as data (see the package docstring: Scales)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cached_property
from itertools import pairwise
from typing import Final, TypeAlias, TypeVar

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
