"""The allocation of exchange seats: student-proposing deferred acceptance.

Pure Python, no Django: the selection services turn a call's applications into the plain
dataclasses below, call :func:`allocate`, and store its result.

The rules, in one place
-----------------------
* Each :class:`Applicant` lists offers in the order the student ranked them, best first. The
  caller's eligibility check marks the offers the student cannot have, with a reason
  (``Applicant.ineligible``); those are never assigned, and the explanation says why they were
  skipped. The choice numbers in explanations follow the student's own ranking, so "2nd choice"
  means the second offer the student wrote, even when the first was ineligible.
* The common merit order ranks applicants by ``score`` (higher first), then by the caller's
  ``tie_break`` key (smaller first, e.g. ``(previous_exchanges, years_since_enrolment,
  submitted_at.timestamp())``), then by applicant id (smaller first). It is a strict order, so
  the result never depends on the order of the input.
* An offer may have its own priorities, e.g. a commission's scores (higher first); ties there
  fall back to the common merit order. They are given per applicant, aligned with the
  preferences: ``Applicant.offer_scores[i]`` is the applicant's score at ``preferences[i]``,
  None when that offer does not rank the applicant (then it is not acceptable to that offer);
  an offer without priorities of its own gets the common ``score`` there. ``allocate`` also
  takes them as a mapping (``priorities[offer][applicant] = score``, a missing applicant not
  ranked), which it turns into the aligned form first.
* The algorithm is student-proposing deferred acceptance (Gale and Shapley, with capacities):
  the result is stable (no applicant and offer would both rather have each other), wastes no
  seat, and gives every applicant the best offer they can have in any stable allocation. When
  every offer uses the common merit order this is exactly serial dictatorship (in merit order,
  each applicant takes their best offer with a free seat), which is what runs then.
* Rounds: ``held`` maps applicants who accepted a seat in an earlier round to their offer; they
  keep it and it counts against the offer's seats. ``excluded`` applicants (renounced, expired)
  get nothing. Everyone else competes for the seats left.

Cost: serial dictatorship is O(S log S + S·k) for S applicants with k preferences; deferred
acceptance is O(S log S + S·k + P + D log c), P proposals, D displacements, c seats per offer
(one heap per full offer), each proposal reading the score from the applicant's own aligned
tuple; the ``priorities`` mapping adds one dictionary lookup per preference first (about
twice the time), and None scores (an offer that does not rank someone, or an applicant
without ``offer_scores``) are trimmed or filled in one pass over those applicants first. The
result is left in merit order; ``Allocation.assignment``
(O(S)) is derived from it on first access (so are the cutoffs), explanations on demand, per
applicant.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import chain, compress, islice
from operator import attrgetter, eq, lt, methodcaller
from types import MappingProxyType
from typing import Final, Literal, cast

__all__ = [
    "Allocation",
    "Applicant",
    "Explanation",
    "OfferResult",
    "Outcome",
    "SkipReason",
    "Skipped",
    "allocate",
    "merit_order",
]

ApplicantId = int
OfferId = int
Method = Literal["serial dictatorship", "deferred acceptance"]

_NO_REASONS: Final[Mapping[OfferId, str]] = MappingProxyType({})


def _no_reasons() -> Mapping[OfferId, str]:
    return _NO_REASONS


# --------------------------------------------------------------------------------- input


@dataclass(frozen=True, slots=True)
class Applicant:
    """One application: who, their merit, and the offers they ranked (best first).

    ``ineligible`` maps some of the ranked offers to the reason the student cannot have them
    (e.g. ``"German B2 required"``); offers not in it are eligible. ``tie_break`` orders
    applicants with the same score: smaller first.

    ``offer_scores`` (optional) gives the offers' own priorities, aligned with
    ``preferences``: entry i is the applicant's score at offer ``preferences[i]`` (higher
    first; ties fall back to the common merit order), or None when that offer does not rank
    the applicant (then it is never assigned). An offer without priorities of its own gets the
    applicant's common ``score`` there, which ranks exactly as the common merit order; an
    applicant without ``offer_scores`` is ranked by ``score`` at every offer. Deferred
    acceptance runs when some applicant has a score at some offer; otherwise every offer uses
    the common order and serial dictatorship runs.
    """

    id: ApplicantId
    score: float
    preferences: tuple[OfferId, ...]
    ineligible: Mapping[OfferId, str] = field(default_factory=_no_reasons, hash=False)
    tie_break: tuple[float, ...] = ()
    offer_scores: tuple[float | None, ...] | None = None

    def __post_init__(self) -> None:
        # checked once here rather than at every allocation
        if len(set(self.preferences)) != len(self.preferences):
            raise ValueError(f"applicant {self.id}: an offer is ranked twice in {self.preferences}")
        marks = self.offer_scores
        if marks is not None:
            if len(marks) != len(self.preferences):
                raise ValueError(
                    f"applicant {self.id}: {len(marks)} offer_scores for "
                    f"{len(self.preferences)} preferences; give one per preference (None: "
                    "not ranked there)"
                )
            for offer, mark in zip(self.preferences, marks, strict=True):
                if mark is not None and mark != mark:  # NaN
                    raise ValueError(
                        f"applicant {self.id}: the score at offer {offer} is NaN; give a "
                        "number, or None if the offer does not rank the applicant"
                    )


# -------------------------------------------------------------------------------- output


class Outcome(StrEnum):
    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"
    HELD = "held"  # kept the seat accepted in an earlier round
    EXCLUDED = "excluded"  # renounced or let an earlier offer expire


class SkipReason(StrEnum):
    FILLED = "filled"  # every seat went to applicants the offer ranks higher (or was held)
    INELIGIBLE = "ineligible"  # the caller's eligibility check said no
    NOT_RANKED = "not_ranked"  # the offer has its own priorities and did not rank the applicant


@dataclass(frozen=True, slots=True)
class Skipped:
    """A choice the applicant ranked above the one they got, and why they did not get it.

    For ``FILLED``: ``cutoff`` is the score (at that offer) of the last applicant admitted
    there in this run, or None when no seat was given there in this run (all held, or none);
    ``own_score`` is the applicant's score at that offer; ``tied`` says the two are equal and
    the tie-break decided. For ``INELIGIBLE``: ``detail`` is the caller's reason.
    """

    choice: int
    offer: OfferId
    reason: SkipReason
    cutoff: float | None = None
    own_score: float | None = None
    tied: bool = False
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why an applicant got what they got. ``choice`` is 1-based in their own ranking;
    ``skipped`` lists every better choice (every choice, when unassigned), best first."""

    applicant: ApplicantId
    outcome: Outcome
    offer: OfferId | None = None
    choice: int | None = None
    skipped: tuple[Skipped, ...] = ()


