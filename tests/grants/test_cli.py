"""``python -m abroad grants``: the same services as the pages, from the shell."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from abroad.grants.models import RateTable

DEMO_RATES = Path(__file__).parents[2] / "src/abroad/site/demo/data/rates-2025.csv"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("grants", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_import_then_export_the_rates(tmp_path: Path) -> None:
    assert "DRY RUN" in run("import-rates", str(DEMO_RATES), "--year", "2025/2026", "--dry-run")
    assert not RateTable.objects.exists()
    assert "62 amounts" in run("import-rates", str(DEMO_RATES), "--year", "2025", "--source", "X")
    assert RateTable.objects.get(academic_year=2025).source == "X"
    text = run("export-rates", "--year", "2025")
    assert text.splitlines()[0] == "key,group,country,from,to,amount,green_amount"
    assert "monthly,1,,,,350.00," in text
    target = tmp_path / "rates.xlsx"
    assert "62 amounts written" in run("export-rates", "--year", "2025", "--output", str(target))
    assert "0 replaced" not in run("import-rates", str(target), "--year", "2025")


@pytest.mark.django_db
def test_refusals_name_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("key,amount\nweekly,3\n")
    with pytest.raises(CommandError, match="Nothing was imported"):
        run("import-rates", str(bad), "--year", "2025")
    with pytest.raises(CommandError, match="No rate table for 2030"):
        run("export-rates", "--year", "2030")
    with pytest.raises(CommandError, match="not an academic year"):
        run("export-rates", "--year", "next")
    with pytest.raises(CommandError, match="No mobility 999"):
        run("show", "999")
