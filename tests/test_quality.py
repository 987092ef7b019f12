"""The code base stays clean: ruff, mypy, migrations in step with the models, and an Italian
catalogue that compiles with nothing left untranslated."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
PO_FILE = ROOT / "src/abroad/locale/it/LC_MESSAGES/django.po"

# Lint and types do not depend on the database: check them once, in the SQLite run.
once = pytest.mark.skipif(
    bool(os.environ.get("ABROAD_DATABASE_URL")), reason="checked in the SQLite run"
)


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


@once
def test_ruff_lint_is_clean() -> None:
    result = _run(sys.executable, "-m", "ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


@once
def test_ruff_format_is_clean() -> None:
    result = _run(sys.executable, "-m", "ruff", "format", "--check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


@once
def test_mypy_is_clean() -> None:
    result = _run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_migrations_match_the_models() -> None:
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


def test_italian_catalogue_is_complete() -> None:
    catalogue = polib.pofile(str(PO_FILE))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []


def test_italian_catalogue_is_compiled_from_the_current_po() -> None:
    """The shipped .mo holds exactly the .po's translations (run `make-messages` to refresh)."""
    compiled = polib.mofile(str(PO_FILE.with_suffix(".mo")))
    source = polib.pofile(str(PO_FILE))
    # Keyed by context and id: "Rank" the button and "Rank" the column are two entries.
    assert {(e.msgctxt, e.msgid): e.msgstr for e in compiled if e.msgid} == {
        (e.msgctxt, e.msgid): e.msgstr for e in source.translated_entries() if not e.msgid_plural
    } | {(e.msgctxt, e.msgid): e.msgstr for e in compiled if e.msgid_plural}


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_italian_catalogue_passes_msgfmt_check() -> None:
    result = _run("msgfmt", "--check", "-o", os.devnull, str(PO_FILE))
    assert result.returncode == 0, result.stderr


def test_templates_never_print_a_capitalised_month_abbreviation() -> None:
    """Django's ``M`` date format is capitalised in every language ("Dic" in the middle of an
    Italian sentence); templates use ``N`` (the catalogue's lower-case abbreviations) or a
    named format."""
    pattern = re.compile(r'\|date:"([^"]*)"')
    offenders = []
    for template in sorted((ROOT / "src/abroad").rglob("*.html")):
        if "static/vendor" in template.as_posix():
            continue
        for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), 1):
            for fmt in pattern.findall(line):
                if not fmt.isupper() and re.search(r"(?<!\\)M", fmt):
                    offenders.append(f"{template.relative_to(ROOT)}:{number}: {fmt}")
    assert offenders == []