@dataclass(frozen=True, slots=True)
class OfferResult:
    """One offer after the run: ``held`` seats from earlier rounds, ``admitted`` in this run,
    and the ``cutoff``: the score (at this offer) of the last applicant admitted in this run,
    None if nobody was."""

    offer: OfferId
    seats: int
    held: int
    admitted: int
    cutoff: float | None

    @property
    def filled(self) -> int:
        return self.held + self.admitted

    @property
    def remaining(self) -> int:
        return self.seats - self.held - self.admitted


class Allocation:
    """The result of :func:`allocate`: ``assignment`` (every applicant -> offer or None),
    ``offers`` (per offer: seats, held, admitted, remaining, cutoff), :meth:`explain` per
    applicant, and ``method``, the algorithm that ran.

    The engine leaves its result in merit order (``won[p]``: the offer won in this run by the
    p-th applicant in merit order); the mappings by applicant id are derived from it on first
    use and kept."""

    __slots__ = (
        "_applicants",
        "_assignment",
        "_by_position",
        "_capacities",
        "_cutoffs",
        "_excluded",
        "_heaps",
        "_held",
        "_held_count",
        "_ids",
        "_index",
        "_marks",
        "_offers",
        "_order",
        "_scores",
        "_won",
        "method",
    )

    def __init__(
        self,
        *,
        method: Method,
        applicants: list[Applicant],
        ids: list[ApplicantId],
        scores: list[float],
        order: list[int],
        won: list[OfferId | None],
        capacities: Mapping[OfferId, int],
        held: Mapping[ApplicantId, OfferId],
        held_count: Mapping[OfferId, int],
        excluded: frozenset[ApplicantId],
        marks: list[Marks | None] | None,
        heaps: Heaps | None,
    ) -> None:
        self.method: Method = method
        self._applicants = applicants  # in input order; j below is a position in it
        self._ids = ids
        self._scores = scores
        self._order = order  # every j, in common merit order: p -> j
        self._won = won  # p -> offer won in this run
        self._capacities = capacities
        self._held = held
        self._held_count = held_count
        self._excluded = excluded
        # j -> the applicant's score at each of their preferences (None: not ranked there);
        # None: every offer ranks by the common score
        self._marks = marks
        self._heaps = heaps  # deferred acceptance: offer -> (score there, -p) admitted
        self._cutoffs: dict[OfferId, float] | None = None  # derived on first use
        self._by_position: list[OfferId | None] | None = None  # j -> offer won in this run
        self._assignment: Mapping[ApplicantId, OfferId | None] | None = None
        self._index: dict[ApplicantId, int] | None = None
        self._offers: Mapping[OfferId, OfferResult] | None = None

    @property
    def assignment(self) -> Mapping[ApplicantId, OfferId | None]:
        """Every applicant id, in input order -> the offer they have (held or won), or None."""
        if self._assignment is None:
            assignment = dict(zip(self._ids, self._won_by_position(), strict=True))
            assignment.update(self._held)
            self._assignment = MappingProxyType(assignment)
        return self._assignment

    @property
    def offers(self) -> Mapping[OfferId, OfferResult]:
        if self._offers is None:
            admitted = Counter(self._won)
            held, cutoffs = self._held_count, self._cutoff_scores()
            self._offers = MappingProxyType(
                {
                    offer: OfferResult(
                        offer=offer,
                        seats=seats,
                        held=held.get(offer, 0),
                        admitted=admitted[offer],
                        cutoff=cutoffs.get(offer),
                    )
                    for offer, seats in self._capacities.items()
                }
            )
        return self._offers

    def explain(self, applicant_id: ApplicantId) -> Explanation:
        """The structured explanation for one applicant (KeyError for an unknown id)."""
        if self._index is None:
            self._index = dict(zip(self._ids, range(len(self._ids)), strict=True))
        j = self._index[applicant_id]
        applicant = self._applicants[j]
        if applicant_id in self._excluded:
            return Explanation(applicant=applicant_id, outcome=Outcome.EXCLUDED)
        prefs = applicant.preferences
        if applicant_id in self._held:
            held_offer = self._held[applicant_id]
            choice = prefs.index(held_offer) + 1 if held_offer in prefs else None
            return Explanation(
                applicant=applicant_id, outcome=Outcome.HELD, offer=held_offer, choice=choice
            )
        offer = self._won_by_position()[j]
        skipped: list[Skipped] = []
        choice = None
        for number, wanted in enumerate(prefs, start=1):
            if wanted == offer:
                choice = number
                break
            skipped.append(self._why_not(j, applicant, number, wanted))
        return Explanation(
            applicant=applicant_id,
            outcome=Outcome.UNASSIGNED if offer is None else Outcome.ASSIGNED,
            offer=offer,
            choice=choice,
            skipped=tuple(skipped),
        )

    def explanations(self) -> Iterator[Explanation]:
        """Every applicant's explanation, in common merit order."""
        ids = self._ids
        for j in self._order:
            yield self.explain(ids[j])

    def _won_by_position(self) -> list[OfferId | None]:
        """j -> the offer won in this run (``won`` put back in input order)."""
        if self._by_position is None:
            by_position: list[OfferId | None] = [None] * len(self._ids)
            for j, offer in zip(self._order, self._won, strict=True):
                if offer is not None:
                    by_position[j] = offer
            self._by_position = by_position
        return self._by_position

    def _cutoff_scores(self) -> dict[OfferId, float]:
        """Offer -> score there of the last applicant admitted in this run: for deferred
        acceptance the lowest score the offer holds; serial dictatorship admits in merit
        order, so there the last is the one furthest down it."""
        if self._cutoffs is None and self._heaps is not None:
            heaps = self._heaps
            self._cutoffs = {
                offer: min(heaps[offer])[0] for offer in self._capacities if heaps[offer]
            }
        if self._cutoffs is None:
            last = dict(zip(self._won, range(len(self._won)), strict=True))  # later ones win
            order, scores = self._order, self._scores
            self._cutoffs = {
                offer: scores[order[p]] for offer, p in last.items() if offer is not None
            }
        return self._cutoffs

    def _why_not(self, j: int, applicant: Applicant, number: int, offer: OfferId) -> Skipped:
        reason = applicant.ineligible.get(offer)
        if reason is not None:
            return Skipped(number, offer, SkipReason.INELIGIBLE, detail=reason)
        marks = None if self._marks is None else self._marks[j]
        own = applicant.score if marks is None else marks[number - 1]
        if own is None:
            return Skipped(number, offer, SkipReason.NOT_RANKED)
        cutoff = self._cutoff_scores().get(offer)
        return Skipped(
            number,
            offer,
            SkipReason.FILLED,
            cutoff=cutoff,
            own_score=own,
            tied=cutoff is not None and cutoff == own,
        )


