"""The WSGI module warms a process up before its first request (abroad/wsgi.py): the URLconf
imported with its tables, the catalogues loaded, every template compiled, without touching
the database (pytest-django refuses any query in a test without ``db``)."""

from __future__ import annotations

from pathlib import Path

from django.template import engines
from django.template.loaders.cached import Loader as CachedLoader
from django.urls import get_resolver
from django.utils import translation

import abroad
from abroad.wsgi import warm_up


def cached_loader() -> CachedLoader:
    engine = engines["django"].engine  # type: ignore[attr-defined]
    found = [engine.template_loaders[0], *getattr(engine.template_loaders[0], "loaders", [])]
    loader = next(item for item in found if isinstance(item, CachedLoader))
    return loader


def test_warm_up_compiles_every_template_and_builds_the_url_tables() -> None:
    own = [
        path
        for path in Path(abroad.__file__).parent.rglob("templates/**/*")
        if path.suffix in (".html", ".txt")
    ]
    done = warm_up()
    assert done["templates"] >= len(own) > 100
    cache = cached_loader().get_template_cache
    for name in ("base.html", "mobility/student/detail.html", "mobility/desk/desk.html"):
        assert name in cache, name
    resolver = get_resolver()
    for language in ("en", "it"):
        assert language in resolver._reverse_dict  # built for each language
    with translation.override("it"):
        assert translation.gettext("Log in") != "Log in"
