"""The allocation engine against the `matching` package (PyPI, HospitalResident, resident
optimal) on the same seeded instances. Prints time, peak memory, the speed ratio, whether the
two agree, the growth exponent, and the targets.

    .venv/bin/python benchmarks/allocation.py [--sizes 1k 10k 100k 1M] [--timeout 120]

Instances (seed = --seed + S): S students, S/10 offers with 1..14 seats each (about 0.75 S in
all), 6 distinct preferences per student drawn from a Zipf(1) popularity over the offers, merit
score N(25, 3). Two engine modes: a common merit order (serial dictatorship), and per-offer
priorities (every offer ranks its applicants by merit plus N(0, 0.5) noise: real deferred
acceptance). The priorities are given as the engine takes them: each Applicant's
offer_scores, aligned with its preferences; the same priorities as a mapping (offer ->
applicant -> score, the engine's slower convenience form) are timed too, for reference, and
are what the peer's offer preference lists are built from.

What is timed: the engine from its plain input (a list of Applicant and the capacities) to
its result, the Allocation (who won which seat, in merit order; the mappings by applicant id,
`assignment` and the cutoffs, are derived from it on first access, and explanations on
demand: those costs are shown apart, the first access of `assignment` once, explanations per
applicant); the peer from its plain input (dicts of lists) to its solution
(create_from_dictionaries + solve). Since the peer's time includes building its input, the
engine is also timed **as run_round uses it** (issue 19): from the same plain dicts (and the
scores) to the Applicants in merit order, the allocation, and every applicant's explanation
turned into the data a round stores (``matching.explanation.to_data``); its ratio to the peer
is the honest one. Instance generation and the conversion to the peer's format are not timed.
Times are the best of exactly --repeat runs for the engine and for the peer alike; the machine
may be shared, so expect noise. Peak memory is tracemalloc's peak over one more run (Python
heap allocated by that run, its result included). The generated instance is moved out of the
cyclic garbage collector's way (gc.freeze) before timing, in both processes.

The peer runs in its own virtualenv, benchmarks/.peer-venv (created on first run, gitignored),
in a subprocess that reads the instance from a pickle in a temporary folder: the project does
not depend on it. It gets a raised recursion limit and a 1 GiB thread stack (its deepcopy
recurses deeply from about 1,000 students, daffidwilde/matching#139), and is skipped past
--timeout seconds, and at every larger size once that happened.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import itertools
import json
import math
import os
import pickle
import platform
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from abroad.matching.allocation import (  # noqa: E402
    Allocation,
    Applicant,
    allocate,
    merit_order,
)
from abroad.matching.explanation import to_data as explanation_data  # noqa: E402

PEER_VENV = ROOT / "benchmarks" / ".peer-venv"
PEER_SPEC = "matching==1.4.3"  # pinned: the announced 2.0 changes the API
PREFERENCES = 6
TARGET_RATIO_10K = 1000.0
TARGET_COMMON_1M = 2.0
TARGET_PRIORITIES_1M = 15.0
TARGET_EXPONENT = 1.2

PEER_WORKER = r"""
import gc, json, pickle, sys, threading, time, tracemalloc
from matching.games import HospitalResident

path, trace = sys.argv[1], sys.argv[2] == "trace"
with open(path + ".in", "rb") as f:
    residents, hospitals, capacities = pickle.load(f)
gc.collect()
gc.freeze()
sys.setrecursionlimit(10**7)
threading.stack_size(1 << 30)
out = {}