# ------------------------------------------------------------------------------ algorithm
#
# Speed (benchmarks/allocation.py: a million applicants in about 1.4 s, or about 4 s with
# per-offer priorities). At that size the cost is mostly memory, not arithmetic: visiting
# objects in an order other than the one they were created in misses the caches. So the
# applicants' fields are read once, in input order, into plain lists; applicants are then
# named by their position j in the input, and the merit order is a list of positions. The
# gathers in merit order (the preferences, and the aligned scores for deferred acceptance) run
# in C, where the CPU overlaps the cache misses; the hot loops then walk those lists in order
# and leave their result in merit order too (``won``: merit position p -> offer). Putting it
# back in input order (a scatter, as slow as the gather) is left to the first access of
# Allocation.assignment. Applicants created in rank order, as the selection service does, run
# faster. Offers with small whole-number ids index a list rather than a dict. Checks run in C
# where they can (set and sum over whole lists), or once, when an Applicant is made. With
# per-offer priorities the proposing applicant's score is the next item of its own scores
# tuple, read alongside its preferences: no per-offer mapping (one was far bigger than the
# caches at a million applicants, and each lookup waited on memory). What is left is mostly
# the interpreter: about 4 proposals per applicant, most turned down at once by a full offer's
# floor, plus the merit sort and the checks.

