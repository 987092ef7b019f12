"""The grant of one mobility, line by line (pure: no models, no database).

The rules are the Erasmus+ Programme Guide's for higher-education mobility (KA131, and KA171
for partner countries) as Italian universities apply them (../shared/research/peers-2026.md,
section 4); the amounts are data (:class:`Rates`, one per call year), never code:

* **Long-term stays** (studies or traineeships, 2 to 12 months): the monthly rate of the host
  country's group, for whole 30-day months and 1/30 of it for each day left over (the
  commercial year of :mod:`abroad.core.days360`); traineeships add their monthly top-up;
  participants with fewer opportunities add theirs, counted the same way.
* **Short-term physical stays** (5 to 30 days, calendar days): a daily rate for days 1-14 and
  a lower one for days 15-30; the fewer-opportunities top-up is one amount for 5-14 days and
  another for 15-30.
* **Green travel**: a one-off top-up and up to a few extra days of individual support for the
  travel days, paid at the stay's daily rate.
* **Travel support** by distance band (standard or green), for the stays the rates say
  (``travel_for``: short-term stays and partner countries by default, long-term stays only
  with fewer opportunities).
* **Zero-grant** stays receive nothing from the EU nor the top-ups that complement it.
* **The university's or the State's top-up** by ISEE band (a monthly amount for the stay's
  months, capped), for long-term stays.
* **Thesis abroad** is the university's own contribution (a fixed amount, travel within or
  outside Europe, an amount per month up to a cap, at least a minimum stay); it excludes the
  Erasmus+ lines.

Every line is rounded to the cent (half up); the total is the sum of the lines.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum

from django.utils.translation import gettext as _

from abroad.core.days360 import months_and_days

CENT = Decimal("0.01")
EARTH_RADIUS_KM = 6371.0
PARTNER_GROUP = "partner"  # KA171: countries not associated to the Programme


class StayKind(StrEnum):
    LONG = "long"
    SHORT = "short"
    THESIS = "thesis"


class TravelRule(StrEnum):
    """Who of a kind of stay receives travel support."""

    ALL = "all"
    FEWER_OPPORTUNITIES = "fewer_opportunities"
    NONE = "none"


class LineCode(StrEnum):
    INDIVIDUAL = "individual"
    TRAINEESHIP = "traineeship"
    FEWER_OPPORTUNITIES = "fewer_opportunities"
    GREEN = "green"
    TRAVEL_DAYS = "travel_days"
    TRAVEL = "travel"
    ISEE = "isee"
    THESIS = "thesis"
    THESIS_TRAVEL = "thesis_travel"
    THESIS_MONTHS = "thesis_months"
    ZERO = "zero"


class NotEligible(ValueError):
    """The stay cannot receive a grant under these rules (too short, too long, no rate)."""


@dataclass(frozen=True)
class TravelBand:
    min_km: int
    max_km: int | None  # None: no upper bound
    standard: Decimal
    green: Decimal | None = None  # None: the standard amount for green travel too


@dataclass(frozen=True)
class IseeBand:
    up_to: Decimal | None  # the band's highest ISEE; None: any ISEE
    monthly: Decimal


@dataclass(frozen=True)
class ThesisRates:
    fixed: Decimal
    travel_europe: Decimal
    travel_elsewhere: Decimal
    per_month: Decimal
    months_cap: Decimal  # the most the months part pays
    min_days: int = 56  # eight consecutive weeks


@dataclass(frozen=True)
class Rates:
    """The amounts of one call year (see the module's rules for how each is used)."""

    monthly: Mapping[str, Decimal]  # country group ("1", "2", "3", "partner") -> a month
    traineeship_monthly: Decimal = Decimal(0)
    fewer_opportunities_monthly: Decimal = Decimal(0)
    short_daily: tuple[Decimal, Decimal] = (Decimal(0), Decimal(0))  # days 1-14, 15-30
    short_fewer_opportunities: tuple[Decimal, Decimal] = (Decimal(0), Decimal(0))
    green_top_up: Decimal = Decimal(0)
    green_travel_days: int = 4
    travel_bands: tuple[TravelBand, ...] = ()
    long_travel: TravelRule = TravelRule.FEWER_OPPORTUNITIES
    short_travel: TravelRule = TravelRule.ALL
    min_months: int = 2
    max_months: int = 12
    short_days: tuple[int, int] = (5, 30)
    isee_bands: tuple[IseeBand, ...] = ()
    isee_max_months: int = 12
    thesis: ThesisRates | None = None


@dataclass(frozen=True)
class Stay:
    """What the grant of one stay depends on."""

    kind: StayKind
    start: dt.date
    end: dt.date
    group: str = "1"
    traineeship: bool = False
    distance_km: int | None = None  # home to host, one way, great-circle
    fewer_opportunities: bool = False
    green_travel: bool = False
    travel_days: int = 0  # days spent travelling green, asked to be paid
    zero_grant: bool = False
    isee: Decimal | None = None  # None: not declared
    in_europe: bool = True


@dataclass(frozen=True)
class Line:
    code: LineCode
    amount: Decimal
    quantity: str = ""  # "5 months and 12 days", "10 days", "1,234 km" as shown
    rate: Decimal | None = None

    @property
    def label(self) -> str:
        """What the line pays, in the active language."""
        return str(LABELS[self.code]())


@dataclass(frozen=True)
class Grant:
    lines: tuple[Line, ...]
    length: str = ""  # the stay's length as counted
    notes: tuple[str, ...] = field(default=())

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))


