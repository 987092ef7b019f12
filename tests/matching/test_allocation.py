"""The allocation engine: properties checked on random instances against independent, naive
definitions (capacity, eligibility, stability, no waste, student optimality by brute force,
serial dictatorship, determinism, rounds), then worked examples with exact results and texts."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abroad.matching.allocation import (
    Allocation,
    Applicant,
    Explanation,
    OfferResult,
    Outcome,
    Skipped,
    SkipReason,
    allocate,
    merit_order,
)
from abroad.matching.explanation import render_explanation

pytestmark = pytest.mark.unit

PROPERTY = settings(max_examples=200, deadline=None)

Priorities = dict[int, dict[int, float]]


@dataclass
class Instance:
    """``priorities`` says what the offers' own priorities are (the naive definitions below
    read it); ``aligned`` says how the engine is given them: as each applicant's
    ``offer_scores`` (its plain input), or as the ``priorities`` mapping."""

    applicants: list[Applicant]
    capacities: dict[int, int]
    priorities: Priorities | None = None
    held: dict[int, int] = field(default_factory=dict)
    excluded: set[int] = field(default_factory=set)
    aligned: bool = False
    unscored: frozenset[int] = frozenset()  # aligned, ranked by score everywhere: no marks

    def given(self, applicants: Iterable[Applicant] | None = None) -> list[Applicant]:
        chosen = list(self.applicants if applicants is None else applicants)
        if not self.aligned or self.priorities is None:
            return chosen
        return [
            a if a.id in self.unscored else with_offer_scores(a, self.priorities) for a in chosen
        ]

    def run(
        self,
        applicants: Iterable[Applicant] | None = None,
        capacities: Mapping[int, int] | None = None,
        *,
        fresh: bool = False,
    ) -> Allocation:
        """Allocate (``fresh``: without the held and excluded applicants of a round)."""
        return allocate(
            self.given(applicants),
            self.capacities if capacities is None else capacities,
            priorities=None if self.aligned else self.priorities,
            held=None if fresh else self.held,
            excluded=() if fresh else self.excluded,
        )

    @property
    def competing(self) -> list[Applicant]:
        return [a for a in self.applicants if a.id not in self.held and a.id not in self.excluded]


# ----------------------------------------------------------------- naive definitions


def with_offer_scores(a: Applicant, priorities: Priorities) -> Applicant:
    """The same applicant with the offers' priorities aligned with their preferences: the
    offer's own score, None where it did not rank them, the common score where the offer
    has no priorities of its own."""
    marks = tuple(priorities[o].get(a.id) if o in priorities else a.score for o in a.preferences)
    return dataclasses.replace(a, offer_scores=marks)


def merit_key(a: Applicant) -> tuple[float, tuple[float, ...], int]:
    return (-a.score, a.tie_break, a.id)


def acceptable(a: Applicant, offer: int, priorities: Priorities | None) -> bool:
    if offer not in a.preferences or offer in a.ineligible:
        return False
    return priorities is None or offer not in priorities or a.id in priorities[offer]


def offer_key(inst: Instance, offer: int) -> dict[int, tuple[float, ...]]:
    """How the offer ranks each acceptable applicant: bigger is better."""
    position = {a.id: p for p, a in enumerate(sorted(inst.applicants, key=merit_key))}
    own = (inst.priorities or {}).get(offer)
    return {
        a.id: (own[a.id], -position[a.id]) if own is not None else (-position[a.id],)
        for a in inst.applicants
        if acceptable(a, offer, inst.priorities)
    }


def rank(a: Applicant, offer: int | None) -> int:
    """Position in the applicant's list; being unassigned is worst."""
    return a.preferences.index(offer) if offer is not None else len(a.preferences)


def seats_left(inst: Instance) -> dict[int, int]:
    held = Counter(inst.held.values())
    return {o: seats - held[o] for o, seats in inst.capacities.items()}