_ID = attrgetter("id")
_SCORE = attrgetter("score")
_TIE = attrgetter("tie_break")
_PREFS = attrgetter("preferences")
_INELIGIBLE = attrgetter("ineligible")
_MARKS = attrgetter("offer_scores")
_VALUES = methodcaller("values")

SeatTable = list[int] | dict[OfferId, int]
Heap = list[tuple[float, int]]  # (score at the offer, -merit position), worst on top
Heaps = list[Heap] | dict[OfferId, Heap]
Marks = tuple[float | None, ...]  # an applicant's score at each preference, None: not ranked


def merit_order(applicants: Iterable[Applicant]) -> list[Applicant]:
    """Applicants in common merit order: score descending, then tie_break ascending, then id."""
    apps = list(applicants)
    return [apps[j] for j in _merit_positions(apps, list(map(_ID, apps)), list(map(_SCORE, apps)))]


def _increasing(ids: list[ApplicantId]) -> bool:
    """Strictly increasing (so also without repeats)."""
    return all(map(lt, ids, islice(ids, 1, None)))


def _merit_positions(
    apps: list[Applicant],
    ids: list[ApplicantId],
    scores: list[float],
    by_id: bool | None = None,
) -> list[int]:
    """Input positions in merit order. Stable sorts on plain keys, the last deciding first,
    are much faster than one sort on a composite key; and the tie-breaks only matter when
    two scores are equal, so they are sorted for only when the input is not already by id or
    some scores tie. ``by_id``: whether ids are strictly increasing, if already known."""
    n = len(apps)
    any_ties = any(map(_TIE, apps))
    if not any_ties and (_increasing(ids) if by_id is None else by_id):
        order = list(range(n))  # already by id, the only tie-break
    else:
        order = sorted(range(n), key=scores.__getitem__, reverse=True)  # keeps ties in order
        ranked = list(map(scores.__getitem__, order))
        if not any(map(eq, ranked, islice(ranked, 1, None))):
            return order
        order = sorted(range(n), key=ids.__getitem__)
        if any_ties:
            order.sort(key=list(map(_TIE, apps)).__getitem__)
    order.sort(key=scores.__getitem__, reverse=True)  # reverse keeps equal keys in order
    return order


