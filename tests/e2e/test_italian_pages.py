"""The pages mended for the office's year, read in Italian on the demo (issue 18): the call
editor, the student's call page, the mobility's dates, the ATHENS office page and the grade
conversion. Each page is reached as its user would, switched to Italian with the header's
button, checked for Italian words (taken from the catalogue, so a missing translation fails),
numbers written the Italian way and no serious accessibility finding; the screenshots
(``*-it.png``) illustrate the user guide's Italian pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, ViewportSize, expect

from abroad.mobility.models import Mobility
from abroad.networks.models import AthensSession
from tests.e2e.conftest import assert_accessible, log_in, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.once]  # reads pages only

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
# A number written the English way inside Italian text: "26.332" (a decimal point between
# digits, not a date or a code such as "3.1").
ENGLISH_DECIMAL = re.compile(r"\b\d{1,3}\.\d{3}\b")


@pytest.fixture
def full_demo(live_server: Any, transactional_db: None) -> str:
    """The whole demo, as ``python -m abroad demo`` loads it."""
    from abroad.site.demo.catalogue import load_demo
    from abroad.site.demo.mobility import load_mobility_demo
    from abroad.site.demo.networks import load_networks_demo
    from abroad.site.demo.recognition import load_recognition_demo
    from abroad.site.demo.selection import load_selection_demo

    load_demo()
    load_selection_demo()
    load_mobility_demo()
    load_recognition_demo()
    load_networks_demo()
    return str(live_server.url)


def italian(msgid: str) -> str:
    with translation.override("it"):
        found = gettext(msgid)
    assert found != msgid, f"no Italian for {msgid!r}"
    return found


def _in_italian(page: Page) -> None:
    """Switch the page to Italian with the header's language button."""
    page.get_by_role("button", name="Italiano").click()
    expect(page.locator("html")).to_have_attribute("lang", "it")


def _clean(page: Page, name: str, show: str = "") -> None:
    """No English-style number, no serious accessibility finding; a screenshot of the page
    scrolled to ``show`` (a selector) when given."""
    main = page.locator("main")
    assert not ENGLISH_DECIMAL.search(main.inner_text()), "a number written the English way"
    assert_accessible(page)
    if show:
        page.locator(show).first.evaluate("element => element.scrollIntoView()")
    screenshot(page, name)


def test_the_mended_pages_read_in_italian(
    page: Page, full_demo: str, console_errors: list[str]
) -> None:
    page.set_viewport_size(DESKTOP)
    server = full_demo

    # The office edits the engineering call and chooses its offers.
    log_in(page, server, "office", "/calls/office/engineering-2027-1/edit/")
    _in_italian(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(italian("Edit the call"))
    _clean(page, "office-call-editor-it")
    page.goto(f"{server}/calls/office/engineering-2027-1/offers/")
    expect(page.get_by_role("heading", level=1)).to_have_text(italian("Offers of this call"))
    _clean(page, "office-call-offers-it")

    # The student's call page: the ranking, the destinations with search and filters.
    log_in(page, server, "student", "/calls/engineering-2027-1/")
    _in_italian(page)
    expect(page.locator("#ranking-heading")).to_contain_text(italian("Your ranking"))
    expect(page.locator("#choices-heading")).to_be_visible()
    _clean(page, "student-call-filter-it")

    # A nominated student sets the dates of the stay; the months are lower-case in Italian.
    thesis = Mobility.objects.get(student__username="thesis")
    log_in(page, server, "thesis", f"/mobility/{thesis.pk}/")
    _in_italian(page)
    expect(page.locator("#dates-heading")).to_have_text(italian("Planned dates"))
    planned = page.locator("#planned").inner_text()
    assert re.search(r"\d+ [a-z]+ \d{4}", planned), planned  # "1 settembre 2027"
    _clean(page, "student-mobility-dates-it", "#facts-heading")

    # The ATHENS office page of the session with published results: Italian wording.
    published = (
        AthensSession.objects.filter(published_at__isnull=False).order_by("-published_at").first()
    )
    assert published is not None
    log_in(page, server, "office", f"/networks/office/{published.code}/")
    _in_italian(page)
    expect(page.locator("main")).not_to_contain_text("your 1st choice")
    expect(page.locator("main")).not_to_contain_text("choice was filled")
    _clean(page, "athens-office-it", "main table")

    # The grade conversion the student abroad reads before coming back.
    erasmus = Mobility.objects.get(student__username="erasmus")
    log_in(page, server, "erasmus", f"/recognition/mobility/{erasmus.pk}/conversion/")
    _in_italian(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        italian("How your grades will be converted")
    )
    expect(page.locator("main")).not_to_contain_text("converts to")
    _clean(page, "recognition-conversion-it")

    assert console_errors == []
