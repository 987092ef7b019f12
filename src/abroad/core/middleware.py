"""Middleware that protects every request the same way (docs/security.md).

- :class:`RequestBodyCap`: a request body larger than ``MAX_REQUEST_BYTES`` is refused with
  413 before anything reads it (the proxy should refuse it first; this is the second line).
- :class:`IdleSessionTimeout`: a signed-in session ends after ``SESSION_COOKIE_AGE`` seconds
  without a request. The expiry moves forward at most once a minute, so that a busy user does
  not cost a session write per request.
- :class:`NoStoreWhenSignedIn`: whatever a signed-in user is shown (pages and downloads alike)
  may hold personal data and is never stored by a browser or a shared cache.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

Handler = Callable[[HttpRequest], HttpResponse]

SEEN_KEY = "_abroad_seen"
TOUCH_EVERY = 60  # seconds


class RequestBodyCap:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        cap = int(settings.MAX_REQUEST_BYTES)
        if length > cap:
            response = render(
                request,
                "413.html",
                {
                    "message": _(
                        "This request is too large (%(size)s MB; at most %(cap)s MB are "
                        "accepted). Nothing was saved."
                    )
                    % {"size": round(length / 1_048_576, 1), "cap": round(cap / 1_048_576, 1)}
                },
                status=413,
            )
            response["Connection"] = "close"
            return response
        return self.get_response(request)


def start_idle_clock(sender: object, request: HttpRequest, **kwargs: object) -> None:
    """At log-in (``user_logged_in``): the session was just written, the clock starts now."""
    request.session[SEEN_KEY] = int(time.time())


class IdleSessionTimeout:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and session.get("_auth_user_id"):
            now = int(time.time())
            if now - int(session.get(SEEN_KEY, 0)) >= TOUCH_EVERY:
                session[SEEN_KEY] = now  # modified: saved with a fresh expiry
        return self.get_response(request)


class NoStoreWhenSignedIn:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            response["Cache-Control"] += ", private"
        return response
