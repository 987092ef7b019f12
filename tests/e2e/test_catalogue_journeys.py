"""The catalogue as a person uses it, in Debian's Chromium: a student finds what their course
of study can choose, opens an agreement, uses the map, switches to Italian, and does it all
with the keyboard alone. axe-core checks every page in both languages, on a desktop and on a
phone (360 px)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from abroad.catalogue.models import CourseOfStudy, Offer
from tests.e2e.conftest import assert_accessible, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.once]  # reads pages only

PAGES = [
    "/",
    "/destinations/",
    "/map/",
    "/contacts/",
    "/info/short-mobility/",
    "/info/double-degree/",
    "/info/networks/",
    "/info/erasmus/",
    "/info/athens/",
    "/accounts/login/",
    "/privacy/",
    "/no-such-page/",  # the error page
    "/api/docs",
]


def _a_course_with_offers() -> CourseOfStudy:
    course = (
        CourseOfStudy.objects.filter(offers__agreement__status="active")
        .order_by("code")
        .distinct()
        .first()
    )
    assert course is not None
    return course


def test_student_filters_by_course_and_opens_an_agreement(
    page: Page, demo_server: str, console_errors: list[str]
) -> None:
    course = _a_course_with_offers()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(demo_server + "/")
    page.get_by_label("What can I choose? Pick your course of study").select_option(course.code)
    page.get_by_role("button", name="Show destinations").click()

    expect(page).to_have_url(re.compile(rf"/destinations/\?course={course.code}"))
    count = page.locator(".result-count")
    expect(count).to_contain_text(f"open to students of {course}")
    shown = int(re.search(r"(\d+) offers?", count.inner_text()).group(1))  # type: ignore[union-attr]
    assert shown > 0
    assert (
        shown
        == Offer.objects.filter(
            courses=course, agreement__status="active", **{f"level_{_level(course)}": True}
        ).count()
    )
    assert_accessible(page)
    screenshot(page, "catalogue")

    # Narrow further with a second filter: the page updates without a full reload (htmx) and
    # the URL keeps both filters.
    first_row = page.locator("#results tbody tr").first
    partner = first_row.locator("a").first.inner_text()
    first_row.locator("a").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(partner)
    expect(page.get_by_text("What the agreement offers")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "agreement-detail", full_page=True)
    assert console_errors == []


def _level(course: CourseOfStudy) -> str:
    return {6: "bachelor", 7: "master", 8: "doctorate"}[course.eqf]


def test_filter_change_updates_results_and_url(page: Page, demo_server: str) -> None:
    page.goto(demo_server + "/destinations/")
    total = page.locator(".result-count").inner_text()
    page.get_by_label("Programme").select_option("bilateral")
    expect(page).to_have_url(re.compile(r"programme=bilateral"))
    expect(page.locator(".result-count")).not_to_have_text(total)
    bilateral = Offer.objects.filter(agreement__status="active", agreement__programme="bilateral")
    expect(page.locator(".result-count")).to_contain_text(f"{bilateral.count()} offer")


def test_map_shows_clustered_partners_and_links_to_them(
    page: Page, demo_server: str, console_errors: list[str]
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(demo_server + "/map/")
    expect(page.locator("#map[data-loaded=true]")).to_have_count(1)
    expect(page.locator("#map-status")).to_contain_text("institutions on the map")
    expect(page.locator(".marker-cluster").first).to_be_visible()
    expect(
        page.locator("path.leaflet-interactive, .leaflet-overlay-pane svg path").first
    ).to_be_attached()
    assert_accessible(page)
    screenshot(page, "map")

    # Filter to one country: a handful of markers; open one and follow its link.
    page.goto(demo_server + "/map/?country=NL")
    expect(page.locator("#map[data-loaded=true]")).to_have_count(1)
    # the markers are drawn: single ones, or clusters that open into them when clicked
    expect(page.locator(".leaflet-marker-icon").first).to_be_visible()
    marker = page.locator(".leaflet-marker-icon:not(.marker-cluster)").first
    if not marker.is_visible():
        page.locator(".marker-cluster").first.click()
    expect(marker).to_be_visible()
    popup = page.locator(".leaflet-popup-content .map-popup")
    for attempt in range(3):
        # A popup opened while the map still zooms or the clusters still move is closed when
        # they settle: wait until they have.
        expect(page.locator("#map.leaflet-zoom-anim, #map .leaflet-cluster-anim")).to_have_count(0)
        marker.click()
        try:
            expect(popup).to_be_visible(timeout=10_000)
            break
        except AssertionError:
            if attempt == 2:
                raise
    name = popup.locator("a").first.inner_text()
    popup.locator("a").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    assert console_errors == []


def test_map_markers_work_with_the_keyboard(page: Page, demo_server: str) -> None:
    page.goto(demo_server + "/map/?country=CH")
    expect(page.locator("#map[data-loaded=true]")).to_have_count(1)
    marker = page.locator(".leaflet-marker-icon:not(.marker-cluster)").first
    expect(marker).to_be_visible()
    marker.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".leaflet-popup-content .map-popup")).to_be_visible()


def test_catalogue_with_the_keyboard_alone(page: Page, demo_server: str) -> None:
    course = _a_course_with_offers()
    page.goto(demo_server + "/destinations/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    # From the main content, tab to the course filter and choose with the keyboard.
    select = page.get_by_label("My course of study")
    for _ in range(10):
        page.keyboard.press("Tab")
        if select.evaluate("element => element === document.activeElement"):
            break
    expect(select).to_be_focused()
    select.select_option(course.code)
    page.get_by_role("button", name="Apply filters").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"course={course.code}"))
    # Choosing the course already asked htmx for new results; let every swap land before
    # taking a link that a late swap would replace.
    expect(page.locator(".result-count")).to_contain_text("open to students of")
    page.wait_for_load_state("networkidle")
    link = page.locator("#results tbody a").first
    link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("What the agreement offers")).to_be_visible()


def test_switch_to_italian(page: Page, demo_server: str) -> None:
    page.goto(demo_server + "/destinations/")
    page.get_by_role("button", name="Italiano").click()
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.get_by_role("heading", level=1)).to_have_text("Destinazioni")
    expect(page.get_by_role("button", name="English")).to_be_visible()
    screenshot(page, "catalogue-italian")


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("language", ["en", "it"])
def test_every_page_is_accessible(page: Page, demo_server: str, language: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(demo_server + "/")
    if language == "it":
        if width < 700:  # the language button is in the folded menu
            page.get_by_role("button", name="Menu").click()
        page.get_by_role("button", name="Italiano").click()
        expect(page.locator("html")).to_have_attribute("lang", "it")
    offer = Offer.objects.filter(agreement__status="active").select_related("agreement").first()
    assert offer is not None
    urls = [
        *PAGES,
        offer.agreement.get_absolute_url(),
        f"/institutions/{offer.agreement.partner_id}/",
    ]
    for url in urls:
        page.goto(demo_server + url)
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert_accessible(page)
