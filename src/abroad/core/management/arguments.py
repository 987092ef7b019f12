"""What the management commands' arguments share."""

from __future__ import annotations

import re

from django.core.management.base import CommandError

from abroad.core.academic_year import parse_year


def academic_year(text: str) -> int:
    """``2026`` or ``2026/2027``: the academic year's start year (a ``--year`` option)."""
    text = text.strip()
    if re.fullmatch(r"\d{4}", text):
        return int(text)
    try:
        return parse_year(text)
    except ValueError:
        raise CommandError(
            f"--year {text!r} is not an academic year: write 2026 or 2026/2027"
        ) from None
