"""The grant engine against worked examples written from the Programme Guide's rules
(../shared/research/peers-2026.md, section 4), and its invariants."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from abroad.core.days360 import days_360, months_and_days
from abroad.grants.compute import (
    IseeBand,
    LineCode,
    NotEligible,
    Rates,
    Stay,
    StayKind,
    ThesisRates,
    TravelBand,
    balance,
    band_for,
    compute,
    distance_km,
    instalments,
)

D = Decimal
# Italy 2025/26 as Unimi publishes it (G1+G2 350, G3 300), the Guide's short-term and travel
# amounts; the ISEE bands and the thesis contribution are an example university's.
RATES = Rates(
    monthly={"1": D(350), "2": D(350), "3": D(300), "partner": D(700)},
    traineeship_monthly=D(150),
    fewer_opportunities_monthly=D(250),
    short_daily=(D(79), D(56)),
    short_fewer_opportunities=(D(100), D(150)),
    green_top_up=D(50),
    green_travel_days=4,
    travel_bands=(
        TravelBand(10, 99, D(28), D(56)),
        TravelBand(100, 499, D(211), D(285)),
        TravelBand(500, 1999, D(309), D(417)),
        TravelBand(2000, 2999, D(395), D(535)),
        TravelBand(3000, 3999, D(580), D(785)),
        TravelBand(4000, 7999, D(1188)),
        TravelBand(8000, None, D(1735)),
    ),
    isee_bands=(IseeBand(D(13000), D(400)), IseeBand(D(21000), D(300))),
    isee_max_months=10,
    thesis=ThesisRates(
        fixed=D(2000),
        travel_europe=D(200),
        travel_elsewhere=D(500),
        per_month=D(300),
        months_cap=D(1500),
    ),
)


def amounts(grant: object) -> dict[str, Decimal]:
    return {line.code.value: line.amount for line in grant.lines}  # type: ignore[attr-defined]


def test_a_semester_in_group_1_with_fewer_opportunities_and_green_travel() -> None:
    # 1 September to 31 January: five 30-day months. Milan to Stockholm is about 1,640 km.
    stay = Stay(
        StayKind.LONG,
        dt.date(2026, 9, 1),
        dt.date(2027, 1, 31),
        group="1",
        distance_km=1640,
        fewer_opportunities=True,
        green_travel=True,
        travel_days=4,
    )
    grant = compute(stay, RATES)
    assert amounts(grant) == {
        "individual": D("1750.00"),  # 5 x 350
        "fewer_opportunities": D("1250.00"),  # 5 x 250
        "green": D("50.00"),
        "travel_days": D("46.67"),  # 4 days x 350 / 30
        "travel": D("417.00"),  # 500-1,999 km, green
    }
    assert grant.total == D("3513.67")
    with translation.override("en"):
        assert grant.length == "5 months"
        assert grant.lines[0].label == "Individual support"


def test_four_months_and_twelve_days_pay_the_days_at_a_thirtieth() -> None:
    stay = Stay(StayKind.LONG, dt.date(2027, 2, 1), dt.date(2027, 6, 12), group="2")
    grant = compute(stay, RATES)
    # 1 February to 12 June: 4 months and 12 days; 4 x 350 + 12 x 350 / 30.
    assert amounts(grant) == {"individual": D("1540.00")}
    with translation.override("en"):
        assert grant.length == "4 months and 12 days"
    # Without fewer opportunities a long stay has no travel support, however far.
    far = compute(Stay(StayKind.LONG, stay.start, stay.end, group="2", distance_km=1500), RATES)
    assert "travel" not in amounts(far)


def test_a_ten_day_short_term_stay_1200_km_away() -> None:
    stay = Stay(StayKind.SHORT, dt.date(2027, 3, 1), dt.date(2027, 3, 10), distance_km=1200)
    grant = compute(stay, RATES)
    assert amounts(grant) == {"individual": D("790.00"), "travel": D("309.00")}  # 10 x 79
    assert grant.total == D("1099.00")
    # From the fifteenth day the lower daily rate, and the larger fewer-opportunities top-up.
    longer = Stay(
        StayKind.SHORT,
        dt.date(2027, 3, 1),
        dt.date(2027, 3, 20),
        distance_km=1200,
        fewer_opportunities=True,
    )
    assert amounts(compute(longer, RATES)) == {
        "individual": D("1442.00"),  # 14 x 79 + 6 x 56
        "fewer_opportunities": D("150.00"),
        "travel": D("309.00"),
    }


def test_an_early_return_is_recalculated_and_the_difference_paid_back() -> None:
    planned = compute(Stay(StayKind.LONG, dt.date(2026, 9, 1), dt.date(2027, 1, 31)), RATES)
    first, second = instalments(planned.total, (80, 20))
    assert (first, second) == (D("1400.00"), D("350.00"))
    # Home on 15 December: 3 months and 15 days.
    actual = compute(Stay(StayKind.LONG, dt.date(2026, 9, 1), dt.date(2026, 12, 15)), RATES)
    assert actual.total == D("1225.00")
    assert balance(actual, paid=first) == D("-175.00")
    # Staying as planned, the second instalment is what is left.
    assert balance(planned, paid=first) == second


def test_a_zero_grant_stay_is_paid_nothing() -> None:
    stay = Stay(
        StayKind.LONG,
        dt.date(2026, 9, 1),
        dt.date(2027, 1, 31),
        zero_grant=True,
        fewer_opportunities=True,
        isee=D(9000),
        distance_km=900,
    )
    grant = compute(stay, RATES)
    assert [line.code for line in grant.lines] == [LineCode.ZERO]
    assert grant.total == 0


def test_traineeships_add_their_top_up_and_isee_bands_theirs_capped() -> None:
    stay = Stay(
        StayKind.LONG,
        dt.date(2026, 9, 1),
        dt.date(2027, 6, 30),  # 10 months
        group="3",
        traineeship=True,
        isee=D("13000.00"),  # on the first band's ceiling: still the first band
    )
    assert amounts(compute(stay, RATES)) == {
        "individual": D("3000.00"),
        "traineeship": D("1500.00"),
        "isee": D("4000.00"),
    }
    richer = Stay(StayKind.LONG, stay.start, dt.date(2027, 8, 31), group="3", isee=D(20000))
    # 12 months of stay, the ISEE top-up for 10 at most.
    assert amounts(compute(richer, RATES))["isee"] == D("3000.00")
    # Above every band, or not declared: no top-up.
    for isee in (D(21000.01), None):
        no_top_up = Stay(StayKind.LONG, stay.start, stay.end, group="3", isee=isee)
        assert "isee" not in amounts(compute(no_top_up, RATES))


def test_a_stay_longer_than_twelve_months_is_paid_for_twelve() -> None:
    stay = Stay(StayKind.LONG, dt.date(2026, 9, 1), dt.date(2027, 12, 31))
    grant = compute(stay, RATES)
    assert amounts(grant) == {"individual": D("4200.00")}
    with translation.override("en"):
        assert grant.notes == ("Paid for 12 months, the most a stay is funded.",)


def test_partner_countries_get_travel_without_fewer_opportunities() -> None:
    stay = Stay(
        StayKind.LONG, dt.date(2026, 9, 1), dt.date(2027, 1, 31), group="partner", distance_km=9500
    )
    assert amounts(compute(stay, RATES)) == {"individual": D("3500.00"), "travel": D("1735.00")}


def test_green_travel_days_are_capped() -> None:
    stay = Stay(
        StayKind.SHORT, dt.date(2027, 3, 1), dt.date(2027, 3, 5), green_travel=True, travel_days=9
    )
    assert amounts(compute(stay, RATES)) == {
        "individual": D("395.00"),
        "green": D("50.00"),
        "travel_days": D("316.00"),  # 4 days at most, at the first daily rate
    }


def test_thesis_abroad_is_the_university_contribution_only() -> None:
    stay = Stay(
        StayKind.THESIS,
        dt.date(2027, 2, 1),
        dt.date(2027, 5, 31),
        fewer_opportunities=True,
        in_europe=False,
    )
    assert amounts(compute(stay, RATES)) == {
        "thesis": D("2000.00"),
        "thesis_travel": D("500.00"),
        "thesis_months": D("1200.00"),  # 4 months x 300
    }
    long_stay = Stay(StayKind.THESIS, dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert amounts(compute(long_stay, RATES))["thesis_months"] == D("1500.00")  # the cap


@pytest.mark.parametrize(
    ("stay", "reason"),
    [
        (Stay(StayKind.LONG, dt.date(2027, 3, 1), dt.date(2027, 4, 15)), "at least 2 months"),
        (Stay(StayKind.SHORT, dt.date(2027, 3, 1), dt.date(2027, 3, 4)), "lasts 4"),
        (Stay(StayKind.SHORT, dt.date(2027, 3, 1), dt.date(2027, 4, 1)), "lasts 32"),
        (Stay(StayKind.THESIS, dt.date(2027, 3, 1), dt.date(2027, 4, 20)), "8 consecutive"),
        (Stay(StayKind.LONG, dt.date(2027, 3, 1), dt.date(2027, 9, 1), group="9"), "group 9"),
        (Stay(StayKind.LONG, dt.date(2027, 3, 1), dt.date(2027, 2, 1)), "ends before"),
    ],
)
def test_stays_outside_the_rules_are_refused_with_the_reason(stay: Stay, reason: str) -> None:
    with translation.override("en"), pytest.raises(NotEligible, match=reason):
        compute(stay, RATES)


def test_the_distance_is_the_great_circle_and_falls_in_its_band() -> None:
    milan, paris, new_york = (45.4642, 9.1900), (48.8566, 2.3522), (40.7128, -74.0060)
    assert 635 <= distance_km(milan, paris) <= 645  # the published Milan-Paris distance
    assert 6440 <= distance_km(milan, new_york) <= 6500
    assert distance_km(milan, milan) == 0
    bands = RATES.travel_bands
    assert band_for(9, bands) is None
    assert band_for(99, bands) == bands[0]
    assert band_for(100, bands) == bands[1]
    assert band_for(20000, bands) == bands[-1]


@given(
    total=st.decimals(min_value=0, max_value=100000, places=2),
    shares=st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=5).filter(
        lambda s: sum(s) <= 100
    ),
)
def test_the_instalments_always_add_up_to_the_grant(total: Decimal, shares: list[int]) -> None:
    shares = [*shares, 100 - sum(shares)] if sum(shares) < 100 else shares
    parts = instalments(total, shares)
    assert sum(parts) == total
    assert all(part >= 0 for part in parts)
    assert len(parts) == len(shares)


def test_instalments_refuse_shares_not_adding_to_100() -> None:
    for shares in ((80, 30), (), (100, 0)):
        with pytest.raises(ValueError, match="add up to 100"):
            instalments(D(100), shares)


@given(
    start=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)),
    length=st.integers(min_value=64, max_value=370),  # 62 calendar days are 60 in 360
)
def test_a_longer_stay_is_never_paid_less(start: dt.date, length: int) -> None:
    end = start + dt.timedelta(days=length)
    shorter = compute(Stay(StayKind.LONG, start, end - dt.timedelta(days=1)), RATES)
    longer = compute(Stay(StayKind.LONG, start, end), RATES)
    assert longer.total >= shorter.total


def test_the_360_day_count() -> None:
    assert days_360(dt.date(2026, 9, 1), dt.date(2027, 1, 31)) == 150
    assert months_and_days(dt.date(2027, 2, 1), dt.date(2027, 2, 28)) == (1, 0)
    assert months_and_days(dt.date(2027, 3, 1), dt.date(2027, 3, 15)) == (0, 15)
