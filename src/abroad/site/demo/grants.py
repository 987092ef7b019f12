"""The grants' demo: the rate table of 2025/26 (data/rates-2025.csv, sources in SOURCES.md;
the 2026/27 amounts are not published, so the demo's 2026 mobilities are paid on these and
their pages say so), and what three demo mobilities' grants depend on: fewer opportunities
with green travel (the ``erasmus`` student's), an ISEE, a zero-grant stay."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q

from abroad.grants import services
from abroad.grants.models import GrantCase, RateTable
from abroad.mobility.enums import MobilityKind, MobilityState
from abroad.mobility.models import Mobility

RATES = Path(__file__).parent / "data" / "rates-2025.csv"
RATES_YEAR = 2025
SOURCE = "INDIRE 2025/26 as the University of Milan publishes it; the Programme Guide"
CASES: tuple[dict[str, Any], ...] = (
    {"fewer_opportunities": True, "green_travel": True, "travel_days": 2},
    {"isee": Decimal("18500.00")},
    {"zero_grant": True},
)


@dataclass
class GrantsDemoSummary:
    tables: int
    cases: int

    def lines(self) -> list[str]:
        return [f"Grants:        {self.tables} rate table(s), {self.cases} mobilities with details"]


def load_grants_demo() -> GrantsDemoSummary:
    """Add whatever of the grants' demo is missing; return the counts."""
    with transaction.atomic():
        if not RateTable.objects.filter(academic_year=RATES_YEAR).exists():
            report = services.import_rates(
                RATES, academic_year=RATES_YEAR, actor=None, source_note=SOURCE
            )
            if not report.ok:
                raise RuntimeError("; ".join(report.lines()))
        with_details = GrantCase.objects.filter(
            Q(fewer_opportunities=True) | Q(zero_grant=True) | Q(isee__isnull=False)
        )
        if not with_details.exists():
            # The demo's student abroad now first (her page is the one the guide shows).
            abroad = Mobility.objects.exclude(state=MobilityState.WITHDRAWN).exclude(
                kind=MobilityKind.THESIS
            )
            first = sorted(
                abroad.select_related("student")[:50],
                key=lambda m: (m.student.username != "erasmus", m.pk),
            )
            for mobility, details in zip(first, CASES, strict=False):
                case = GrantCase.objects.filter(mobility=mobility).first()
                case = case or GrantCase(mobility=mobility)
                for name, value in details.items():
                    setattr(case, name, value)
                services.save_case(actor=None, case=case)
    return GrantsDemoSummary(RateTable.objects.count(), with_details.count())
