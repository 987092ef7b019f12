"""How many months of mobility a study cycle allows: the rule a call's limits default from
and an extension is checked against (Erasmus+: 12 months per cycle, 24 in a single-cycle
degree). A call may set other numbers for its own mobilities; a mobility born from a call
keeps the call's number (``Mobility.cycle_months``), one born elsewhere (or before it was
kept) follows this rule."""

from __future__ import annotations

from abroad.core.enums import DegreeLevel

MONTHS_PER_CYCLE = 12
MONTHS_SINGLE_CYCLE = 24


def months_limit(
    level: str | None,
    *,
    per_cycle: int = MONTHS_PER_CYCLE,
    single_cycle: int = MONTHS_SINGLE_CYCLE,
) -> int:
    """The months of mobility allowed in a study cycle of ``level`` (None: unknown, a cycle)."""
    return single_cycle if level == DegreeLevel.SINGLE_CYCLE else per_cycle
