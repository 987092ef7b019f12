"""The application window both calls and ATHENS sessions use: the states, to the second, the
queryset rule agreeing with the Python one, and the refusals with the instant to the second."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from abroad.matching.window import (
    MatchingError,
    Window,
    WindowState,
    require_closed,
    require_open,
)

pytestmark = pytest.mark.unit

OPENS = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
CLOSES = dt.datetime(2026, 12, 16, 11, 0, tzinfo=dt.UTC)
WINDOW = Window(OPENS, CLOSES)
SECOND = dt.timedelta(seconds=1)


class Refused(MatchingError):
    pass


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (OPENS - SECOND, WindowState.UPCOMING),
        (OPENS, WindowState.OPEN),
        (CLOSES - SECOND, WindowState.OPEN),
        (CLOSES, WindowState.CLOSED),
        (CLOSES + SECOND, WindowState.CLOSED),
    ],
)
def test_the_window_opens_included_and_closes_excluded(
    now: dt.datetime, state: WindowState
) -> None:
    assert WINDOW.state_at(now) is state
    assert WINDOW.is_open(now) is (state is WindowState.OPEN)
    assert state == state.value  # templates compare with the plain strings


def test_the_queryset_rule_is_the_python_rule() -> None:
    """``open_q`` spells the same bounds as ``state_at``: opens included, closes excluded."""
    q = Window.open_q(OPENS, opens="opens_at", closes="closes_at")
    assert sorted(q.children, key=str) == [("closes_at__gt", OPENS), ("opens_at__lte", OPENS)]


def test_a_change_outside_the_window_is_refused_with_the_instant() -> None:
    def open_now(now: dt.datetime) -> None:
        require_open(
            WINDOW, now, upcoming="opens %(when)s", closed="closed %(when)s", error=Refused
        )

    with timezone.override("Europe/Rome"):
        with pytest.raises(Refused, match=r"^opens 02/11/2026 10:00:00$"):
            open_now(OPENS - SECOND)
        with pytest.raises(Refused, match=r"^closed 16/12/2026 12:00:00$"):
            open_now(CLOSES)
        open_now(OPENS)
        with pytest.raises(Refused, match=r"^until 16/12/2026 12:00:00$"):
            require_closed(WINDOW, CLOSES - SECOND, message="until %(when)s", error=Refused)
        require_closed(WINDOW, CLOSES, message="until %(when)s", error=Refused)
