"""The ranked-list editor both a call's page and an ATHENS session's page use: each button
posts the whole list after its change, and the page says what the change did."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from abroad.matching.panel import Change, Choice, RankedItem, build, moved, what_changed

pytestmark = pytest.mark.unit


@dataclass(frozen=True)
class Option:
    pk: int
    name: str


OPTIONS = [Option(1, "Aalto"), Option(2, "Delft"), Option(3, "KTH"), Option(4, "ETH")]


def _build(
    ranked: list[int], max_items: int = 3
) -> tuple[list[RankedItem[Option]], list[Choice[Option]]]:
    return build(OPTIONS, ranked, max_items, key=lambda o: o.pk, label=lambda o: o.name)


def test_moving_posts_the_whole_list() -> None:
    assert moved([1, 2, 3], 0, -1) is None
    assert moved([1, 2, 3], 0, +1) == [2, 1, 3]
    assert moved([1, 2, 3], 2, +1) is None


def test_each_ranked_item_carries_the_list_its_buttons_post() -> None:
    items, choices = _build([3, 1, 99])  # 99 is no longer among the options: dropped
    assert [(i.position, i.option.pk, i.up, i.down, i.remove, i.label) for i in items] == [
        (1, 3, None, [1, 3], [1], "KTH"),
        (2, 1, [1, 3], None, [3], "Aalto"),
    ]
    assert [(c.option.pk, c.position, c.add) for c in choices] == [
        (1, 2, None),
        (2, None, [3, 1, 2]),
        (3, 1, None),
        (4, None, [3, 1, 4]),
    ]


def test_a_full_list_offers_no_add_button() -> None:
    _items, choices = _build([1, 2, 3])
    assert all(choice.add is None for choice in choices)


@pytest.mark.parametrize(
    ("before", "after", "moved_id", "change"),
    [
        ([1, 2], [2, 1], 2, (Change.MOVED, 1)),
        ([1], [1, 2], 2, (Change.ADDED, 2)),
        ([1, 2], [1], 2, (Change.REMOVED, None)),
        ([1], [1], 5, (Change.SAVED, None)),
        ([1], [1], None, (Change.SAVED, None)),
    ],
)
def test_what_a_change_did(
    before: list[int], after: list[int], moved_id: int | None, change: tuple[Change, int | None]
) -> None:
    assert what_changed(before, after, moved_id) == change
