"""The ranked-list editor a call's page (offers) and an ATHENS session's page (courses) share:
the student's list, best first, and the options they can add, each button posting the whole
list as it would be after its change (so the page works without JavaScript, and a stale page
cannot undo another tab's change silently: the posted list is the student's intent).

The page renders it with ``templates/matching/ranked_list.html`` (the list) and
``templates/matching/add_button.html`` (an option's "add" button); the form that reads the
posted list is :class:`abroad.matching.forms.RankedListForm`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class RankedItem(Generic[T]):
    """One option of the list, with the list each button would post (None: no such button)."""

    position: int
    option: T
    up: list[int] | None
    down: list[int] | None
    remove: list[int]
    label: str = ""  # its name, for the buttons' hidden words ("Up: Aalto University")
    reasons: list[str] = field(default_factory=list)  # why it is no longer open to the student


@dataclass
class Choice(Generic[T]):
    """An option the student can add, its place in the list if it is there already, and the
    list its "add" button would post (None: already there, or the list is full)."""

    option: T
    position: int | None
    add: list[int] | None
    label: str = ""


def moved(ids: Sequence[int], index: int, step: int) -> list[int] | None:
    """The list with the item at ``index`` moved by ``step`` (None: it cannot move so)."""
    target = index + step
    if not 0 <= target < len(ids):
        return None
    order = list(ids)
    order[index], order[target] = order[target], order[index]
    return order


def build(
    options: Sequence[T],
    ranked_ids: Sequence[int],
    max_items: int,
    *,
    key: Callable[[T], int],
    label: Callable[[T], str],
    reasons: Callable[[T], list[str]] | None = None,
) -> tuple[list[RankedItem[T]], list[Choice[T]]]:
    """The list (the ranked ids among ``options``, in order) and every option as a choice.
    ``key`` gives an option's id, ``label`` its name; ``reasons``, why a ranked option is no
    longer open to the student."""
    by_id = {key(option): option for option in options}
    ranked = [pk for pk in ranked_ids if pk in by_id]
    position = {pk: number for number, pk in enumerate(ranked, start=1)}
    full = len(ranked) >= max_items
    items = [
        RankedItem(
            position=number,
            option=by_id[pk],
            up=moved(ranked, number - 1, -1),
            down=moved(ranked, number - 1, +1),
            remove=[other for other in ranked if other != pk],
            label=label(by_id[pk]),
            reasons=reasons(by_id[pk]) if reasons else [],
        )
        for number, pk in enumerate(ranked, start=1)
    ]
    choices = [
        Choice(
            option=option,
            position=position.get(key(option)),
            add=None if full or key(option) in position else [*ranked, key(option)],
            label=label(option),
        )
        for option in options
    ]
    return items, choices


class Change(StrEnum):
    """What one posted list did to the moved option (the page says it in its own words)."""

    MOVED = "moved"  # it is now at another position
    ADDED = "added"
    REMOVED = "removed"
    SAVED = "saved"  # nothing to say about one option


def what_changed(
    before: Sequence[int], after: Sequence[int], moved_id: int | None
) -> tuple[Change, int | None]:
    """What the last change did to ``moved_id``, and its position (1-based) if in the list."""
    if moved_id is None:
        return Change.SAVED, None
    if moved_id in after:
        position = list(after).index(moved_id) + 1
        return (Change.MOVED if moved_id in before else Change.ADDED), position
    if moved_id in before:
        return Change.REMOVED, None
    return Change.SAVED, None
