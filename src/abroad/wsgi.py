"""WSGI entry point: ``gunicorn abroad.wsgi``.

Importing it warms the process up before it takes any request (:func:`warm_up`): a gunicorn
worker imports this module before it accepts connections, so its first visitor no longer pays
for importing every view, loading the translations and compiling the templates (3.7 s
measured on a busy two-core machine, docs/performance.md). ``ABROAD_WARM_UP=false`` skips it.
"""

import gc
import logging
import os
import time
from pathlib import Path
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "abroad.settings")
application = get_wsgi_application()

logger = logging.getLogger(__name__)


def warm_up() -> dict[str, float]:
    """Do once what a process's first requests would each do on first use, touching no
    database (a connection opened here could be shared by forked processes): import the
    URLconf (and so every view and what it imports) and build its tables, load each
    language's translation catalogues, compile every template of the site and of Django's
    form widgets into the template loaders' caches, and move what is loaded out of the
    garbage collector's way. Returns the number of templates and the seconds it took."""
    from django.conf import settings
    from django.forms.renderers import get_default_renderer
    from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
    from django.template.utils import get_app_template_dirs
    from django.urls import get_resolver
    from django.utils import translation

    started = time.perf_counter()
    resolver = get_resolver()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Log in")  # loads the catalogues
            _build_url_tables(resolver)  # imports every view on the way
    templates = 0
    # The site's engine(s), every template; the form renderer's own engine (widgets and
    # fields render through it), Django's form templates.
    sources = [(engine, "") for engine in engines.all()]
    forms_engine = getattr(get_default_renderer(), "engine", None)
    if forms_engine is not None:
        sources.append((forms_engine, "django/forms/"))
    for engine, prefix in sources:
        # template_dirs lists DIRS only when the loaders are configured (template_partials
        # does), and the app directories loader reads every app's templates folder too.
        folders = dict.fromkeys([*engine.template_dirs, *get_app_template_dirs("templates")])
        for folder in folders:
            root = Path(str(folder))
            for path in sorted(root.rglob("*")):
                name = path.relative_to(root).as_posix()
                if path.suffix not in (".html", ".txt") or not name.startswith(prefix):
                    continue
                try:
                    engine.get_template(name)
                except (TemplateSyntaxError, TemplateDoesNotExist, UnicodeDecodeError):
                    continue  # not a template on its own: compiled when used, as before
                templates += 1
    # What is loaded now lives as long as the process: collected once, then left out of
    # every later collection (a full collection would otherwise walk it all again, during
    # some visitor's request).
    gc.collect()
    gc.freeze()
    seconds = time.perf_counter() - started
    logger.info("warmed up: %d templates in %.1f s", templates, seconds)
    return {"templates": templates, "seconds": seconds}


def _build_url_tables(resolver: Any) -> None:
    """Each resolver's tables of names (built per language on the first reverse() that
    reaches it: a namespace's on the first link into it) and its patterns' regexes."""
    from django.urls import URLResolver

    resolver.reverse_dict  # noqa: B018
    for pattern in resolver.url_patterns:
        pattern.pattern.regex  # noqa: B018
        if isinstance(pattern, URLResolver):
            _build_url_tables(pattern)


if os.environ.get("ABROAD_WARM_UP", "true").strip().lower() not in ("0", "false", "no", "off"):
    warm_up()