def blocking_pairs(inst: Instance, matching: Mapping[int, int | None]) -> list[tuple[int, int]]:
    """(applicant, offer) pairs that would both rather have each other, among those competing
    in this round for the seats left."""
    left = seats_left(inst)
    holders: dict[int, list[int]] = {o: [] for o in inst.capacities}
    for a in inst.competing:
        offer = matching[a.id]
        if offer is not None:
            holders[offer].append(a.id)
    keys = {o: offer_key(inst, o) for o in inst.capacities}
    pairs = []
    for a in inst.competing:
        for offer in a.preferences[: rank(a, matching[a.id])]:
            if not acceptable(a, offer, inst.priorities):
                continue
            key = keys[offer]
            if len(holders[offer]) < left[offer] or any(key[b] < key[a.id] for b in holders[offer]):
                pairs.append((a.id, offer))
    return pairs


def naive_deferred_acceptance(inst: Instance) -> dict[int, int | None]:
    """Textbook student-proposing deferred acceptance, one proposal at a time, among those
    competing for the seats left; offers rank by ``offer_key`` (the previous engine read the
    mapping the same way)."""
    left = seats_left(inst)
    keys = {o: offer_key(inst, o) for o in inst.capacities}
    lists = {
        a.id: [o for o in a.preferences if acceptable(a, o, inst.priorities)]
        for a in inst.competing
    }
    holding: dict[int, list[int]] = {o: [] for o in inst.capacities}
    result: dict[int, int | None] = dict.fromkeys(lists)
    free = sorted(lists, reverse=True)
    while free:
        applicant_id = free.pop()
        if not lists[applicant_id]:
            continue
        offer = lists[applicant_id].pop(0)
        holders = holding[offer]
        holders.append(applicant_id)
        holders.sort(key=keys[offer].__getitem__, reverse=True)
        result[applicant_id] = offer
        if len(holders) > left[offer]:
            rejected = holders.pop()
            result[rejected] = None
            free.append(rejected)
    return result


def naive_serial_dictatorship(inst: Instance) -> dict[int, int | None]:
    left = seats_left(inst)
    result: dict[int, int | None] = {}
    for a in sorted(inst.competing, key=merit_key):
        result[a.id] = None
        for offer in a.preferences:
            if offer not in a.ineligible and left[offer] > 0:
                left[offer] -= 1
                result[a.id] = offer
                break
    return result


def all_stable_matchings(inst: Instance) -> list[dict[int, int | None]]:
    competing = inst.competing
    options = [
        [None, *(o for o in a.preferences if acceptable(a, o, inst.priorities))] for a in competing
    ]
    left = seats_left(inst)
    found = []
    for combo in itertools.product(*options):
        used = Counter(o for o in combo if o is not None)
        if any(used[o] > left[o] for o in used):
            continue
        matching = dict(zip((a.id for a in competing), combo, strict=True))
        if not blocking_pairs(inst, matching):
            found.append(matching)
    return found


# ------------------------------------------------------------------------ strategies


