"""The International Mobility Unit in the browser: it logs in, uploads an agreements file with
a mistake, reads the report, fixes the file and imports it; students then see the agreement."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from abroad.catalogue.importers.agreements import export_agreements
from abroad.catalogue.models import Agreement
from abroad.selection.models import Call
from tests.core.test_mail_delivery import run_worker
from tests.e2e.conftest import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.e2e


def _agreement_file(tmp_path: Path, *, seats: str) -> Path:
    """One real agreement exported, renamed to a new code, with ``seats`` on its first row."""
    source = (
        Agreement.objects.filter(status="active", offers__isnull=False).order_by("code").first()
    )
    assert source is not None
    exported = tmp_path / "export.csv"
    export_agreements(exported, agreements=Agreement.objects.filter(pk=source.pk))
    with exported.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["agreement_code"] = "EU-2027-0999"
        row["start_year"] = "2027/2028"
        row["end_year"] = "2029/2030"
    rows[0]["seats"] = seats
    target = tmp_path / f"agreements-{seats}.csv"
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return target


def test_office_imports_agreements_and_fixes_a_bad_row(
    page: Page, demo_server: str, tmp_path: Path, settings: Any
) -> None:
    """The import runs in the background worker: the page waits on the job's page (which
    reloads itself) until the worker has run it, then shows the report."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, demo_server, "office")
    page.get_by_role("link", name="Office").click()
    page.goto(demo_server + "/office/admin/catalogue/agreement/import/")

    page.locator("#id_file").set_input_files(str(_agreement_file(tmp_path, seats="three")))
    page.get_by_role("button", name="Import").click()
    job = page.locator("#job")
    expect(job).to_have_attribute("data-state", "queued")
    expect(page.locator("#job-state")).to_contain_text("Waiting for the background worker.")
    run_worker()  # the worker, in this process: the page sees it only by reloading itself
    expect(job).to_have_attribute("data-state", "done")
    report = page.locator("#import-report")
    expect(report).to_contain_text("Nothing was imported: the file has 1 problem.")
    expect(report).to_contain_text("'three' is not a whole number between 1 and 200")
    assert_accessible(page)
    assert not Agreement.objects.filter(code="EU-2027-0999").exists()
    screenshot(page, "office-import-errors", full_page=True)

    page.get_by_role("link", name="Back").click()
    page.locator("#id_file").set_input_files(str(_agreement_file(tmp_path, seats="3")))
    page.get_by_role("button", name="Import").click()
    expect(job).to_have_attribute("data-state", "queued")
    run_worker()
    expect(job).to_have_attribute("data-state", "done")
    expect(page.locator("#import-report")).to_contain_text("Imported:")
    screenshot(page, "office-import-done", full_page=True)
    agreement = Agreement.objects.get(code="EU-2027-0999")
    assert agreement.offers.order_by("id").first().seats == 3  # type: ignore[union-attr]

    # The export is made in the background too, and offered on its job's page.
    page.goto(demo_server + "/office/admin/catalogue/agreement/")
    page.get_by_role("button", name="Export all (CSV)").click()
    expect(job).to_have_attribute("data-state", "queued")
    run_worker()
    expect(job).to_have_attribute("data-state", "done")
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"^Download agreements-.*\.csv$")).click()
    assert "EU-2027-0999" in Path(download.value.path()).read_text(encoding="utf-8")

    # Students find it in the catalogue at once.
    page.goto(demo_server + "/destinations/?q=EU-2027-0999")
    expect(page.locator(".result-count")).to_contain_text(f"{agreement.offers.count()} offer")


def test_office_reviews_a_call_its_ranking_and_round(page: Page, demo_server: str) -> None:
    """The demo's Design call: ranked by the commission, round 1 published."""
    from abroad.site.demo.selection import load_selection_demo

    load_selection_demo()
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, demo_server, "office")
    page.get_by_role("link", name="Calls", exact=True).click()
    expect(page.get_by_role("link", name=re.compile("Design"))).to_be_visible()
    assert_accessible(page)
    page.goto(demo_server + "/calls/office/design-2027-1/")
    assert_accessible(page)
    screenshot(page, "office-call", full_page=True)
    page.goto(demo_server + "/calls/office/design-2027-1/ranking/")
    expect(page.locator("table tbody tr").first).to_be_visible()
    assert_accessible(page)
    screenshot(page, "office-ranking", full_page=True)
    page.goto(demo_server + "/calls/office/design-2027-1/rounds/1/")
    assert_accessible(page)
    screenshot(page, "office-round", full_page=True)


def test_promoter_sees_the_ranking_of_their_school_only(page: Page, demo_server: str) -> None:
    from abroad.catalogue.models import Promoter
    from abroad.site.demo.selection import load_selection_demo

    load_selection_demo()
    promoter = Promoter.objects.select_related("school").get(user__username="promoter")
    log_in(page, demo_server, "promoter")
    page.get_by_role("link", name="Calls", exact=True).click()
    visible = page.locator("main").inner_text()
    for call in Call.objects.all():
        schools = set(call.schools.all())
        theirs = promoter.school in schools or promoter.school.parent in schools
        assert (call.title in visible) == theirs, call.title
