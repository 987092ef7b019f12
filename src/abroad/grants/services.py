"""Grants: importing and exporting a year's rate table, and the grant of a mobility."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from abroad.catalogue.models import Institution
from abroad.core import importing
from abroad.core.importing import ImportReport
from abroad.grants import compute, importers, rates
from abroad.grants.models import GrantCase, Rate, RateTable
from abroad.mobility.enums import MobilityKind
from abroad.mobility.models import Mobility


@dataclass
class RatesReport(ImportReport):
    academic_year: int = 0
    created: int = 0
    replaced: int = 0

    def imported_summary(self) -> str:
        return (
            f"{self.academic_year}/{self.academic_year + 1}: {self.created} amounts "
            f"({self.replaced} replaced)"
        )


def import_rates(
    source: importing.Source,
    *,
    academic_year: int,
    actor: Any,
    name: str | None = None,
    source_note: str | None = None,
    note: str | None = None,
    dry_run: bool = False,
) -> RatesReport:
    """Replace ``academic_year``'s amounts with the file's, all or nothing: a file with any
    bad row changes nothing and the report names each row. ``source_note`` and ``note``, when
    given, replace the table's."""
    report = RatesReport(
        file=importing.source_name(source, name), dry_run=dry_run, academic_year=academic_year
    )
    rows = importers.read_rates(source, report)
    if report.errors:
        return report

    def write() -> None:
        table, _created = RateTable.objects.select_for_update().get_or_create(
            academic_year=academic_year
        )
        if source_note is not None:
            table.source = source_note
        if note is not None:
            table.note = note
        table.save()
        report.replaced = table.rates.count()
        table.rates.all().delete()
        Rate.objects.bulk_create(
            Rate(
                table=table,
                key=row.key,
                group=row.group,
                country=row.country,
                low=row.low,
                high=row.high,
                amount=row.amount,
                green_amount=row.green_amount,
            )
            for row in rows
        )
        report.created = len(rows)

    importing.write_atomically(report, write, actor=actor, action="grants.import_rates")
    return report


def export_rates(table: RateTable, target: str | IO[bytes], fmt: importing.Format) -> int:
    with transaction.atomic():
        return importers.write_rates(
            table.rates.order_by("key", "group", "country", "low"), target, fmt
        )


# ------------------------------------------------------------------------- a mobility's grant


@dataclass
class MobilityGrant:
    """A mobility's grant as its page shows it: the table used, the grant on the dates known
    (the actual ones once recorded), the planned grant when the two differ, the instalments;
    or why there is none."""

    table: RateTable | None
    case: GrantCase | None
    grant: compute.Grant | None = None
    planned: compute.Grant | None = None
    refused: str = ""
    group: str = ""
    distance_km: int | None = None
    instalments: list[Decimal] = field(default_factory=list)

    academic_year: int = 0

    @property
    def last_years_amounts(self) -> bool:
        """The year's own amounts are not published: an earlier year's are used."""
        return self.table is not None and self.table.academic_year != self.academic_year


def stay_kind(mobility: Mobility) -> compute.StayKind:
    if mobility.kind == MobilityKind.SHORT:
        return compute.StayKind.SHORT
    if mobility.kind == MobilityKind.THESIS:
        return compute.StayKind.THESIS
    return compute.StayKind.LONG


def _distance(home: Institution | None, host: Institution) -> int | None:
    points = [
        (float(i.latitude), float(i.longitude))
        for i in (home, host)
        if i is not None and i.latitude is not None and i.longitude is not None
    ]
    return compute.distance_km(points[0], points[1]) if len(points) == 2 else None


def grant_of(mobility: Mobility) -> MobilityGrant:
    """THE grant of ``mobility`` (its page, the office's lists and exports ask here)."""
    table = rates.table_for(mobility.academic_year)
    case = GrantCase.objects.filter(mobility=mobility).first()
    found = MobilityGrant(table, case, academic_year=mobility.academic_year)
    if table is None:
        found.refused = _("No grant amounts are published for this academic year yet.")
        return found
    rows = list(table.rates.all())
    home = Institution.objects.find_home()
    host = mobility.host
    if home is not None and home.country and home.country == host.country:
        found.refused = _("A mobility in the home country receives no mobility grant.")
        return found
    found.group = rates.country_groups(rows).get(str(host.country), compute.PARTNER_GROUP)
    found.distance_km = _distance(home, host)
    engine = rates.engine_rates(rows)
    case = case or GrantCase(mobility=mobility)

    def on(start: dt.date | None, end: dt.date | None) -> compute.Grant:
        if start is None or end is None:
            raise compute.NotEligible(_("The mobility's dates are not known yet."))
        return compute.compute(
            compute.Stay(
                stay_kind(mobility),
                start,
                end,
                group=found.group,
                traineeship=case.traineeship,
                distance_km=found.distance_km,
                fewer_opportunities=case.fewer_opportunities,
                green_travel=case.green_travel,
                travel_days=case.travel_days,
                zero_grant=case.zero_grant,
                isee=case.isee,
                # Europe, for the thesis's travel: the Programme's countries (groups 1-3).
                in_europe=found.group != compute.PARTNER_GROUP,
            ),
            engine,
        )

    try:
        found.grant = on(mobility.start, mobility.end)
        if (mobility.actual_start or mobility.actual_end) and mobility.planned_start:
            planned = on(mobility.planned_start, mobility.planned_end)
            if planned.total != found.grant.total:
                found.planned = planned
    except compute.NotEligible as error:
        found.refused = str(error)
        found.grant = None
        return found
    found.instalments = compute.instalments(found.grant.total, table_shares(table))
    return found


def table_shares(table: RateTable) -> list[int]:
    """The table's instalment shares (``80,20``); 100 when the field cannot be read."""
    try:
        shares = [int(part) for part in table.instalments.split(",") if part.strip()]
    except ValueError:
        return [100]
    return shares if shares and sum(shares) == 100 and min(shares) > 0 else [100]