def allocate(
    applicants: Iterable[Applicant],
    capacities: Mapping[OfferId, int],
    *,
    priorities: Mapping[OfferId, Mapping[ApplicantId, float]] | None = None,
    held: Mapping[ApplicantId, OfferId] | None = None,
    excluded: Collection[ApplicantId] = (),
) -> Allocation:
    """Allocate seats (``capacities``: offer -> seats) to ``applicants``.

    Offers with priorities of their own are given by ``Applicant.offer_scores``, the fast
    form. ``priorities`` (optional) says the same as a mapping, offer -> applicant -> score
    (higher first; an applicant missing there is not ranked by that offer), for applicants
    without ``offer_scores``; it is turned into aligned scores here, one lookup per
    preference, which is slower. ``held`` (applicant -> offer) and ``excluded`` (applicant
    ids) describe a later round: held and excluded applicants must be among ``applicants``
    (pass every application of the call); the others compete for ``capacities`` minus the
    held seats. Raises ValueError, naming the applicant or offer and the fix, for an
    inconsistent input. The input is not modified.
    """
    apps = list(applicants)
    held = held or {}
    priorities = priorities or {}
    excluded_set = frozenset(excluded)
    ids = list(map(_ID, apps))
    scores = list(map(_SCORE, apps))
    prefs = list(map(_PREFS, apps))
    held_count = _validate(ids, scores, prefs, capacities, priorities, held, excluded_set)
    by_id = _increasing(ids)
    _check_ids(ids, by_id, held, excluded_set)
    order = _merit_positions(apps, ids, scores, by_id)
    marks = _offer_marks(apps, ids, scores, prefs, priorities)
    out = held.keys() | excluded_set
    eligible, usable = _competing(
        apps, ids, scores, prefs, marks, out, unranked=_has_unranked(marks)
    )
    ranked_prefs = list(map(eligible.__getitem__, order))
    heaps: Heaps | None = None
    if usable is None:
        method: Method = "serial dictatorship"
        won = _serial_dictatorship(ranked_prefs, _seat_table(capacities, held_count))
    else:
        method = "deferred acceptance"
        won, heaps = _deferred_acceptance(
            ranked_prefs,
            list(map(usable.__getitem__, order)),
            _seat_table(capacities, held_count),
            capacities,
        )
    return Allocation(
        method=method,
        applicants=apps,
        ids=ids,
        scores=scores,
        order=order,
        won=won,
        capacities=capacities,
        held=held,
        held_count=held_count,
        excluded=excluded_set,
        marks=marks,
        heaps=heaps,
    )


