"""The office's statistics dashboard in Debian's Chromium: filter it, read a table, download
it; axe-clean at desktop and phone width, no sideways scrolling at 360 px, nothing the CSP
blocks; the past years of the demo fill every chart. Screenshots: office-statistics.png,
office-statistics-phone.png, office-statistics-grants.png, office-statistics-grades.png,
office-statistics-calls.png, office-statistics-athens.png, office-statistics-mobilities.png."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from abroad.core.academic_year import current_start_year
from abroad.mobility.models import Mobility
from abroad.site.demo.grants import load_grants_demo
from abroad.site.demo.history import load_history_demo
from abroad.site.demo.mobility import load_mobility_demo
from abroad.site.demo.networks import load_networks_demo
from abroad.site.demo.recognition import load_recognition_demo
from abroad.site.demo.selection import load_selection_demo
from tests.e2e.conftest import (
    SCREENSHOTS,
    assert_accessible,
    log_in,
    no_horizontal_scroll,
    screenshot,
)

pytestmark = [pytest.mark.e2e, pytest.mark.once]  # reads pages only

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 360, "height": 740}


def test_the_office_filters_the_dashboard_and_downloads_a_table(
    page: Page, demo_server: str, console_errors: list[str], tmp_path: Path
) -> None:
    # the demo as `python -m abroad demo` loads it, with its three past years
    load_selection_demo()
    load_mobility_demo()
    load_recognition_demo()
    load_networks_demo()
    load_grants_demo()
    load_history_demo()
    page.set_viewport_size(DESKTOP)
    log_in(page, demo_server, "office", "/statistics/")
    expect(page.get_by_role("heading", name="Statistics", level=1)).to_be_visible()
    countries = page.locator("#figure-countries")
    expect(countries.locator("svg title")).to_have_text("Mobilities by country")
    assert_accessible(page)

    # every chart draws bars; the grants, the grades, the calls and ATHENS, with their tables
    # open, for the guide
    for figure in page.locator("section.statistics-figure:has(svg)").all():
        expect(figure.locator("svg rect[fill='#1d4f91']").first).to_be_attached()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for key in ("grants", "grades", "calls", "athens"):
        figure = page.locator(f"#figure-{key}")
        figure.locator("details.figure-table summary").click()
        expect(figure.get_by_role("table")).to_be_visible()
        figure.screenshot(path=str(SCREENSHOTS / f"office-statistics-{key}.png"))
    # the calls and the ATHENS weeks of the past years too, not only the current demo's
    past = current_start_year() - 1
    calls = page.locator("#figure-calls tbody")
    expect(calls).to_contain_text(f"engineering-{past}-1")
    expect(calls).to_contain_text(f"design-{past - 2}-1")
    expect(page.locator("#figure-rounds svg")).to_contain_text(f"engineering-{past}-1 · 2")
    athens = page.locator("#figure-athens tbody")
    expect(athens).to_contain_text(f"athens-{past - 2}-11")
    expect(athens).to_contain_text(f"athens-{past + 1}-03")
    grants = page.locator("#figure-grants tbody tr")
    expect(grants.first).to_contain_text("/")
    assert grants.count() >= 3  # three past years and more
    page.locator("#figure-countries").screenshot(
        path=str(SCREENSHOTS / "office-statistics-mobilities.png")
    )
    assert_accessible(page)

    # the grants table downloads as a spreadsheet, the proof of mobility periods too
    with page.expect_download() as info:
        page.get_by_role("link", name="Grants committed and paid (XLSX)").click()
    assert info.value.suggested_filename == "grants.xlsx"
    # (made as a background job: its page offers the file once made)
    page.get_by_role("button", name="Proof of mobility periods (CSV)").click()
    expect(page.locator("#job")).to_have_attribute("data-state", "done")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download ifs02-5.csv").click()
    path = tmp_path / "ifs02.csv"
    info.value.save_as(path)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("mobility_id,student_number,tax_code")
    assert len(lines) > 50
    page.get_by_role("link", name="Back").click()

    # filter by the year of most mobilities and by one of its countries
    year = Mobility.objects.order_by("-academic_year").values_list("academic_year", flat=True)[0]
    country = (
        Mobility.objects.filter(academic_year=year).values_list("host__country", flat=True).first()
    )
    assert country
    page.get_by_label("Academic year", exact=True).select_option(str(year))
    page.get_by_label("Partner country", exact=True).select_option(country)
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(rf"year={year}.*country={country}"))
    expect(page.get_by_label("Partner country", exact=True)).to_have_value(country)

    # the chart's table, opened
    table = countries.locator("details.figure-table")
    table.locator("summary").click()
    expect(table.get_by_role("table")).to_be_visible()
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(1)
    assert_accessible(page)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "office-statistics")

    # the download keeps the filters
    with page.expect_download() as info:
        countries.get_by_role("link", name="Mobilities by country (CSV)").click()
    download = info.value
    assert download.suggested_filename == "countries.csv"
    path = tmp_path / "countries.csv"
    download.save_as(path)
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "Country code,Country,Mobilities,Students"
    assert len(lines) == 2
    assert lines[1].startswith(f"{country},")

    # on a phone the dashboard fits the width
    page.set_viewport_size(PHONE)
    page.reload()
    expect(countries.locator("svg")).to_be_visible()
    no_horizontal_scroll(page)
    assert_accessible(page)
    countries.scroll_into_view_if_needed()
    screenshot(page, "office-statistics-phone")

    # in Italian, the same page is as accessible and as narrow
    page.set_viewport_size(DESKTOP)
    page.get_by_role("button", name="Italiano").click()
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.locator("#id_country")).to_have_value(country)
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    no_horizontal_scroll(page)
    assert console_errors == []


def test_a_student_finds_no_dashboard(page: Page, demo_server: str) -> None:
    log_in(page, demo_server, "student")
    response = page.goto(f"{demo_server}/statistics/")
    assert response is not None
    assert response.status == 404


def test_anybody_reads_a_partners_figures_from_its_page(
    page: Page, demo_server: str, console_errors: list[str]
) -> None:
    """Five students in one past year are shown, three in another are not."""
    from abroad.catalogue.enums import AgreementStatus
    from abroad.catalogue.models import Offer
    from abroad.core.academic_year import current_start_year, format_year
    from abroad.mobility.enums import MobilityState
    from tests.mobility.factories import MobilityFactory

    offer = Offer.objects.filter(agreement__status__in=AgreementStatus.public_states()).first()
    assert offer is not None
    year = current_start_year()
    for past, count in ((year - 2, 5), (year - 3, 3)):
        for _ in range(count):
            MobilityFactory.create(offer=offer, academic_year=past, state=MobilityState.COMPLETED)
    page.set_viewport_size(PHONE)
    page.goto(f"{demo_server}/institutions/{offer.agreement.partner_id}/")
    page.get_by_role("link", name="Our students here, in figures").click()
    table = page.get_by_role("table")
    shown = table.get_by_role("row", name=format_year(year - 2))
    expect(shown.get_by_role("cell").first).to_have_text("5")
    expect(table.get_by_role("row", name=format_year(year - 3))).to_contain_text(
        "Fewer than 5 students: not shown"
    )
    no_horizontal_scroll(page)
    assert_accessible(page)
    assert console_errors == []
