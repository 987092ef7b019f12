"""The application window of a call or an ATHENS session: applications are taken from the
opening instant included to the closing one excluded, to the second. One rule, one vocabulary
(:class:`WindowState`), one way to refuse a change outside the window.

A call's window is ``opens_at``/``closes_at``, a session's ``applications_open_at``/
``applications_close_at``; each model gives its :class:`Window` and its ``state_at``/``is_open``
ask it, its queryset's ``open_at`` asks :meth:`Window.open_q` with its field names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Q
from django.utils import timezone

from abroad.core.moments import local_moment


class MatchingError(Exception):
    """A change of an application or an allocation that is not allowed, with a message for
    the person who tried it (each app raises its own subclass)."""


class WindowState(StrEnum):
    """Where ``now`` falls against the window. A StrEnum: templates compare it with the
    strings "upcoming", "open" and "closed"."""

    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class Window:
    opens_at: dt.datetime
    closes_at: dt.datetime

    def state_at(self, now: dt.datetime | None = None) -> WindowState:
        now = now or timezone.now()
        if now < self.opens_at:
            return WindowState.UPCOMING
        if now >= self.closes_at:
            return WindowState.CLOSED
        return WindowState.OPEN

    def is_open(self, now: dt.datetime | None = None) -> bool:
        return self.state_at(now) is WindowState.OPEN

    @staticmethod
    def open_q(now: dt.datetime, *, opens: str, closes: str) -> Q:
        """The rows whose window (fields ``opens`` and ``closes``) is open at ``now``: the
        same rule as :meth:`state_at`, for a queryset."""
        return Q(**{f"{opens}__lte": now, f"{closes}__gt": now})


def when(moment: dt.datetime) -> dict[str, str]:
    """The ``%(when)s`` of a message: the instant as people read it, to the second."""
    return {"when": local_moment(moment)}


ErrorClass = Callable[[str], MatchingError]


def require_open(
    window: Window, now: dt.datetime, *, upcoming: str, closed: str, error: ErrorClass
) -> None:
    """Refuse a change outside the window: ``upcoming`` and ``closed`` are the messages (with
    ``%(when)s``, the opening or closing instant), ``error`` the app's error class."""
    state = window.state_at(now)
    if state is WindowState.UPCOMING:
        raise error(upcoming % when(window.opens_at))
    if state is WindowState.CLOSED:
        raise error(closed % when(window.closes_at))


def require_closed(window: Window, now: dt.datetime, *, message: str, error: ErrorClass) -> None:
    """Refuse a step that needs the window closed (ranking, allocating); ``message`` has
    ``%(when)s``, the closing instant."""
    if window.state_at(now) is not WindowState.CLOSED:
        raise error(message % when(window.closes_at))