def _offer_marks(
    apps: list[Applicant],
    ids: list[ApplicantId],
    scores: list[float],
    prefs: list[tuple[OfferId, ...]],
    priorities: Mapping[OfferId, Mapping[ApplicantId, float]],
) -> list[Marks | None] | None:
    """j -> the applicant's score at each of their preferences (None: not ranked there), or
    None when no offer has priorities of its own (serial dictatorship then)."""
    if priorities:
        for applicant in compress(apps, map(_MARKS, apps)):
            raise ValueError(
                f"applicant {applicant.id} has offer_scores and priorities are given too; "
                "pass the offers' priorities one way"
            )
        return [
            tuple(priorities[o].get(i) if o in priorities else s for o in ranked)
            for i, s, ranked in zip(ids, scores, prefs, strict=True)
        ]
    if not any(map(_MARKS, apps)):  # no score at any offer: serial dictatorship
        return None
    return list(map(_MARKS, apps))


_HAS_NONE = methodcaller("__contains__", None)


def _has_unranked(marks: list[Marks | None] | None) -> bool:
    """Whether some applicant has no scores of their own (None: the common score everywhere)
    or an offer that does not rank them (a None among their scores): then the lists are
    trimmed and filled before deferred acceptance, which reads plain numbers only."""
    return marks is not None and (None in marks or any(map(_HAS_NONE, marks)))


def _competing(
    apps: list[Applicant],
    ids: list[ApplicantId],
    scores: list[float],
    prefs: list[tuple[OfferId, ...]],
    marks: list[Marks | None] | None,
    out: Collection[ApplicantId],
    *,
    unranked: bool,
) -> tuple[list[tuple[OfferId, ...]], list[tuple[float, ...]] | None]:
    """The offers each applicant competes for, best first, and (with marks) their scores
    there: without the ineligible offers; () for held and excluded applicants. With
    ``unranked``, also without the offers that do not rank the applicant (None), and with
    the common score at every offer for applicants without marks. The lists given are
    returned when nothing is left out."""
    trim = set(compress(range(len(apps)), map(_INELIGIBLE, apps)))
    if marks is not None and unranked:
        trim.update(j for j, m in enumerate(marks) if m is None or None in m)
    if out:
        trim.update(compress(range(len(apps)), map(out.__contains__, ids)))
    usable = cast("list[tuple[float, ...]] | None", marks)
    if not trim:
        return prefs, usable
    eligible = prefs.copy()
    usable = None if usable is None else usable.copy()
    for j in trim:
        if ids[j] in out:
            eligible[j] = ()
            if usable is not None:
                usable[j] = ()
            continue
        ineligible = apps[j].ineligible
        if usable is None:
            eligible[j] = tuple(o for o in prefs[j] if o not in ineligible)
            continue
        own = cast("Marks | None", usable[j]) or (scores[j],) * len(prefs[j])
        kept = [
            (o, m)
            for o, m in zip(prefs[j], own, strict=True)
            if m is not None and o not in ineligible
        ]
        eligible[j] = tuple(o for o, _ in kept)
        usable[j] = tuple(m for _, m in kept)
    return eligible, usable


def _seat_table(capacities: Mapping[OfferId, int], held_count: Mapping[OfferId, int]) -> SeatTable:
    """Free seats per offer: a list indexed by offer id when the ids are small whole numbers
    (faster than hashing), a dict otherwise."""
    keys = capacities.keys()
    if keys and set(map(type, keys)) == {int}:
        low, high = min(keys), max(keys)
        if low >= 0 and high < 2 * len(keys) + 64:
            table = [0] * (high + 1)
            for offer, seats in capacities.items():
                table[offer] = seats - held_count.get(offer, 0)
            return table
    return {offer: seats - held_count.get(offer, 0) for offer, seats in capacities.items()}


def _serial_dictatorship(
    ranked_prefs: list[tuple[OfferId, ...]], table: SeatTable
) -> list[OfferId | None]:
    """In merit order, each applicant takes their best eligible offer with a free seat.
    Returns merit position -> offer won (None: none)."""
    won: list[OfferId | None] = [None] * len(ranked_prefs)
    for p, prefs in enumerate(ranked_prefs):
        for offer in prefs:
            if table[offer]:
                table[offer] -= 1
                won[p] = offer
                break
    return won


