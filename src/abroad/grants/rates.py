"""A rate table as the grant engine reads it (:class:`abroad.grants.compute.Rates`), and the
country groups of its year."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from abroad.grants import compute
from abroad.grants.enums import RateKey
from abroad.grants.models import Rate, RateTable

ZERO = Decimal(0)


def engine_rates(rows: Iterable[Rate]) -> compute.Rates:
    """The engine's rates from a table's rows (an amount not in the table is 0)."""
    single: dict[str, Decimal] = {}
    monthly: dict[str, Decimal] = {}
    bands: list[compute.TravelBand] = []
    isee: list[compute.IseeBand] = []
    for row in rows:
        if row.key == RateKey.MONTHLY:
            monthly[row.group] = row.amount
        elif row.key == RateKey.TRAVEL:
            bands.append(
                compute.TravelBand(
                    int(row.low or 0),
                    None if row.high is None else int(row.high),
                    row.amount,
                    row.green_amount,
                )
            )
        elif row.key == RateKey.ISEE:
            isee.append(compute.IseeBand(row.high, row.amount))
        elif row.key != RateKey.COUNTRY_GROUP:
            single[row.key] = row.amount

    def amount(key: RateKey) -> Decimal:
        return single.get(key, ZERO)

    thesis = None
    if RateKey.THESIS_FIXED in single:
        thesis = compute.ThesisRates(
            fixed=amount(RateKey.THESIS_FIXED),
            travel_europe=amount(RateKey.THESIS_TRAVEL_EUROPE),
            travel_elsewhere=amount(RateKey.THESIS_TRAVEL_ELSEWHERE),
            per_month=amount(RateKey.THESIS_PER_MONTH),
            months_cap=amount(RateKey.THESIS_MONTHS_CAP),
        )
    return compute.Rates(
        monthly=monthly,
        traineeship_monthly=amount(RateKey.TRAINEESHIP_MONTHLY),
        fewer_opportunities_monthly=amount(RateKey.FEWER_OPPORTUNITIES_MONTHLY),
        short_daily=(amount(RateKey.SHORT_DAILY_1_14), amount(RateKey.SHORT_DAILY_15_30)),
        short_fewer_opportunities=(
            amount(RateKey.SHORT_FEWER_5_14),
            amount(RateKey.SHORT_FEWER_15_30),
        ),
        green_top_up=amount(RateKey.GREEN_TOP_UP),
        green_travel_days=int(single.get(RateKey.GREEN_TRAVEL_DAYS, 4)),
        travel_bands=tuple(sorted(bands, key=lambda band: band.min_km)),
        isee_bands=tuple(sorted(isee, key=lambda band: (band.up_to is None, band.up_to or ZERO))),
        isee_max_months=int(single.get(RateKey.ISEE_MAX_MONTHS, 12)),
        thesis=thesis,
    )


def country_groups(rows: Iterable[Rate]) -> dict[str, str]:
    """Country code -> country group, from a table's rows."""
    return {str(row.country): row.group for row in rows if row.key == RateKey.COUNTRY_GROUP}


def table_for(academic_year: int) -> RateTable | None:
    """The rate table of ``academic_year``, else the latest one before it (the amounts of a
    year not yet published are last year's: the page says so), else None."""
    return (
        RateTable.objects.filter(academic_year__lte=academic_year)
        .order_by("-academic_year")
        .first()
    )
