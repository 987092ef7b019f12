"""``{% load matching %}``: a stored explanation read out in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from abroad.matching import explanation

register = template.Library()


@register.filter
def explanation_summary(data: Mapping[str, Any] | None) -> str:
    """``{{ assignment.explanation|explanation_summary }}``: the short line, e.g. "2nd choice;
    your 1st choice was filled at score 27.4"."""
    return explanation.summary(data or {})
