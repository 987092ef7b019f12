"""Log-in throttling: django-axes counts failed log-ins per user name and address and refuses
the next ones for a while (``ABROAD_LOGIN_FAILURE_LIMIT``, ``ABROAD_LOGIN_LOCKOUT_MINUTES``)."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class ThrottledLogin(AxesStandaloneBackend):
    """Axes's backend, first in ``AUTHENTICATION_BACKENDS``. A log-in without a request (a
    shell, a management command, the test client's ``login``) has no address to count
    against, so it is not throttled; every log-in over HTTP is."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        super().authenticate(request, username, password, **kwargs)
        return None


def locked_out(request: HttpRequest, *args: Any) -> HttpResponse:
    """The page shown instead of logging in while the user name is locked out here (429)."""
    return render(
        request,
        "registration/locked_out.html",
        {"cooloff_minutes": settings.LOGIN_LOCKOUT_MINUTES},
        status=429,
    )
