"""One permission vocabulary for every view, service, API route, admin action and template.

Every decision is a django-rules predicate registered by the app that owns it (its
``rules.py``), and it is asked through here, never through ``user.has_perm``: Django gives a
superuser every permission, and a superuser must not sign a student's learning agreement or
accept a student's seat.

- :func:`can`: may ``user`` do ``perm`` (on ``obj``)? Templates ask the same with
  ``{% load rules %}{% has_perm perm user obj as allowed %}``.
- :func:`visible_or_404`: the object, or 404 for anybody who may not see it, so that an unseen
  object looks exactly like a missing one.
- :func:`require`: 403 for somebody who sees the object but may not do this.
- :func:`office_page`: a page for the office (or whoever holds ``perm``); anonymous visitors go
  to the log-in page, everybody else gets 404, on every office page alike.
- :func:`require_actor`: what services call, so that no path (a view, the API, the CLI, an
  admin action) does what the page refuses. ``actor=None`` is the system itself (the CLI run by
  the operator, the demo loader, a data migration) and is always allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import rules
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

T = TypeVar("T")
View = Callable[..., HttpResponse]


def can(user: Any, perm: str, obj: Any = None) -> bool:
    """The rule itself (``rules.has_perm``), never ``user.has_perm``."""
    return bool(rules.has_perm(perm, user, obj))


def visible_or_404(user: Any, perm: str, obj: T) -> T:
    """``obj`` if ``user`` may ``perm`` it; 404 otherwise."""
    if not can(user, perm, obj):
        raise Http404
    return obj


def require(user: Any, perm: str, obj: Any = None, message: str = "") -> None:
    """403 (with ``message``, if given) unless ``user`` may ``perm`` (``obj``)."""
    if not can(user, perm, obj):
        raise PermissionDenied(message) if message else PermissionDenied


def require_actor(actor: Any, perm: str, obj: Any = None, message: str = "") -> None:
    """The services' check: ``actor`` None is the system (CLI, demo, migrations)."""
    if actor is not None:
        require(actor, perm, obj, message)


def office_page(perm: str) -> Callable[[View], View]:
    """Decorate a view that only holders of ``perm`` may open: log-in for anonymous visitors,
    404 for everybody else (an office page does not exist for a student)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not can(request.user, perm):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
