"""Academic years, written as Polimi and EWP write them: ``2026/2027``."""

from __future__ import annotations

import datetime as dt
import re

_PATTERN = re.compile(r"^(\d{4})\s*[/-]\s*(\d{4})$")


def format_year(start: int) -> str:
    """``format_year(2026) == "2026/2027"``."""
    return f"{start}/{start + 1}"


def parse_year(text: str) -> int:
    """The start year of ``2026/2027`` (or ``2026-2027``); ValueError if it is not one."""
    match = _PATTERN.match(text.strip())
    if not match or int(match.group(2)) != int(match.group(1)) + 1:
        raise ValueError(f"{text!r} is not an academic year like 2026/2027")
    return int(match.group(1))


def current_start_year(today: dt.date | None = None) -> int:
    """The academic year that contains ``today``; a new one starts on 1 September."""
    today = today or dt.date.today()
    return today.year if today.month >= 9 else today.year - 1
