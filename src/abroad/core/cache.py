"""Public pages from Django's cache, and one generation that makes them all stale at once
(docs/operator-guide.md, "Cache"; docs/performance.md, "Public pages from the cache").

- :func:`public_page` wraps a view whose anonymous answer is the same for every anonymous
  visitor (the home page, the catalogue, the map's data, an agreement, the information pages,
  ATHENS, the public API). An anonymous GET is answered from the cache when the entry was
  rendered under the current generation, in the same language, for the same path and query
  string (and the same HTMX target); otherwise the view renders it and the answer is kept. A
  signed-in user, or a visitor with a message waiting, always gets a page rendered for them,
  and it is never kept. Each answer carries an ``ETag`` and a ``Last-Modified`` computed
  from the generation, the language, the path and query string, before anything is read or
  rendered: a browser's ``If-None-Match`` costs no page.
- :func:`catalogue_changed` starts a new generation: now (so that the rest of the transaction
  sees it) and again when the transaction commits (pages rendered meanwhile by other processes
  read the data from before it). The catalogue's signals call it for every change of a model
  shown on a public page (``catalogue/signals.py``), and so do the paths that skip signals
  (imports through :func:`abroad.core.importing.write_atomically`, a backup's restore).
- Pages also depend on the clock (an ATHENS session opens, an academic year turns): an entry
  lives ``ABROAD_CACHE_PAGE_SECONDS`` at most, and the validators change with that period.

The CSRF token in a cached page's forms (the language switch) is each visitor's own: it is
kept in the cache as a placeholder and filled in with the visitor's token when served.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import get_token
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

GENERATION_KEY = "abroad:catalogue-generation"
PAGE_PREFIX = "abroad:page:"
# The CSRF token as {% csrf_token %} writes it; kept in the cache as CSRF_MARK.
CSRF_INPUT = re.compile(rb'(name="csrfmiddlewaretoken" value=")[A-Za-z0-9]{32,64}(")')
CSRF_MARK = b"\x00abroad-csrf-token\x00"
# The request headers that change what a page's view answers, beside the path and language.
HTMX_HEADERS = ("HX-Request", "HX-Target", "HX-Boosted", "HX-History-Restore-Request")
MESSAGES_COOKIE = "messages"  # django.contrib.messages' CookieStorage
MESSAGES_SESSION_KEY = "_messages"  # and its SessionStorage

View = Callable[..., HttpResponseBase]


def page_seconds() -> int:
    return max(1, int(getattr(settings, "CACHE_PAGE_SECONDS", 60)))


# ------------------------------------------------------------------------- the generation


def _new_generation() -> str:
    """A value never seen before; it starts with the instant, for ``Last-Modified``."""
    generation = f"{time.time_ns()}-{secrets.token_hex(4)}"
    try:
        cache.set(GENERATION_KEY, generation, timeout=None)
    except Exception:  # the cache is down: pages are not served from it either
        logger.exception("The cache could not start a new generation of the public pages.")
    return generation


def _new_generation_on_commit() -> None:
    _new_generation()


def catalogue_changed(using: str = DEFAULT_DB_ALIAS) -> None:
    """Every public page is out of date. Call it for every change of something a public page
    shows, whichever path made it (the signals do it for saves and deletes)."""
    _new_generation()
    connection = connections[using]
    if connection.in_atomic_block and not any(
        entry[1] is _new_generation_on_commit for entry in connection.run_on_commit
    ):
        transaction.on_commit(_new_generation_on_commit, using=using)


def current_generation() -> str:
    try:
        found = cache.get(GENERATION_KEY)
    except Exception:
        logger.exception("The cache could not be read.")
        found = None
    return str(found) if found else _start_generation()


def _start_generation() -> str:
    """The first generation (an empty cache): whoever writes first wins."""
    generation = f"{time.time_ns()}-{secrets.token_hex(4)}"
    if cache.add(GENERATION_KEY, generation, timeout=None):
        return generation
    return str(cache.get(GENERATION_KEY) or generation)


# ------------------------------------------------------------------------- the pages


def _cacheable_request(request: HttpRequest) -> bool:
    """An anonymous visitor's GET with no message waiting for them."""
    if request.method not in ("GET", "HEAD") or MESSAGES_COOKIE in request.COOKIES:
        return False
    user = getattr(request, "user", None)
    if user is None or user.is_authenticated:
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES:
        session = getattr(request, "session", None)
        if session is not None and session.get(MESSAGES_SESSION_KEY):
            return False
    return True