def _deferred_acceptance(
    ranked_prefs: list[tuple[OfferId, ...]],
    ranked_marks: list[tuple[float, ...]],
    table: SeatTable,
    capacities: Mapping[OfferId, int],
) -> tuple[list[OfferId | None], Heaps]:
    """Student-proposing deferred acceptance; returns merit position -> offer won, and per
    offer the (score there, -merit position) of those it admitted (the cutoffs' source).

    Applicants are named here by their merit position p (0 = best); ``ranked_marks[p]`` is
    aligned with ``ranked_prefs[p]``: p's score at each offer p competes for. Every offer
    ranks by ``(score at the offer, -p)``; an offer without its own priorities has the common
    score there, which orders exactly as the merit order. Applicants enter in merit order and
    propose down their list until an offer keeps them; one who displaces another lets the
    displaced one go on proposing from the offer they lost, and so on down the chain (the
    result is the same in any proposal order). An offer collects applicants in a plain list
    while it has free seats and becomes a min-heap, whose top is the worst it holds, once
    full; proposals below that worst's score are turned down at once, which is what most
    proposals are when the offers' priorities resemble the common order."""
    heaps: Heaps
    # floor: the score to reach at a full offer (its worst's), -inf while seats are free
    floor: list[float] | dict[OfferId, float]
    if isinstance(table, list):
        heaps = [[] for _ in table]
        floor = [-math.inf if seats else math.inf for seats in table]
    else:
        heaps = {offer: [] for offer in capacities}
        floor = {offer: -math.inf if seats else math.inf for offer, seats in table.items()}
    won: list[OfferId | None] = [None] * len(ranked_prefs)
    heapify, heapreplace = heapq.heapify, heapq.heapreplace
    # Everyone an offer holds entered before the newcomer p, so has a better merit position:
    # at a full offer, p displaces the worst only with a higher score there.
    for p, prefs, marks in zip(range(len(ranked_prefs)), ranked_prefs, ranked_marks, strict=True):
        for offer, score in zip(prefs, marks):  # noqa: B905  (same length; strict= is slow)
            if score < floor[offer]:  # below the worst of a full offer: turned down
                continue
            left = table[offer]
            if left:
                heap = heaps[offer]
                heap.append((score, -p))
                table[offer] = left - 1
                if left == 1:
                    heapify(heap)
                    floor[offer] = heap[0][0]
                won[p] = offer
                break
            if score > floor[offer]:
                heap = heaps[offer]
                displaced = -heapreplace(heap, (score, -p))[1]
                floor[offer] = heap[0][0]
                won[p] = offer
                won[displaced] = None
                _go_on(displaced, offer, ranked_prefs, ranked_marks, table, heaps, floor, won)
                break
    return won, heaps


def _go_on(
    q: int,
    lost: OfferId,
    ranked_prefs: list[tuple[OfferId, ...]],
    ranked_marks: list[tuple[float, ...]],
    table: SeatTable,
    heaps: Heaps,
    floor: list[float] | dict[OfferId, float],
    won: list[OfferId | None],
) -> None:
    """The applicant q, displaced from ``lost``, proposes on down their list; whoever q
    displaces in turn goes on, and so on down the chain (rare next to first proposals)."""
    while True:
        prefs = ranked_prefs[q]
        after = prefs.index(lost) + 1
        for offer, score in zip(prefs[after:], ranked_marks[q][after:]):  # noqa: B905
            if score < floor[offer]:
                continue
            heap = heaps[offer]
            left = table[offer]
            if left:
                heap.append((score, -q))
                table[offer] = left - 1
                if left == 1:
                    heapq.heapify(heap)
                    floor[offer] = heap[0][0]
                won[q] = offer
                return
            # full: a higher score, or the same and a better merit, displaces the worst
            if heap and (score > heap[0][0] or -q > heap[0][1]):
                won[q] = offer
                q, lost = -heapq.heapreplace(heap, (score, -q))[1], offer
                won[q] = None
                floor[offer] = heap[0][0]
                break
        else:  # turned down everywhere
            return


