"""The standard grading scales are rows that a data migration adds. Tests that empty the
database (transactional tests flush it when they end) take them away for the tests after
them, so every database test of the recognition starts with them, as a real installation
does."""

from __future__ import annotations

import pytest

from abroad.recognition.services import ensure_standard_scales


@pytest.fixture(autouse=True)
def _standard_scales(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return  # a unit test: no database
    transactional = marker.kwargs.get("transaction", False)
    request.getfixturevalue("transactional_db" if transactional else "db")
    ensure_standard_scales()
