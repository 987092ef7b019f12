"""The strategies that turn a host grade into a home grade or FAIL (see the package
docstring: Strategies)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from itertools import pairwise
from typing import Final

from abroad.recognition.conversion.explanation import (
    Cycle,
    Group,
    Method,
    Overlap,
    OverlapPolicy,
    Result,
    Rounding,
    _explained,
    _fail,
)
from abroad.recognition.conversion.grades import (
    ECTS,
    ECTS_BANDS,
    HUNDRED,
    G,
    Grade,
    GradeLike,
    Scale,
    _number,
    _plain,
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
    def group(self) -> Group:
        """The reference group as data (institution, ISCED-F code, cycle, years), as the
        explanations store it: their words are the renderer's."""
        cycle = self.cycle.value if isinstance(self.cycle, Cycle) else str(self.cycle)
        return Group(self.institution, self.isced, cycle, tuple(self.years))

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
                host_group=self.host_table.group,
                home_group=self.home_table.group,
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
            else ""  # every passing grade taken as equally frequent
        )
        return Result(
            host,
            home,
            _explained(
                self,
                Method.ECTS_FALLBACK,
                home_table=home_table,
                home_group=self.home_table.group if self.home_table is not None else None,
                **details,
            ),
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
            honours = best.label
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