def _has_nan(numbers: Collection[float]) -> bool:
    """A NaN anywhere makes the sum NaN (so does inf - inf: then look one by one)."""
    return math.isnan(sum(numbers)) and any(map(math.isnan, numbers))


def _validate(
    ids: list[ApplicantId],
    scores: list[float],
    prefs: list[tuple[OfferId, ...]],
    capacities: Mapping[OfferId, int],
    priorities: Mapping[OfferId, Mapping[ApplicantId, float]],
    held: Mapping[ApplicantId, OfferId],
    excluded: frozenset[ApplicantId],
) -> dict[OfferId, int]:
    """Check the input (fast paths in C, slow paths only to name the culprit); return the
    number of held seats per offer. (Each Applicant checks its own preferences.)"""
    if capacities and (
        not set(map(type, capacities.values())) <= {int} or min(capacities.values()) < 0
    ):
        for offer, seats in capacities.items():
            if not isinstance(seats, int) or seats < 0:
                raise ValueError(f"offer {offer}: seats must be a whole number >= 0, not {seats!r}")
    if _has_nan(scores):
        culprit = ids[next(j for j, s in enumerate(scores) if math.isnan(s))]
        raise ValueError(f"applicant {culprit}: score is NaN; give a number")
    if not set(chain.from_iterable(prefs)) <= capacities.keys():
        for applicant_id, ranked in zip(ids, prefs, strict=True):
            for offer in ranked:
                if offer not in capacities:
                    raise ValueError(
                        f"applicant {applicant_id}: preference {offer} is not an offer of "
                        "this allocation; add its seats to capacities or drop the preference"
                    )
    # one sum over every priority score first: a NaN anywhere makes it NaN
    if not priorities.keys() <= capacities.keys() or math.isnan(
        sum(chain.from_iterable(map(_VALUES, priorities.values())))
    ):
        for offer, ranking in priorities.items():
            if offer not in capacities:
                raise ValueError(f"priorities for offer {offer}, which has no seats in capacities")
            if _has_nan(ranking.values()):
                raise ValueError(f"offer {offer}: a priority score is NaN; give a number")
    held_count: dict[OfferId, int] = {}
    for applicant_id, offer in held.items():
        if applicant_id in excluded:
            raise ValueError(f"applicant {applicant_id} is both held and excluded")
        if offer not in capacities:
            raise ValueError(f"applicant {applicant_id} holds offer {offer}, not in capacities")
        held_count[offer] = held_count.get(offer, 0) + 1
    for offer, count in held_count.items():
        if count > capacities[offer]:
            raise ValueError(
                f"offer {offer}: {count} seats are held but it has {capacities[offer]}; "
                "raise its seats or release a held seat"
            )
    return held_count


def _check_ids(
    ids: list[ApplicantId],
    by_id: bool,
    held: Mapping[ApplicantId, OfferId],
    excluded: frozenset[ApplicantId],
) -> None:
    """Checks on the applicant ids: each once (sure when they are strictly increasing), and
    held and excluded ones among them."""
    known: set[ApplicantId] | None = None
    if not by_id:
        known = set(ids)
        if len(known) != len(ids):
            seen: set[ApplicantId] = set()
            for applicant_id in ids:
                if applicant_id in seen:
                    raise ValueError(f"applicant {applicant_id} appears twice; pass it once")
                seen.add(applicant_id)
    if not held and not excluded:
        return
    if known is None:
        known = set(ids)
    for applicant_id in held:
        if applicant_id not in known:
            raise ValueError(
                f"held applicant {applicant_id} is not among the applicants; pass every "
                "application of the call, including the accepted ones"
            )
    for applicant_id in excluded:
        if applicant_id not in known:
            raise ValueError(f"excluded applicant {applicant_id} is not among the applicants")
