"""The office's rate table: imported all or nothing with each bad row named, exported in the
same columns, and read by the grant engine."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest

from abroad.core.models import AuditEvent
from abroad.grants import compute, rates, services
from abroad.grants.models import Rate, RateTable

DEMO_RATES = Path(__file__).parents[2] / "src/abroad/site/demo/data/rates-2025.csv"
HEADER = "key,group,country,from,to,amount,green_amount\n"


def csv_file(text: str, name: str = "rates.csv") -> io.BytesIO:
    data = io.BytesIO(text.encode("utf-8"))
    data.name = name
    return data


def rows_of(table: RateTable) -> list[tuple[object, ...]]:
    fields = ("key", "group", "country", "low", "high", "amount", "green_amount")
    return sorted(Rate.objects.filter(table=table).values_list(*fields), key=repr)


@pytest.fixture
def table(db: None, office: object) -> RateTable:
    report = services.import_rates(
        DEMO_RATES, academic_year=2025, actor=office, source_note="INDIRE 2025/26"
    )
    assert report.ok, list(report.lines())
    return RateTable.objects.get(academic_year=2025)


def test_the_demo_table_imports_and_the_engine_reads_it(table: RateTable) -> None:
    rows = list(table.rates.all())
    assert len(rows) == 62
    assert rates.country_groups(rows)["FI"] == "1"
    assert rates.country_groups(rows)["PL"] == "3"
    engine = rates.engine_rates(rows)
    stay = compute.Stay(
        compute.StayKind.LONG,
        dt.date(2026, 9, 1),
        dt.date(2027, 1, 31),
        group="1",
        distance_km=1640,
        fewer_opportunities=True,
        green_travel=True,
        travel_days=4,
    )
    assert compute.compute(stay, engine).total == Decimal("3513.67")
    assert engine.isee_bands[0].up_to == Decimal(30000)
    assert engine.isee_bands[-1].up_to is None
    assert engine.thesis is not None
    assert table.source == "INDIRE 2025/26"
    event = AuditEvent.objects.get(action="grants.import_rates")
    assert event.data["created"] == 62


def test_a_year_not_published_uses_the_latest_before_it(table: RateTable) -> None:
    assert rates.table_for(2027) == table
    assert rates.table_for(2025) == table
    assert rates.table_for(2024) is None


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_exported_table_comes_back_unchanged(table: RateTable, office: object, fmt: str) -> None:
    before = rows_of(table)
    out = io.BytesIO()
    assert services.export_rates(table, out, fmt) == 62  # type: ignore[arg-type]
    out.seek(0)
    out.name = f"rates.{fmt}"
    report = services.import_rates(out, academic_year=2025, actor=office)
    assert report.ok, list(report.lines())
    assert report.replaced == 62
    assert rows_of(table) == before


def test_a_bad_file_changes_nothing_and_names_every_bad_row(
    table: RateTable, office: object
) -> None:
    bad = csv_file(
        HEADER
        + "monthly,1,,,,360,\n"  # line 2: good
        + "monthly,4,,,,300,\n"  # 3: no group 4
        + "weekly,,,,,300,\n"  # 4: no such key
        + "travel,,,,99,28,56\n"  # 5: a band without its first km
        + "green_top_up,,,,,-5,\n"  # 6: negative
        + "green_top_up,,,,,lots,\n"  # 7: not a number
        + "country_group,1,XX,,,,\n"  # 8: not a country
        + "monthly,1,,,,370,\n"  # 9: the same as line 2
        + "green_travel_days,,,,,2.5,\n"  # 10: not whole
        + "fewer_opportunities_monthly,2,,,,250,\n"  # 11: takes no group
    )
    report = services.import_rates(bad, academic_year=2025, actor=office)
    assert not report.ok
    named = {(error.line, error.column) for error in report.errors}
    assert named == {
        (3, "group"),
        (4, "key"),
        (5, "from"),
        (6, "amount"),
        (7, "amount"),
        (8, "country"),
        (9, "key"),
        (10, "amount"),
        (11, "group"),
    }
    assert "line 2" in str(next(e for e in report.errors if e.line == 9))
    # The table is as it was.
    assert table.rates.count() == 62
    assert table.rates.get(key="monthly", group="1").amount == Decimal(350)


def test_a_table_without_monthly_amounts_is_refused(db: None, office: object) -> None:
    report = services.import_rates(
        csv_file(HEADER + "green_top_up,,,,,50,\n"), academic_year=2026, actor=office
    )
    assert [error.message for error in report.errors] == [
        "the table has no monthly amount: add a monthly row per group"
    ]
    assert not RateTable.objects.filter(academic_year=2026).exists()


def test_a_dry_run_writes_nothing(db: None, office: object) -> None:
    report = services.import_rates(DEMO_RATES, academic_year=2025, actor=office, dry_run=True)
    assert report.ok
    assert report.created == 62
    assert not RateTable.objects.exists()
    assert not AuditEvent.objects.filter(action="grants.import_rates").exists()
