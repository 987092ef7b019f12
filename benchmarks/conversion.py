"""Grade conversion throughput: random host grades through every strategy and standard scale.

    .venv/bin/python benchmarks/conversion.py [--grades 100000] [--seed 1]

For each strategy, --grades random host grades (as text, as a transcript gives them: 80% passing,
20% fail, over every standard host scale the strategy takes) are parsed and converted to Italian
grades; the table shows the time and the rate. What is timed: ``strategy.convert(text)`` for each
grade, explanation included (its English rendering is timed apart, on the linear row's grades).
Building the strategies and drawing the grades are not timed. Tables are synthetic: a fixed table
splitting each host's passing grades evenly over 18-30L, a two-step table splitting them over
A-E with the Italian letter bands, and grading tables from a bell-shaped host distribution and
an Italian one. Times are the best of --repeat runs; the machine may be shared.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from abroad.recognition.conversion import (  # noqa: E402
    Band,
    Cycle,
    EctsFallback,
    FixedTable,
    GradingTable,
    GradingTableMatch,
    Linear,
    OverlapPolicy,
    Rounding,
    Scale,
    Strategy,
    TwoStep,
)
from abroad.recognition.scales import ITALY, STANDARD_SCALES  # noqa: E402

HOSTS = [scale for key, scale in STANDARD_SCALES.items() if key != "ects"]
YEARS = ("2021/22", "2022/23", "2023/24")
ITALIAN_LETTERS = (
    Band("30L", "30", "A"),
    Band("30", "27", "B"),
    Band("27", "24", "C"),
    Band("24", "20", "D"),
    Band("20", "18", "E"),
)
HOME_TABLE = GradingTable.of(
    ITALY,
    dict(
        zip(
            ["30L", *map(str, range(30, 17, -1))],
            (4, 12, 7, 12, 13, 10, 10, 9, 7, 6, 4, 3, 2, 1),
            strict=True,
        )
    ),
    isced="0731",
    cycle=Cycle.SECOND,
    years=YEARS,
)


def _runs(size: int, parts: int) -> list[tuple[int, int]]:
    """Ranks 0..size-1 in ``parts`` contiguous runs of nearly equal length, best first."""
    parts = min(parts, size)
    edges = [round(i * size / parts) for i in range(parts + 1)]
    return [(a, b - 1) for a, b in pairwise(edges)]


def fixed_table(host: Scale) -> FixedTable:
    home = ITALY.passing_grades()  # 30L, 30 ... 18
    runs = _runs(host.pass_rank + 1, len(home))
    bands = [
        Band(
            host.grade_at(best),
            host.grade_at(worst),
            home[round(i * (len(home) - 1) / max(1, len(runs) - 1))],
        )
        for i, (best, worst) in enumerate(runs)
    ]
    return FixedTable(host, ITALY, tuple(bands), name="even split")


def two_step(host: Scale) -> TwoStep:
    runs = _runs(host.pass_rank + 1, 5)
    letters = "ABCDE"[: len(runs)] if len(runs) == 5 else "ABCDE"[5 - len(runs) :]
    bands = [
        Band(host.grade_at(best), host.grade_at(worst), letter)
        for (best, worst), letter in zip(runs, letters, strict=True)
    ]
    return TwoStep(host, ITALY, tuple(bands), ITALIAN_LETTERS)


def host_table(host: Scale) -> GradingTable:
    """A bell over the passing grades: more in the middle, few at the ends."""
    passing = host.passing_grades()
    n = len(passing)
    counts = {g.label: 1 + (i * (n - 1 - i)) for i, g in enumerate(passing)}
    return GradingTable.from_counts(host, counts, isced="0731", cycle=Cycle.SECOND, years=YEARS)


def strategies() -> list[tuple[str, list[Strategy]]]:
    tables = {host.name: host_table(host) for host in HOSTS}
    groups: list[tuple[str, list[Strategy]]] = [("fixed table", [fixed_table(h) for h in HOSTS])]
    for policy in OverlapPolicy:
        matches = [GradingTableMatch(tables[h.name], HOME_TABLE, policy) for h in HOSTS]
        groups.append((f"grading tables ({policy})", list(matches)))
    groups += [
        ("two-step table", [two_step(h) for h in HOSTS]),
        ("linear formula", [Linear(h, ITALY, Rounding.HALF_UP, lode_at_best=True) for h in HOSTS]),
        ("ECTS fallback", [EctsFallback(ITALY), EctsFallback(ITALY, HOME_TABLE)]),
    ]
    return groups


def draw_grades(rng: random.Random, scale: Scale, count: int) -> list[str]:
    grades = scale.grades()
    passing, failing = grades[: scale.pass_rank + 1], grades[scale.pass_rank + 1 :]
    return [
        (rng.choice(failing) if failing and rng.random() < 0.2 else rng.choice(passing)).label
        for _ in range(count)
    ]


def timed(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def bench(
    name: str, group: Sequence[Strategy], total: int, rng: random.Random, repeat: int
) -> tuple[int, float]:
    share = [total // len(group) + (1 if i < total % len(group) else 0) for i in range(len(group))]
    work = [(s, draw_grades(rng, s.host, k)) for s, k in zip(group, share, strict=True)]

    def run() -> None:
        for strategy, grades in work:
            convert = strategy.convert
            for grade in grades:
                convert(grade)

    return sum(share), timed(run, repeat)


def line(name: str, scales: object, count: int, seconds: float) -> str:
    return f"{name:<26} {scales!s:>6} {count:>9,} {seconds:>9.3f} {count / seconds:>10,.0f}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grades", type=int, default=100_000, help="grades per strategy")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    print(f"Python {platform.python_version()} on {platform.machine()}, seed {args.seed}, ", end="")
    print(f"best of {args.repeat}")
    print(f"{'strategy':<26} {'scales':>6} {'grades':>9} {'seconds':>9} {'grades/s':>10}")
    all_grades, all_seconds = 0, 0.0
    groups = strategies()
    for name, group in groups:
        count, seconds = bench(name, group, args.grades, rng, args.repeat)
        all_grades += count
        all_seconds += seconds
        print(line(name, len(group), count, seconds))
    print(line("all", "", all_grades, all_seconds))
    linear = groups[-2][1]
    results = [s.convert(g) for s in linear for g in draw_grades(rng, s.host, 2_000)]
    seconds = timed(lambda: [r.text() for r in results], args.repeat)
    print(line("English text (linear)", "", len(results), seconds))


if __name__ == "__main__":
    main()