@st.composite
def instances(
    draw: st.DrawFn,
    *,
    max_applicants: int = 8,
    max_offers: int = 5,
    priorities: bool | None = None,
    rounds: bool = False,
    aligned: bool | None = None,
) -> Instance:
    n_offers = draw(st.integers(1, max_offers))
    base = draw(st.sampled_from([0, 10_000]))  # small ids use a list, large ones a dict
    offers = [base + 7 * k for k in range(n_offers)] if base else list(range(n_offers))
    capacities = {o: draw(st.integers(0, 3)) for o in offers}
    ids = draw(st.lists(st.integers(-50, 50), min_size=0, max_size=max_applicants, unique=True))
    applicants = []
    for applicant_id in ids:
        ranked = draw(st.permutations(offers))[: draw(st.integers(0, n_offers))]
        barred = draw(st.lists(st.sampled_from(ranked), unique=True)) if ranked else []
        applicants.append(
            Applicant(
                id=applicant_id,
                score=draw(st.sampled_from([20.0, 25.5, 27.4, 30.0])),
                preferences=tuple(ranked),
                ineligible={o: f"rule {o}" for o in barred},
                tie_break=tuple(draw(st.lists(st.integers(0, 2), max_size=2))),
            )
        )
    own: Priorities | None = None
    if priorities is None:
        priorities = draw(st.booleans())
    if priorities:
        own = {}
        for o in draw(st.lists(st.sampled_from(offers), unique=True, min_size=1)):
            ranked_ids = draw(st.lists(st.sampled_from(ids), unique=True)) if ids else []
            own[o] = {i: draw(st.sampled_from([1.0, 2.0, 3.0])) for i in ranked_ids}
    inst = Instance(applicants, capacities, own)
    inst.aligned = draw(st.booleans()) if aligned is None else aligned
    if inst.aligned and own is not None:  # some ranked by score everywhere: no marks needed
        plain = [a.id for a in applicants if all(o not in own for o in a.preferences)]
        inst.unscored = frozenset(
            draw(st.lists(st.sampled_from(plain), unique=True)) if plain else []
        )
    if rounds and ids:
        left = dict(capacities)
        for a in applicants:
            choice = draw(st.sampled_from(["compete", "hold", "exclude"]))
            free = [o for o in offers if left[o] > 0]
            if choice == "hold" and free:
                offer = draw(st.sampled_from(free))
                left[offer] -= 1
                inst.held[a.id] = offer
            elif choice == "exclude":
                inst.excluded.add(a.id)
    return inst


# ------------------------------------------------------------------------ properties


@PROPERTY
@given(instances(rounds=True))
def test_capacity_is_never_exceeded(inst: Instance) -> None:
    capacities, priorities = repr(inst.capacities), repr(inst.priorities)
    result = inst.run()
    assert (repr(inst.capacities), repr(inst.priorities)) == (capacities, priorities)
    used = Counter(o for o in result.assignment.values() if o is not None)
    for offer, seats in inst.capacities.items():
        assert used[offer] <= seats
        report = result.offers[offer]
        assert report.filled == used[offer]
        assert report.remaining == seats - used[offer]


@PROPERTY
@given(instances(rounds=True))
def test_only_eligible_listed_ranked_offers_are_assigned(inst: Instance) -> None:
    result = inst.run()
    assert set(result.assignment) == {a.id for a in inst.applicants}
    for a in inst.competing:
        offer = result.assignment[a.id]
        assert offer is None or acceptable(a, offer, inst.priorities)


@PROPERTY
@given(instances(rounds=True))
def test_result_is_stable(inst: Instance) -> None:
    assert blocking_pairs(inst, inst.run().assignment) == []


@PROPERTY
@given(instances(rounds=True))
def test_no_seat_is_wasted(inst: Instance) -> None:
    result = inst.run()
    for a in inst.competing:
        for offer in a.preferences[: rank(a, result.assignment[a.id])]:
            if acceptable(a, offer, inst.priorities):
                assert result.offers[offer].remaining == 0, (a.id, offer)


@PROPERTY
@given(instances(max_applicants=5, max_offers=3, rounds=True))
def test_every_applicant_gets_their_best_stable_offer(inst: Instance) -> None:
    result = inst.run()
    stable = all_stable_matchings(inst)
    mine = {a.id: result.assignment[a.id] for a in inst.competing}
    assert mine in stable
    for a in inst.competing:
        assert rank(a, mine[a.id]) == min(rank(a, m[a.id]) for m in stable)


@PROPERTY
@given(instances(max_applicants=30, max_offers=6, rounds=True))
def test_result_is_textbook_deferred_acceptance(inst: Instance) -> None:
    expected = naive_deferred_acceptance(inst) | inst.held | dict.fromkeys(inst.excluded)
    assert dict(inst.run().assignment) == expected


@PROPERTY
@given(instances(max_applicants=30, max_offers=6, priorities=True, rounds=True))
def test_aligned_scores_and_the_priorities_mapping_give_the_same_allocation(
    inst: Instance,
) -> None:
    inst.aligned = False
    mapping = inst.run()
    inst.aligned = True
    aligned = inst.run()
    assert mapping.method == "deferred acceptance"  # aligned: the same, if anyone has scores
    assert dict(aligned.assignment) == dict(mapping.assignment)
    assert dict(aligned.offers) == dict(mapping.offers)
    assert list(aligned.explanations()) == list(mapping.explanations())