def run():
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    game = HospitalResident.create_from_dictionaries(residents, hospitals, capacities)
    solution = game.solve(optimal="resident")
    out["seconds"] = time.perf_counter() - start
    if trace:
        out["peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    out["assignment"] = {r.name: h.name for h, rs in solution.items() for r in rs}

thread = threading.Thread(target=run)
thread.start()
thread.join()
with open(path + ".out", "wb") as f:
    pickle.dump(out, f)
"""


# ---------------------------------------------------------------------------- instances


@dataclass
class Instance:
    size: int
    applicants: list[Applicant]  # with per-offer priorities: with their offer_scores
    capacities: dict[int, int]
    priorities: dict[int, dict[int, float]] | None  # the same priorities as a mapping
    generation_seconds: float


def generate(size: int, seed: int, *, per_offer: bool) -> Instance:
    start = time.perf_counter()
    rng = random.Random(seed + size)
    offers = max(1, size // 10)
    popular = list(range(offers))  # popularity rank -> offer id
    rng.shuffle(popular)
    weights = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(offers)))
    total = weights[-1]
    capacities = {offer: rng.randint(1, 14) for offer in range(offers)}
    wanted = min(PREFERENCES, offers)
    applicants = []
    for student in range(size):
        chosen: list[int] = []
        while len(chosen) < wanted:
            offer = popular[bisect.bisect(weights, rng.random() * total)]
            if offer not in chosen:
                chosen.append(offer)
        score = rng.gauss(25.0, 3.0)
        applicants.append(Applicant(id=student, score=score, preferences=tuple(chosen)))
    priorities: dict[int, dict[int, float]] | None = None
    if per_offer:
        priorities = {offer: {} for offer in capacities}
        for j, a in enumerate(applicants):
            marks = tuple(a.score + rng.gauss(0.0, 0.5) for _ in a.preferences)
            for offer, mark in zip(a.preferences, marks, strict=True):
                priorities[offer][a.id] = mark
            applicants[j] = Applicant(
                id=a.id, score=a.score, preferences=a.preferences, offer_scores=marks
            )
    return Instance(size, applicants, capacities, priorities, time.perf_counter() - start)


def without_offer_scores(applicants: list[Applicant]) -> list[Applicant]:
    """The applicants for the mapping form of the priorities."""
    return [Applicant(id=a.id, score=a.score, preferences=a.preferences) for a in applicants]


def peer_input(inst: Instance) -> tuple[dict[int, list[int]], dict[int, list[int]], dict[int, int]]:
    """The same instance as the peer wants it: each offer ranks exactly its applicants, in the
    engine's order (its own score if any, then the common merit order: score, then id)."""
    merit = {a.id: p for p, a in enumerate(sorted(inst.applicants, key=lambda a: (-a.score, a.id)))}
    residents = {a.id: list(a.preferences) for a in inst.applicants}
    applied: dict[int, list[int]] = {}
    for a in inst.applicants:
        for offer in a.preferences:
            applied.setdefault(offer, []).append(a.id)

    def ranked(offer: int, ids: list[int]) -> list[int]:
        own = (inst.priorities or {}).get(offer)
        if own is None:
            return sorted(ids, key=merit.__getitem__)
        return sorted(ids, key=lambda i: (-own[i], merit[i]))

    hospitals = {offer: ranked(offer, ids) for offer, ids in applied.items()}
    return residents, hospitals, {offer: inst.capacities[offer] for offer in hospitals}


def built_in_rank_order(applicants: list[Applicant]) -> list[Applicant]:
    """The same applicants, created afresh in merit order, as the selection service does
    (it reads applications ordered by rank): their objects then lie in memory in the order
    the engine visits them."""
    return [
        Applicant(id=a.id + 0, score=a.score + 0.0, preferences=tuple(list(a.preferences)))
        for a in merit_order(applicants)
    ]


# ---------------------------------------------------------------------------- measuring


@dataclass
class Run:
    seconds: float | None = None
    peak_mb: float | None = None
    assignment_s: float | None = None  # engine: first access of Allocation.assignment
    mapping_s: float | None = None  # engine: the priorities given as a mapping instead
    full_s: float | None = None  # engine from plain data, with every explanation (run_round)
    note: str = ""
    assignment: dict[int, int | None] = field(default_factory=dict)


def best_of(repeat: int, call: Callable[[], Any]) -> tuple[float, Any]:
    """The best of exactly ``repeat`` runs, as many as the peer gets (the engine used to get
    up to 100 while they fitted in a second, the peer 3: its best was the luckier)."""
    best, result = math.inf, None
    for _ in range(repeat):
        result = None
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best, result


def traced_peak(call: Callable[[], Any]) -> float:
    tracemalloc.start()
    result = call()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del result
    return peak / 2**20


def run_engine(
    inst: Instance, repeat: int, memory: bool, applicants: list[Applicant] | None = None
) -> tuple[Run, Allocation, float]:
    given = inst.applicants if applicants is None else applicants

    def call() -> Allocation:
        return allocate(given, inst.capacities)

    seconds, result = best_of(repeat, call)
    start = time.perf_counter()
    result.assignment  # noqa: B018  (derived on first access: timed apart)
    assignment_seconds = time.perf_counter() - start
    mapping_seconds = None
    if inst.priorities is not None and applicants is None:
        plain = without_offer_scores(inst.applicants)
        mapping_seconds, mapped = best_of(
            repeat, lambda: allocate(plain, inst.capacities, priorities=inst.priorities)
        )
        if dict(mapped.assignment) != dict(result.assignment):
            raise AssertionError("the mapping form of the priorities gave another result")
        del plain, mapped
    peak = traced_peak(call) if memory else None
    sample = random.Random(0).sample(inst.applicants, min(10_000, inst.size))
    start = time.perf_counter()
    for a in sample:
        result.explain(a.id)
    per_explanation = (time.perf_counter() - start) / max(1, len(sample))
    run = Run(
        seconds, peak, assignment_seconds, mapping_seconds, assignment=dict(result.assignment)
    )
    if applicants is None:
        residents, _hospitals, _capacities = peer_input(inst)
        scores = {a.id: a.score for a in inst.applicants}
        marks = {a.id: a.offer_scores for a in inst.applicants}
        run.full_s, full = best_of(
            repeat, lambda: as_run_round(residents, scores, marks, inst.capacities)
        )
        if full != run.assignment:
            raise AssertionError("the engine from its plain input gave another result")
    return run, result, per_explanation


def as_run_round(
    residents: dict[int, list[int]],
    scores: dict[int, float],
    marks: dict[int, tuple[float | None, ...] | None],
    capacities: dict[int, int],
) -> dict[int, int | None]:
    """What ``selection.services.run_round`` does around the engine, from plain data (the
    dicts the peer gets, with the scores): build the Applicants in merit order, allocate,
    then explain every applicant and turn each explanation into the data it stores."""
    order = sorted(residents, key=lambda i: (-scores[i], i))
    applicants = [
        Applicant(
            id=i,
            score=scores[i],
            preferences=tuple(residents[i]),
            offer_scores=marks[i],
            tie_break=(float(rank),),
        )
        for rank, i in enumerate(order)
    ]
    result = allocate(applicants, capacities)
    for a in applicants:
        explanation_data(result.explain(a.id))
    return dict(result.assignment)


def ensure_peer() -> Path:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {PEER_VENV.relative_to(ROOT)} with {PEER_SPEC} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", PEER_SPEC], check=True)
    return python


def run_peer(python: Path, inst: Instance, timeout: float, memory: bool, repeat: int) -> Run:
    with tempfile.TemporaryDirectory(prefix="abroad-peer-") as folder:
        path = os.path.join(folder, "instance")
        with open(path + ".in", "wb") as f:
            pickle.dump(peer_input(inst), f, protocol=pickle.HIGHEST_PROTOCOL)

        def once(trace: bool, limit: float) -> dict[str, Any] | None:
            command = [str(python), "-c", PEER_WORKER, path, "trace" if trace else "time"]
            try:
                subprocess.run(command, check=True, timeout=limit, capture_output=True)
            except subprocess.TimeoutExpired:
                return None
            with open(path + ".out", "rb") as f:
                out: dict[str, Any] = pickle.load(f)
            return out

        timed = once(False, timeout)
        if timed is None:
            return Run(note=f"> {timeout:.0f} s, stopped")
        best = timed["seconds"]
        for _ in range(repeat - 1):  # like the engine: the best of exactly ``repeat``
            again = once(False, timeout)
            if again is not None:
                best = min(best, again["seconds"])
        run = Run(seconds=best)
        run.assignment = {a.id: timed["assignment"].get(a.id) for a in inst.applicants}
        if memory and timed["seconds"] < 30:
            traced = once(True, 20 * timed["seconds"] + 120)
            if traced is not None:
                run.peak_mb = traced["peak"] / 2**20
        return run


def slope(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of log(time) against log(size)."""
    if len(points) < 2:
        return None
    xs = [math.log(s) for s, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


# ------------------------------------------------------------------------------ printing


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds * 1000:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def fmt_size(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1000}k"


def parse_size(text: str) -> int:
    factor = {"k": 1000, "m": 1_000_000}.get(text[-1].lower(), 1)
    return int(float(text[:-1] if factor > 1 else text) * factor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", nargs="+", type=parse_size, default=[1000, 10_000, 100_000, 1_000_000]
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="peer time limit, s")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best counts")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-peer", action="store_true", help="engine only")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    args = parser.parse_args()
    python = None if args.no_peer else ensure_peer()
    memory = not args.no_memory

    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average at start "
        f"{os.getloadavg()[0]:.2f}; best of {args.repeat}; peer {PEER_SPEC}, "
        f"limit {args.timeout:.0f} s"
    )
    rows: dict[str, list[dict[str, Any]]] = {"common": [], "priorities": []}
    for mode in rows:
        peer_stopped_at: int | None = None
        for size in sorted(args.sizes):
            print(f"... {mode}, S = {size:,}", file=sys.stderr, flush=True)
            inst = generate(size, args.seed, per_offer=mode == "priorities")
            gc.collect()
            gc.freeze()
            engine, result, per_explanation = run_engine(inst, args.repeat, memory)
            rank_ordered = None
            if mode == "common":
                copy = built_in_rank_order(inst.applicants)
                rank_ordered = run_engine(inst, args.repeat, False, copy)[0].seconds
                del copy
            placed = sum(1 for o in engine.assignment.values() if o is not None)
            peer = Run(note="not run")
            if python is not None and peer_stopped_at is not None:
                peer = Run(note=f"skipped (stopped at {fmt_size(peer_stopped_at)})")
            elif python is not None:
                peer = run_peer(python, inst, args.timeout, memory, args.repeat)
                if peer.seconds is None:
                    peer_stopped_at = size
            differing = None
            if peer.seconds is not None:
                differing = sum(
                    1 for i, o in engine.assignment.items() if peer.assignment.get(i) != o
                )
            rows[mode].append(
                {
                    "size": size,
                    "offers": len(inst.capacities),
                    "seats": sum(inst.capacities.values()),
                    "placed": placed,
                    "method": result.method,
                    "generation_s": inst.generation_seconds,
                    "engine_s": engine.seconds,
                    "engine_assignment_s": engine.assignment_s,
                    "engine_mapping_s": engine.mapping_s,
                    "engine_full_s": engine.full_s,
                    "engine_rank_ordered_s": rank_ordered,
                    "engine_peak_mb": engine.peak_mb,
                    "explain_us": per_explanation * 1e6,
                    "peer_s": peer.seconds,
                    "peer_peak_mb": peer.peak_mb,
                    "peer_note": peer.note,
                    "differing": differing,
                }
            )
            del inst, result, engine, peer
            gc.unfreeze()
            gc.collect()

    for mode, title in (
        ("common", "Common merit order (engine: serial dictatorship)"),
        ("priorities", "Per-offer priorities (engine: deferred acceptance with heaps)"),
    ):
        print(f"\n### {title}\n")
        extra = (
            " engine, input built in rank order |"
            if mode == "common"
            else " engine, priorities as a mapping |"
        )
        print(
            "| S | offers | seats | placed | engine | engine peak | assignment, first access | "
            "explain one | engine as run_round (input built, every explanation) | matching | "
            "matching peak | matching / engine | matching / engine as run_round | "
            "students differing |" + extra
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows[mode]:
            ratio = f"{r['peer_s'] / r['engine_s']:,.0f}×" if r["peer_s"] is not None else "–"
            full_ratio = (
                f"{r['peer_s'] / r['engine_full_s']:,.1f}×"
                if r["peer_s"] is not None and r["engine_full_s"]
                else "–"
            )
            peak = f"{r['engine_peak_mb']:.1f} MB" if r["engine_peak_mb"] is not None else "–"
            peer_peak = f"{r['peer_peak_mb']:.1f} MB" if r["peer_peak_mb"] is not None else "–"
            peer_time = fmt_time(r["peer_s"]) if r["peer_s"] is not None else r["peer_note"]
            shown = r["differing"] if r["differing"] is not None else "–"
            print(
                f"| {r['size']:,} | {r['offers']:,} | {r['seats']:,} | {r['placed']:,} | "
                f"**{fmt_time(r['engine_s'])}** | {peak} | "
                f"{fmt_time(r['engine_assignment_s'])} | {r['explain_us']:.1f} µs | "
                f"{fmt_time(r['engine_full_s'])} | "
                f"{peer_time} | {peer_peak} | {ratio} | {full_ratio} | {shown} |"
                + (
                    f" {fmt_time(r['engine_rank_ordered_s'])} |"
                    if mode == "common"
                    else f" {fmt_time(r['engine_mapping_s'])} |"
                )
            )

    print("\n### Growth exponent b (time ∝ S^b)\n")
    print("| implementation | b, fit over all sizes | b between consecutive sizes |")
    print("|---|---|---|")
    exponents: dict[str, float | None] = {}
    for mode in rows:
        for who, key in (("engine", "engine_s"), ("matching", "peer_s")):
            points = [(r["size"], r[key]) for r in rows[mode] if r[key] is not None]
            b = slope(points)
            exponents[f"{who} {mode}"] = b
            local = ", ".join(
                f"{fmt_size(s0)}→{fmt_size(s1)}: {slope([(s0, t0), (s1, t1)]):.2f}"
                for (s0, t0), (s1, t1) in itertools.pairwise(points)
            )
            shown = f"{b:.2f}" if b is not None else "–"
            print(f"| {who}, {mode} | {shown} | {local or '–'} |")

    print("\n### Targets\n")
    print("| target | measured | met |")
    print("|---|---|---|")

    def at(mode: str, size: int) -> dict[str, Any] | None:
        return next((r for r in rows[mode] if r["size"] == size), None)

    for mode in rows:
        at10k = at(mode, 10_000)
        if at10k is not None and at10k["peer_s"] is not None:
            ratio = at10k["peer_s"] / at10k["engine_s"]
            met = ratio >= TARGET_RATIO_10K and at10k["differing"] == 0
            print(
                f"| ≥ {TARGET_RATIO_10K:,.0f}× faster than matching at 10k, same result "
                f"({mode}) | {ratio:,.0f}×, {at10k['differing']} differing | "
                f"{'yes' if met else 'NO'} |"
            )
    for mode, limit in (("common", TARGET_COMMON_1M), ("priorities", TARGET_PRIORITIES_1M)):
        at1m = at(mode, 1_000_000)
        if at1m is not None:
            met = at1m["engine_s"] < limit
            print(
                f"| 1M students under {limit:g} s ({mode}) | {fmt_time(at1m['engine_s'])} | "
                f"{'yes' if met else 'NO'} |"
            )
    for mode in rows:
        b = exponents[f"engine {mode}"]
        if b is not None:
            met = b <= TARGET_EXPONENT
            print(
                f"| growth exponent ≤ {TARGET_EXPONENT} ({mode}) | {b:.2f} | "
                f"{'yes' if met else 'NO'} |"
            )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