def _page_key(request: HttpRequest) -> str:
    parts = [
        request.scheme or "",
        request.get_host(),
        get_language() or "",
        request.get_full_path(),
        *(request.headers.get(name, "") for name in HTMX_HEADERS),
    ]
    return PAGE_PREFIX + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _validators(request: HttpRequest, generation: str, bucket: int, key: str) -> tuple[str, int]:
    """The ETag (weak: the CSRF token in a page differs between two answers) and the instant
    of the last change (``Last-Modified``)."""
    csrf_cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    digest = hashlib.sha256(f"{generation}|{bucket}|{key}|{csrf_cookie}".encode()).hexdigest()
    try:
        changed = int(generation.split("-", 1)[0]) // 1_000_000_000
    except ValueError:
        changed = 0
    return f'W/"{digest[:32]}"', max(changed, bucket * page_seconds())


def _storable(request: HttpRequest, response: HttpResponseBase) -> bool:
    if request.method != "GET" or response.status_code != 200 or response.streaming:
        return False
    if response.cookies or response.has_header("Vary") or response.has_header("Cache-Control"):
        return False
    storage = getattr(request, "_messages", None)
    if storage is not None and (storage.used or getattr(storage, "_queued_messages", None)):
        return False
    user = getattr(request, "user", None)
    return user is not None and not user.is_authenticated


def _entry(generation: str, bucket: int, response: HttpResponse) -> tuple[Any, ...]:
    body = CSRF_INPUT.sub(rb"\1" + CSRF_MARK + rb"\2", response.content)
    return (generation, bucket, response.status_code, list(response.items()), body)


def _from_entry(request: HttpRequest, entry: tuple[Any, ...]) -> HttpResponse:
    _generation, _bucket, status, headers, body = entry
    if CSRF_MARK in body:
        body = body.replace(CSRF_MARK, get_token(request).encode())
    response = HttpResponse(body, status=status)
    for name, value in headers:
        response[name] = value
    return response


def _mark(response: HttpResponseBase, etag: str, last_modified: int) -> None:
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    # Browsers keep the page and ask again each time (a 304 when nothing changed); the page
    # holds the visitor's CSRF token, so no shared cache keeps it.
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ("Cookie", "Accept-Language", "HX-Request"))


def public_page(view: View) -> View:
    """Serve ``view``'s anonymous answers from the cache (see the module's docstring)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not _cacheable_request(request):
            return view(request, *args, **kwargs)
        key = _page_key(request)
        try:
            found = cache.get_many([GENERATION_KEY, key])
            generation = str(found.get(GENERATION_KEY) or _start_generation())
        except Exception:
            logger.exception("The cache could not be read; the page is rendered.")
            return view(request, *args, **kwargs)
        bucket = int(time.time()) // page_seconds()
        etag, last_modified = _validators(request, generation, bucket, key)
        not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if not_modified is not None:
            _mark(not_modified, etag, last_modified)
            return not_modified
        entry = found.get(key)
        if entry is not None and entry[0] == generation and entry[1] == bucket:
            response: HttpResponseBase = _from_entry(request, entry)
        else:
            response = view(request, *args, **kwargs)
            if not (_storable(request, response) and isinstance(response, HttpResponse)):
                return response
            try:
                cache.set(key, _entry(generation, bucket, response), timeout=page_seconds())
            except Exception:
                logger.exception("The cache could not keep a page.")
        _mark(response, etag, last_modified)
        return response

    return wrapper