@PROPERTY
@given(instances(priorities=False, rounds=True))
def test_common_order_is_naive_serial_dictatorship(inst: Instance) -> None:
    result = inst.run()
    assert result.method == "serial dictatorship"
    expected = naive_serial_dictatorship(inst) | inst.held | dict.fromkeys(inst.excluded)
    assert dict(result.assignment) == expected


@PROPERTY
@given(instances(priorities=False))
def test_deferred_acceptance_with_the_common_scores_is_serial_dictatorship(
    inst: Instance,
) -> None:
    common = {o: {a.id: a.score for a in inst.applicants} for o in inst.capacities}
    forced = allocate(inst.applicants, inst.capacities, priorities=common)
    scored = [
        dataclasses.replace(a, offer_scores=(a.score,) * len(a.preferences))
        for a in inst.applicants
    ]
    aligned = allocate(scored, inst.capacities)
    assert forced.method == "deferred acceptance"
    anyone = any(a.preferences for a in scored)  # with a score at some offer
    assert aligned.method == ("deferred acceptance" if anyone else "serial dictatorship")
    for result in (forced, aligned):
        assert dict(result.assignment) == dict(inst.run().assignment)
        assert dict(result.offers) == dict(inst.run().offers)


@PROPERTY
@given(instances(rounds=True), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_the_input_order(inst: Instance, rng: random.Random) -> None:
    first = inst.run()
    again = inst.run()
    shuffled = list(reversed(inst.applicants))
    rng.shuffle(shuffled)
    other = inst.run(shuffled, dict(reversed(inst.capacities.items())))
    for result in (again, other):
        assert dict(result.assignment) == dict(first.assignment)
        assert dict(result.offers) == dict(first.offers)
        assert [result.explain(a.id) for a in inst.applicants] == [
            first.explain(a.id) for a in inst.applicants
        ]


@PROPERTY
@given(instances(rounds=True))
def test_round_keeps_held_seats_and_skips_excluded(inst: Instance) -> None:
    result = inst.run()
    for applicant_id, offer in inst.held.items():
        assert result.assignment[applicant_id] == offer
        assert result.explain(applicant_id).outcome is Outcome.HELD
    for applicant_id in inst.excluded:
        assert result.assignment[applicant_id] is None
        assert result.explain(applicant_id) == Explanation(applicant_id, Outcome.EXCLUDED)
    held = Counter(inst.held.values())
    assert {o: r.held for o, r in result.offers.items()} == {o: held[o] for o in inst.capacities}


@PROPERTY
@given(instances(rounds=True))
def test_round_is_a_fresh_allocation_of_the_seats_left(inst: Instance) -> None:
    fresh = inst.run(inst.competing, seats_left(inst), fresh=True)
    result = inst.run()
    assert {a.id: result.assignment[a.id] for a in inst.competing} == dict(fresh.assignment)
    assert {o: r.cutoff for o, r in result.offers.items()} == {
        o: r.cutoff for o, r in fresh.offers.items()
    }


@PROPERTY
@given(instances(rounds=True))
def test_explanations_agree_with_the_result(inst: Instance) -> None:
    result = inst.run()
    assert [e.applicant for e in result.explanations()] == [
        a.id for a in sorted(inst.applicants, key=merit_key)
    ]
    for a in inst.competing:
        e = result.explain(a.id)
        offer = result.assignment[a.id]
        assert e.offer == offer
        assert e.outcome is (Outcome.UNASSIGNED if offer is None else Outcome.ASSIGNED)
        assert e.choice == (None if offer is None else a.preferences.index(offer) + 1)
        assert [s.offer for s in e.skipped] == list(a.preferences[: rank(a, offer)])
        assert [s.choice for s in e.skipped] == list(range(1, len(e.skipped) + 1))
        for s in e.skipped:
            if s.offer in a.ineligible:
                assert (s.reason, s.detail) == (SkipReason.INELIGIBLE, a.ineligible[s.offer])
            elif not acceptable(a, s.offer, inst.priorities):
                assert s.reason is SkipReason.NOT_RANKED
            else:
                report = result.offers[s.offer]
                assert s.reason is SkipReason.FILLED
                assert report.remaining == 0
                assert s.cutoff == report.cutoff
                assert s.own_score is not None
                assert s.cutoff is None or s.cutoff >= s.own_score
                assert s.tied == (s.cutoff == s.own_score)
        assert render_explanation(e)


@PROPERTY
@given(instances(rounds=True))
def test_cutoff_is_the_lowest_score_admitted_in_this_round(inst: Instance) -> None:
    result = inst.run()
    for offer, report in result.offers.items():
        own = (inst.priorities or {}).get(offer)
        admitted = [
            own[a.id] if own is not None else a.score
            for a in inst.competing
            if result.assignment[a.id] == offer
        ]
        assert report.admitted == len(admitted)
        assert report.cutoff == (min(admitted) if admitted else None)


# -------------------------------------------------------------------------- examples


def one(applicant_id: int = 1, *prefs: int, score: float = 20.0) -> Applicant:
    return Applicant(id=applicant_id, score=score, preferences=prefs)


def test_serial_dictatorship_example_with_explanations() -> None:
    polimi = [
        Applicant(id=1, score=30.0, preferences=(10, 20)),
        Applicant(id=2, score=27.4, preferences=(10, 30)),
        Applicant(id=3, score=25.0, preferences=(10, 20, 30)),
        Applicant(id=4, score=21.0, preferences=(20, 30)),
        Applicant(id=5, score=19.5, preferences=(10,)),
    ]
    result = allocate(polimi, {10: 2, 20: 1, 30: 2})
    assert result.method == "serial dictatorship"
    assert dict(result.assignment) == {1: 10, 2: 10, 3: 20, 4: 30, 5: None}
    assert result.offers[10] == OfferResult(offer=10, seats=2, held=0, admitted=2, cutoff=27.4)
    assert result.offers[30] == OfferResult(offer=30, seats=2, held=0, admitted=1, cutoff=21.0)
    assert (result.offers[30].filled, result.offers[30].remaining) == (1, 1)
    assert result.explain(3) == Explanation(
        applicant=3,
        outcome=Outcome.ASSIGNED,
        offer=20,
        choice=2,
        skipped=(Skipped(1, 10, SkipReason.FILLED, cutoff=27.4, own_score=25.0),),
    )
    texts = {a.id: render_explanation(result.explain(a.id)) for a in polimi}
    assert texts == {
        1: "1st choice",
        2: "1st choice",
        3: "2nd choice; your 1st choice was filled at score 27.4",
        4: "2nd choice; your 1st choice was filled at score 25",
        5: "no seat; your 1st choice was filled at score 27.4",
    }


def test_ineligible_preference_is_skipped_with_its_reason() -> None:
    student = Applicant(
        id=7,
        score=28.0,
        preferences=(1, 2, 3),
        ineligible={1: "German B2 required", 2: "master's students only"},
    )
    result = allocate([student], {1: 5, 2: 5, 3: 5})
    assert result.assignment[7] == 3
    assert render_explanation(result.explain(7)) == (
        "3rd choice; your 1st choice was skipped (ineligible: German B2 required); "
        "your 2nd choice was skipped (ineligible: master's students only)"
    )
    alone = allocate([Applicant(id=8, score=1.0, preferences=(1,), ineligible={1: "C1"})], {1: 1})
    assert alone.assignment[8] is None
    assert alone.offers[1].remaining == 1
    assert render_explanation(alone.explain(8)) == (
        "no seat; your 1st choice was skipped (ineligible: C1)"
    )


def test_equal_scores_are_ordered_by_the_callers_key_then_by_id() -> None:
    # tie_break: (previous exchanges, years since enrolment, submitted at): smaller first
    same = [
        Applicant(id=4, score=26.0, preferences=(1,), tie_break=(0, 3, 1700000300.0)),
        Applicant(id=3, score=26.0, preferences=(1,), tie_break=(0, 2, 1700000900.0)),
        Applicant(id=2, score=26.0, preferences=(1,), tie_break=(1, 1, 1700000000.0)),
        Applicant(id=9, score=26.0, preferences=(1,), tie_break=(0, 2, 1700000900.0)),
        Applicant(id=1, score=26.5, preferences=(1,), tie_break=(5, 9, 1800000000.0)),
    ]
    assert [a.id for a in merit_order(same)] == [1, 3, 9, 4, 2]
    result = allocate(same, {1: 2})
    assert dict(result.assignment) == {1: 1, 3: 1, 9: None, 4: None, 2: None}
    assert render_explanation(result.explain(9)) == (
        "no seat; your 1st choice was filled at score 26 (you tied and lost the tie-break)"
    )


def test_offer_priorities_override_the_common_order_there() -> None:
    # A commission ranks offer 1's candidates by interview; offer 2 uses the common order.
    applicants = [
        Applicant(id=1, score=30.0, preferences=(1, 2)),
        Applicant(id=2, score=28.0, preferences=(1, 2)),
        Applicant(id=3, score=25.0, preferences=(1, 2)),
        Applicant(id=4, score=24.0, preferences=(1, 2)),
    ]
    interview = {1: {1: 6.0, 2: 9.0, 3: 8.5}}  # applicant 4 was not interviewed
    result = allocate(applicants, {1: 2, 2: 1}, priorities=interview)
    assert result.method == "deferred acceptance"
    assert dict(result.assignment) == {1: 2, 2: 1, 3: 1, 4: None}
    assert result.offers[1].cutoff == 8.5
    assert result.offers[2].cutoff == 30.0
    texts = {a.id: render_explanation(result.explain(a.id)) for a in applicants}
    assert texts == {
        1: "2nd choice; your 1st choice was filled at score 8.5",
        2: "1st choice",
        3: "1st choice",
        4: "no seat; your 1st choice did not rank you; your 2nd choice was filled at score 30",
    }
    assert result.explain(1).skipped == (
        Skipped(1, 1, SkipReason.FILLED, cutoff=8.5, own_score=6.0),
    )


def test_offer_scores_aligned_with_the_preferences_say_the_same() -> None:
    # The example above with the interview scores given per applicant: offer 2 has no
    # priorities of its own (the common score there), applicant 4 was not interviewed (None).
    applicants = [
        Applicant(id=1, score=30.0, preferences=(1, 2), offer_scores=(6.0, 30.0)),
        Applicant(id=2, score=28.0, preferences=(1, 2), offer_scores=(9.0, 28.0)),
        Applicant(id=3, score=25.0, preferences=(1, 2), offer_scores=(8.5, 25.0)),
        Applicant(id=4, score=24.0, preferences=(1, 2), offer_scores=(None, 24.0)),
    ]
    result = allocate(applicants, {1: 2, 2: 1})
    assert result.method == "deferred acceptance"
    assert dict(result.assignment) == {1: 2, 2: 1, 3: 1, 4: None}
    assert (result.offers[1].cutoff, result.offers[2].cutoff) == (8.5, 30.0)
    assert render_explanation(result.explain(4)) == (
        "no seat; your 1st choice did not rank you; your 2nd choice was filled at score 30"
    )
    assert result.explain(1).skipped == (
        Skipped(1, 1, SkipReason.FILLED, cutoff=8.5, own_score=6.0),
    )


def test_deferred_acceptance_lets_a_better_candidate_displace_a_tentative_one() -> None:
    # Merit order: 1, 2, 3. Offer A prefers 3 to 1; 1 then moves to B, displacing 2.
    applicants = [
        Applicant(id=1, score=3.0, preferences=(100, 200)),
        Applicant(id=2, score=2.0, preferences=(200, 100)),
        Applicant(id=3, score=1.0, preferences=(100,)),
    ]
    own = {100: {1: 1.0, 2: 1.0, 3: 2.0}}
    result = allocate(applicants, {100: 1, 200: 1}, priorities=own)
    assert dict(result.assignment) == {1: 200, 2: None, 3: 100}
    assert render_explanation(result.explain(2)) == (
        "no seat; your 1st choice was filled at score 3; your 2nd choice was filled at score 2"
    )


def test_second_round_gives_freed_seats_to_the_next_in_line() -> None:
    applicants = [
        Applicant(id=1, score=30.0, preferences=(10, 20)),
        Applicant(id=2, score=29.0, preferences=(10, 20)),
        Applicant(id=3, score=28.0, preferences=(10, 20)),
        Applicant(id=4, score=27.0, preferences=(10, 20)),
        Applicant(id=5, score=26.0, preferences=(20,)),
    ]
    capacities = {10: 2, 20: 1}
    first = allocate(applicants, capacities)
    assert dict(first.assignment) == {1: 10, 2: 10, 3: 20, 4: None, 5: None}
    # Round 2: 1 accepted, 2 renounced, 3 let the deadline pass.
    second = allocate(applicants, capacities, held={1: 10}, excluded={2, 3})
    assert dict(second.assignment) == {1: 10, 2: None, 3: None, 4: 10, 5: 20}
    assert second.offers[10] == OfferResult(offer=10, seats=2, held=1, admitted=1, cutoff=27.0)
    assert second.offers[20] == OfferResult(offer=20, seats=1, held=0, admitted=1, cutoff=26.0)
    assert render_explanation(second.explain(1)) == "your 1st choice, accepted in an earlier round"
    assert render_explanation(second.explain(2)) == (
        "excluded from this round (seat renounced or acceptance expired)"
    )
    assert render_explanation(second.explain(4)) == "1st choice"


def test_offer_full_of_held_seats_has_no_cutoff() -> None:
    applicants = [
        Applicant(id=1, score=30.0, preferences=(10,)),
        Applicant(id=2, score=29.0, preferences=(10, 20)),
    ]
    result = allocate(applicants, {10: 1, 20: 1}, held={1: 10})
    assert result.assignment[2] == 20
    assert result.offers[10].cutoff is None
    assert render_explanation(result.explain(2)) == "2nd choice; your 1st choice had no free seat"


def test_any_whole_numbers_serve_as_offer_ids() -> None:
    # Small non-negative ids index a list inside the engine; others use a dict.
    applicants = [
        Applicant(id=1, score=30.0, preferences=(-1, 0, 10**12)),
        Applicant(id=2, score=29.0, preferences=(-1, 10**12, 0)),
        Applicant(id=3, score=28.0, preferences=(-1, 0)),
    ]
    result = allocate(applicants, {-1: 1, 0: 0, 10**12: 1})
    assert dict(result.assignment) == {1: -1, 2: 10**12, 3: None}
    dense = allocate(
        [Applicant(id=a.id, score=a.score, preferences=(2, 1, 0)) for a in applicants],
        {0: 1, 1: 0, 2: 1},
    )
    assert dict(dense.assignment) == {1: 2, 2: 0, 3: None}


def test_infinite_priorities_are_scores_like_any_other() -> None:
    applicants = [one(1, 10, score=5.0), one(2, 10, score=4.0), one(3, 10, score=3.0)]
    own = {10: {1: -math.inf, 2: math.inf, 3: 0.0}}
    result = allocate(applicants, {10: 2}, priorities=own)
    assert dict(result.assignment) == {1: None, 2: 10, 3: 10}
    assert result.offers[10].cutoff == 0.0


def test_explaining_an_unknown_applicant_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        allocate([one(1, 10)], {10: 1}).explain(2)


def test_applicant_who_ranked_nothing_gets_nothing() -> None:
    result = allocate([Applicant(id=1, score=30.0, preferences=())], {10: 3})
    assert result.assignment[1] is None
    assert render_explanation(result.explain(1)) == "no seat; you ranked no offer"


def test_empty_call() -> None:
    result = allocate([], {10: 3})
    assert dict(result.assignment) == {}
    assert result.offers[10] == OfferResult(offer=10, seats=3, held=0, admitted=0, cutoff=None)
    assert list(result.explanations()) == []


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (101, "101st"),
        (111, "111th"),
    ],
)
def test_choice_numbers_read_as_english_ordinals(n: int, text: str) -> None:
    e = Explanation(applicant=1, outcome=Outcome.ASSIGNED, offer=5, choice=n)
    assert render_explanation(e) == f"{text} choice"