LABELS = {
    LineCode.INDIVIDUAL: lambda: _("Individual support"),
    LineCode.TRAINEESHIP: lambda: _("Traineeship top-up"),
    LineCode.FEWER_OPPORTUNITIES: lambda: _("Top-up for fewer opportunities"),
    LineCode.GREEN: lambda: _("Green travel top-up"),
    LineCode.TRAVEL_DAYS: lambda: _("Travel days (green travel)"),
    LineCode.TRAVEL: lambda: _("Travel support"),
    LineCode.ISEE: lambda: _("University top-up by ISEE"),
    LineCode.THESIS: lambda: _("Thesis abroad contribution"),
    LineCode.THESIS_TRAVEL: lambda: _("Thesis abroad: travel"),
    LineCode.THESIS_MONTHS: lambda: _("Thesis abroad: months"),
    LineCode.ZERO: lambda: _("Zero-grant mobility: no Erasmus+ funds"),
}


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# ----------------------------------------------------------------------------------- lengths


def calendar_days(start: dt.date, end: dt.date) -> int:
    """Days of a short stay: calendar days, both ends included."""
    return (end - start).days + 1


def by_the_month(months: int, days: int, monthly: Decimal) -> Decimal:
    """``months`` whole months and ``days`` more, 1/30 of the monthly amount a day."""
    return money(monthly * months + monthly * days / 30)


def length_text(months: int, days: int) -> str:
    if not days:
        return _("%(months)d months") % {"months": months}
    return _("%(months)d months and %(days)d days") % {"months": months, "days": days}


