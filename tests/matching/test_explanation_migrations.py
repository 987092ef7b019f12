"""The data migrations that bring stored explanations (a call's assignments, an ATHENS
session's allocations) to the shared shape, and back."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from abroad.matching.explanation import summary

pytestmark = pytest.mark.unit

SELECTION = importlib.import_module("abroad.selection.migrations.0003_explanation_shape")
NETWORKS = importlib.import_module("abroad.networks.migrations.0003_explanation_shape")


def _old(key: str) -> dict[str, Any]:
    return {
        "outcome": "assigned",
        "choice": 2,
        "text": "2nd choice; your 1st choice was filled at score 27.4",
        "skipped": [{"choice": 1, key: 12, "reason": "filled", "cutoff": 27.4, "tied": False}],
    }


NEW = {
    "outcome": "assigned",
    "choice": 2,
    "option": None,
    "skipped": [{"choice": 1, "option": 12, "reason": "filled", "cutoff": 27.4, "tied": False}],
}


@pytest.mark.parametrize(("migration", "key"), [(SELECTION, "offer"), (NETWORKS, "course")])
def test_an_old_explanation_takes_the_shared_shape_and_goes_back(migration: Any, key: str) -> None:
    old = _old(key)
    new = migration.forward_data(old)
    assert new == NEW
    assert summary(new) == old["text"]
    assert migration.forward_data(new) == new  # running it twice changes nothing
    back = migration.backward_data(new)
    assert back == {**old, "skipped": old["skipped"]}


@pytest.mark.parametrize("migration", [SELECTION, NETWORKS])
def test_an_empty_explanation_stays_empty(migration: Any) -> None:
    assert migration.forward_data({}) == {}
    assert migration.backward_data({}) == {}