@pytest.mark.parametrize(
    ("cutoff", "text"), [(27.4, "27.4"), (27.0, "27"), (26.123456, "26.1235"), (-0.0, "0")]
)
def test_cutoff_scores_are_printed_briefly(cutoff: float, text: str) -> None:
    skipped = (Skipped(1, 9, SkipReason.FILLED, cutoff=cutoff, own_score=-1.0),)
    e = Explanation(applicant=1, outcome=Outcome.UNASSIGNED, skipped=skipped)
    assert render_explanation(e) == f"no seat; your 1st choice was filled at score {text}"


@pytest.mark.parametrize(
    ("applicants", "capacities", "options", "message"),
    [
        ([one(1, 10), one(1, 10)], {10: 1}, {}, "applicant 1 appears twice"),
        ([one(1, 10, 99)], {10: 1}, {}, "applicant 1: preference 99 is not an offer"),
        ([one(1, 10, score=math.nan)], {10: 1}, {}, "applicant 1: score is NaN"),
        ([one(1, 10)], {10: -1}, {}, "offer 10: seats must be a whole number >= 0"),
        ([one(1, 10)], {10: 1}, {"priorities": {11: {1: 1.0}}}, "priorities for offer 11"),
        ([one(1, 10)], {10: 1}, {"priorities": {10: {1: math.nan}}}, "offer 10: a priority"),
        ([one(1, 10)], {10: 1}, {"held": {2: 10}}, "held applicant 2 is not among"),
        ([one(1, 10)], {10: 1}, {"held": {1: 11}}, "applicant 1 holds offer 11"),
        ([one(1, 10), one(2, 10)], {10: 1}, {"held": {1: 10, 2: 10}}, "offer 10: 2 seats are"),
        ([one(1, 10)], {10: 1}, {"held": {1: 10}, "excluded": {1}}, "both held and excluded"),
        ([one(1, 10)], {10: 1}, {"excluded": {3}}, "excluded applicant 3 is not among"),
    ],
)
def test_inconsistent_input_is_refused_naming_the_culprit(
    applicants: Sequence[Applicant],
    capacities: dict[int, int],
    options: dict[str, object],
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        allocate(applicants, capacities, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("marks", "message"),
    [
        ((1.0,), r"applicant 3: 1 offer_scores for 2 preferences"),
        ((1.0, 2.0, 3.0), r"applicant 3: 3 offer_scores for 2 preferences"),
        ((None, math.nan), r"applicant 3: the score at offer 2 is NaN"),
    ],
)
def test_offer_scores_not_aligned_with_the_preferences_are_refused(
    marks: tuple[float | None, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Applicant(id=3, score=1.0, preferences=(1, 2), offer_scores=marks)


def test_priorities_given_both_ways_are_refused() -> None:
    scored = Applicant(id=5, score=1.0, preferences=(10,), offer_scores=(2.0,))
    with pytest.raises(ValueError, match="applicant 5 has offer_scores and priorities"):
        allocate([one(1, 10), scored], {10: 1}, priorities={10: {1: 1.0}})


def test_an_offer_ranked_twice_is_refused() -> None:
    with pytest.raises(ValueError, match=r"applicant 3: an offer is ranked twice in \(1, 2, 1\)"):
        Applicant(id=3, score=1.0, preferences=(1, 2, 1))


def test_applicants_are_plain_frozen_values() -> None:
    a = Applicant(id=1, score=2.0, preferences=(3,), ineligible={3: "no"})
    assert a == Applicant(id=1, score=2.0, preferences=(3,), ineligible={3: "no"})
    assert hash(a) == hash(Applicant(id=1, score=2.0, preferences=(3,)))
    with pytest.raises(AttributeError):
        a.score = 3.0  # type: ignore[misc]
    assert not hasattr(a, "__dict__")
