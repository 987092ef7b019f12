"""The office's page for a year's grant amounts: the check in the request, the import as a
background job whose page shows the report (every bad row named, nothing written)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from abroad.core.academic_year import current_start_year
from abroad.core.models import AuditEvent, Job
from abroad.grants.models import RateTable
from tests.grants.conftest import DEMO_RATES
from tests.jobs import follow_job

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

URL = reverse("grants:rates_import")


def rates(text: bytes = DEMO_RATES.read_bytes(), name: str = "rates.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text)


def test_who_opens_the_page_and_asks_for_an_import(personas: dict[str, Client]) -> None:
    year = current_start_year()
    seen = {name: client.get(URL).status_code for name, client in personas.items()}
    assert seen == {
        "student": 404,
        "other_student": 404,
        "promoter": 404,
        "office": 200,
        "school_office": 200,
        "other_school_office": 200,
        "anonymous": 302,
    }
    for name in ("student", "other_student", "promoter", "anonymous"):
        personas[name].post(URL, {"year": year, "file": rates()})
    assert not Job.objects.exists()
    assert not RateTable.objects.exists()


def test_the_office_imports_a_year_through_a_job(personas: dict[str, Client]) -> None:
    office = personas["office"]
    year = current_start_year()
    checked = office.post(URL, {"year": year, "file": rates(), "dry_run": "on"})
    assert checked.status_code == 200
    assert "The file is correct. Importing it would do this:" in checked.content.decode()
    assert not Job.objects.exists()
    assert not RateTable.objects.exists()

    asked = office.post(URL, {"year": year, "file": rates(), "source": "INDIRE"})
    job, page = follow_job(office, asked)

    text = page.content.decode()
    assert "Imported:" in text
    assert job.report["counts"]["created"] == 62
    table = RateTable.objects.get(academic_year=year)
    assert table.source == "INDIRE"
    assert table.rates.get(key="monthly", group="1").amount == Decimal(350)
    assert AuditEvent.objects.filter(action="grants.import_rates").count() == 1
    assert reverse("grants:rates_import") in text  # back to the page


def test_a_bad_row_is_named_and_nothing_is_written(personas: dict[str, Client]) -> None:
    office = personas["office"]
    bad = b"key,group,country,from,to,amount,green_amount\nmonthly,1,,,,360,\nweekly,,,,,300,\n"
    job, page = follow_job(
        office, office.post(URL, {"year": current_start_year(), "file": rates(bad)})
    )
    assert [(error["line"], error["column"]) for error in job.report["errors"]] == [(3, "key")]
    text = page.content.decode()
    assert "Nothing was imported: the file has 1 problem." in text
    assert not RateTable.objects.exists()