# ------------------------------------------------------------------------------------ travel


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> int:
    """The great-circle distance between two (latitude, longitude) points, to the kilometre
    (the haversine formula on a sphere of the Earth's mean radius, as the Commission's
    distance calculator measures)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return round(2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h))))


def band_for(km: int, bands: Sequence[TravelBand]) -> TravelBand | None:
    """The distance band ``km`` falls in, or None (closer than the first band)."""
    for band in bands:
        if km >= band.min_km and (band.max_km is None or km <= band.max_km):
            return band
    return None


def _travel(stay: Stay, rates: Rates, rule: TravelRule) -> Line | None:
    if stay.group == PARTNER_GROUP:
        rule = TravelRule.ALL
    if rule is TravelRule.NONE or stay.distance_km is None:
        return None
    if rule is TravelRule.FEWER_OPPORTUNITIES and not stay.fewer_opportunities:
        return None
    band = band_for(stay.distance_km, rates.travel_bands)
    if band is None:
        return None
    amount = band.green if stay.green_travel and band.green is not None else band.standard
    return Line(LineCode.TRAVEL, money(amount), _("%(km)s km") % {"km": stay.distance_km}, amount)


def _green(stay: Stay, rates: Rates, daily: Decimal) -> list[Line]:
    if not stay.green_travel:
        return []
    lines = [Line(LineCode.GREEN, money(rates.green_top_up))]
    days = max(0, min(stay.travel_days, rates.green_travel_days))
    if days:
        lines.append(
            Line(
                LineCode.TRAVEL_DAYS,
                money(daily * days),
                _("%(days)d days") % {"days": days},
                money(daily),
            )
        )
    return lines


# ------------------------------------------------------------------------------------- kinds


def _monthly_rate(stay: Stay, rates: Rates) -> Decimal:
    try:
        return rates.monthly[stay.group]
    except KeyError:
        raise NotEligible(
            _("No monthly rate for country group %(group)s in these rates.") % {"group": stay.group}
        ) from None


def _long(stay: Stay, rates: Rates) -> Grant:
    months, days = months_and_days(stay.start, stay.end)
    if months < rates.min_months:
        raise NotEligible(
            _("A long-term stay lasts at least %(months)d months.") % {"months": rates.min_months}
        )
    notes = []
    if months * 30 + days > rates.max_months * 30:
        months, days = rates.max_months, 0
        notes.append(
            _("Paid for %(months)d months, the most a stay is funded.")
            % {"months": rates.max_months}
        )
    length = length_text(months, days)
    if stay.zero_grant:
        return Grant((Line(LineCode.ZERO, Decimal("0.00"), length),), length, tuple(notes))
    rate = _monthly_rate(stay, rates)
    lines = [Line(LineCode.INDIVIDUAL, by_the_month(months, days, rate), length, rate)]
    daily = rate
    if stay.traineeship and rates.traineeship_monthly:
        top_up = rates.traineeship_monthly
        lines.append(Line(LineCode.TRAINEESHIP, by_the_month(months, days, top_up), length, top_up))
        daily += top_up
    if stay.fewer_opportunities and rates.fewer_opportunities_monthly:
        top_up = rates.fewer_opportunities_monthly
        lines.append(
            Line(LineCode.FEWER_OPPORTUNITIES, by_the_month(months, days, top_up), length, top_up)
        )
    lines += _green(stay, rates, daily / 30)
    travel = _travel(stay, rates, rates.long_travel)
    if travel is not None:
        lines.append(travel)
    band = isee_band(stay.isee, rates.isee_bands)
    if band is not None:
        capped = min(months * 30 + days, rates.isee_max_months * 30)
        isee_months, isee_days = divmod(capped, 30)
        lines.append(
            Line(
                LineCode.ISEE,
                by_the_month(isee_months, isee_days, band.monthly),
                length_text(isee_months, isee_days),
                band.monthly,
            )
        )
    return Grant(tuple(lines), length, tuple(notes))


def _short(stay: Stay, rates: Rates) -> Grant:
    days = calendar_days(stay.start, stay.end)
    low, high = rates.short_days
    if not low <= days <= high:
        raise NotEligible(
            _("A short-term stay lasts %(low)d to %(high)d days; this one lasts %(days)d.")
            % {"low": low, "high": high, "days": days}
        )
    length = _("%(days)d days") % {"days": days}
    if stay.zero_grant:
        return Grant((Line(LineCode.ZERO, Decimal("0.00"), length),), length)
    first, later = rates.short_daily
    amount = first * min(days, 14) + later * max(0, days - 14)
    lines = [Line(LineCode.INDIVIDUAL, money(amount), length, first)]
    if stay.fewer_opportunities:
        up_to_14, up_to_30 = rates.short_fewer_opportunities
        lines.append(
            Line(LineCode.FEWER_OPPORTUNITIES, money(up_to_14 if days <= 14 else up_to_30))
        )
    lines += _green(stay, rates, first)
    travel = _travel(stay, rates, rates.short_travel)
    if travel is not None:
        lines.append(travel)
    return Grant(tuple(lines), length)


def _thesis(stay: Stay, rates: Rates) -> Grant:
    thesis = rates.thesis
    if thesis is None:
        raise NotEligible(_("These rates have no thesis abroad contribution."))
    days = calendar_days(stay.start, stay.end)
    if days < thesis.min_days:
        raise NotEligible(
            _("A thesis abroad is funded from %(weeks)d consecutive weeks.")
            % {"weeks": thesis.min_days // 7}
        )
    months, rest = months_and_days(stay.start, stay.end)
    length = length_text(months, rest)
    travel = thesis.travel_europe if stay.in_europe else thesis.travel_elsewhere
    by_months = min(thesis.months_cap, by_the_month(months, rest, thesis.per_month))
    lines = (
        Line(LineCode.THESIS, money(thesis.fixed)),
        Line(
            LineCode.THESIS_TRAVEL,
            money(travel),
            _("within Europe") if stay.in_europe else _("outside Europe"),
        ),
        Line(LineCode.THESIS_MONTHS, money(by_months), length, thesis.per_month),
    )
    return Grant(lines, length, (_("Not combined with other mobility contributions."),))


def isee_band(isee: Decimal | None, bands: Sequence[IseeBand]) -> IseeBand | None:
    """The first band whose ceiling the ISEE does not pass; None for an undeclared ISEE."""
    if isee is None:
        return None
    for band in bands:
        if band.up_to is None or isee <= band.up_to:
            return band
    return None


def compute(stay: Stay, rates: Rates) -> Grant:
    """The grant of ``stay`` under ``rates``, line by line; :class:`NotEligible` says why not."""
    if stay.end < stay.start:
        raise NotEligible(_("The stay ends before it starts."))
    if stay.kind is StayKind.SHORT:
        return _short(stay, rates)
    if stay.kind is StayKind.THESIS:
        return _thesis(stay, rates)
    return _long(stay, rates)


# ------------------------------------------------------------------------------ paying it out


def instalments(total: Decimal, shares: Sequence[int]) -> list[Decimal]:
    """``total`` paid in instalments of ``shares`` per cent (e.g. 80, 20): each rounded down to
    the cent, the last taking what is left, so they always add up to the total."""
    if not shares or any(share <= 0 for share in shares) or sum(shares) != 100:
        raise ValueError("Instalment shares are positive and add up to 100.")
    parts = [(total * share / 100).quantize(CENT, rounding=ROUND_DOWN) for share in shares[:-1]]
    return [*parts, total - sum(parts, Decimal(0))]


def balance(grant: Grant, paid: Decimal) -> Decimal:
    """What is still owed to the student (positive) or to be paid back (negative) once the
    grant is recomputed, e.g. on the actual dates of the certificate of stay."""
    return grant.total - paid
