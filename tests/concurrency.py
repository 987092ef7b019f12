"""The race harness of the seat-acceptance tests (calls and ATHENS), on PostgreSQL: every
student answers in their own thread and database connection; a barrier placed inside the
transaction (after the seats were counted, before the commit) makes the race happen
whenever the code lets it. With the row lock, the others wait at the lock instead and the
barrier times out."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.db import connection, connections

SKIP_REASON = "row locks need PostgreSQL (set ABROAD_DATABASE_URL); CI runs this there"


def require_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(SKIP_REASON)


def race(
    items: Sequence[Any],
    accept: Callable[[Any], object],
    refusal: type[Exception],
    *,
    module: Any,
    wait_after: str,
    monkeypatch: pytest.MonkeyPatch,
) -> list[str]:
    """Run ``accept(item)`` for every item at once; ``module.<wait_after>`` (called inside
    the transaction, after the count) is wrapped to wait at the barrier. Returns each
    outcome: "accepted" or the refusal's message."""
    barrier = threading.Barrier(len(items), timeout=3)
    real = getattr(module, wait_after)

    def then_wait(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return result

    monkeypatch.setattr(module, wait_after, then_wait)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(item: Any) -> None:
        try:
            accept(item)
            result = "accepted"
        except refusal as error:
            result = str(error)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
