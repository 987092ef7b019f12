"""The rules of a double-degree plan. Pure Python, no Django.

A double degree (T.I.M.E. or bilateral) typically replaces a year at home with two at the
partner:

* the credits earned at the partner are between 60 and 120 (``PARTNER_CREDITS``);
* at most 60 of them are recognised at home (``MAX_HOME_CREDITS``), and never more than were
  earned there;
* the thesis is discussed at both institutions (each with its date once known);
* the agreement's mobility unit is 12 months (``MOBILITY_UNIT_MONTHS``).

:func:`check` returns :class:`Finding`\\ s: errors block the submission of the plan, warnings
(a discussion date not yet known) are shown to the student and the promoter. Each finding has a
``code`` and its numbers; the pages word it in the user's language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

PARTNER_CREDITS = (60, 120)
MAX_HOME_CREDITS = 60
MOBILITY_UNIT_MONTHS = 12


@dataclass(frozen=True)
class Plan:
    credits_at_partner: int
    credits_recognised_at_home: int
    thesis_at_home: bool
    thesis_at_partner: bool
    mobility_unit_months: int
    thesis_at_home_on: dt.date | None = None
    thesis_at_partner_on: dt.date | None = None


@dataclass(frozen=True)
class Finding:
    """``level`` is "error" or "warning"; ``code`` names the rule."""

    level: str
    code: str
    low: int = 0
    high: int = 0
    have: int = 0

    @property
    def is_error(self) -> bool:
        return self.level == "error"


def check(plan: Plan) -> list[Finding]:
    """Every rule ``plan`` breaks, errors first."""
    errors: list[Finding] = []
    warnings: list[Finding] = []
    low, high = PARTNER_CREDITS
    if not low <= plan.credits_at_partner <= high:
        errors.append(Finding("error", "partner_credits", low, high, plan.credits_at_partner))
    if plan.credits_recognised_at_home > MAX_HOME_CREDITS:
        errors.append(
            Finding("error", "home_credits", 0, MAX_HOME_CREDITS, plan.credits_recognised_at_home)
        )
    elif plan.credits_recognised_at_home > plan.credits_at_partner:
        errors.append(
            Finding(
                "error",
                "home_above_partner",
                0,
                plan.credits_at_partner,
                plan.credits_recognised_at_home,
            )
        )
    if not plan.thesis_at_home:
        errors.append(Finding("error", "thesis_home"))
    elif plan.thesis_at_home_on is None:
        warnings.append(Finding("warning", "thesis_home_date"))
    if not plan.thesis_at_partner:
        errors.append(Finding("error", "thesis_partner"))
    elif plan.thesis_at_partner_on is None:
        warnings.append(Finding("warning", "thesis_partner_date"))
    if plan.mobility_unit_months != MOBILITY_UNIT_MONTHS:
        errors.append(
            Finding(
                "error",
                "unit",
                MOBILITY_UNIT_MONTHS,
                MOBILITY_UNIT_MONTHS,
                plan.mobility_unit_months,
            )
        )
    return errors + warnings
