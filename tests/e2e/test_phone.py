"""abroad on a phone (360 px wide), in Debian's Chromium (issue 18, point 9): every page each
demo persona reaches from the menu and from the pages it leads to does not scroll sideways and
has no serious or critical axe-core finding; the menu folds into one line with a "Menu" button
that unfolds it (and shows whole without JavaScript); the merit-score breakdown, the agreement
page and the courses of study read normally. Screenshots: phone-menu.png, phone-agreement.png."""

from __future__ import annotations

import os
import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from abroad.catalogue.models import Offer
from abroad.selection.models import Application
from abroad.site.demo.mobility import load_mobility_demo
from abroad.site.demo.networks import load_networks_demo
from abroad.site.demo.recognition import load_recognition_demo
from abroad.site.demo.selection import DESIGN_CALL, load_selection_demo
from tests.e2e.conftest import assert_accessible, log_in, no_horizontal_scroll, screenshot

# Layout does not depend on the database: the crawl of every persona's pages at 360 px runs
# once, in the SQLite run (as the lint and type checks do), to keep CI within its time.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.once,
    pytest.mark.skipif(
        bool(os.environ.get("ABROAD_DATABASE_URL")), reason="layout: checked in the SQLite run"
    ),
]

PHONE: ViewportSize = {"width": 360, "height": 740}
PERSONAS = ("student", "erasmus", "thesis", "alliance", "doubledegree", "promoter", "office")
# Not pages: files, exports, feeds, the admin (Django's own), the API (its docs page is
# checked in test_error_pages.py).
NOT_A_PAGE = re.compile(
    r"(\.(csv|xml|json|pdf|xlsx)$|/pdf/$|/documents/\d+/$|/export/?$|^/office/admin/|^/api/"
    r"|^/i18n/|^/accounts/logout/)"
)
MENU_HEIGHT = 80  # px: the folded header is one line
PAGES_PER_PERSONA = 30
OFFICE_PAGES = 70  # the office reaches the most pages: all of them


def _shape(path: str) -> str:
    """Pages that differ only by their numbers (one agreement or another) are visited once."""
    return re.sub(r"\d+", "N", path)


def _links(page: Page, server: str) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all(
        "header a[href], main a[href], footer a[href]", "links => links.map(a => a.href)"
    )
    found = []
    for href in hrefs:
        url, _fragment = urldefrag(href)
        if not url.startswith(server):
            continue
        path = urlsplit(url).path
        if not NOT_A_PAGE.search(path):
            found.append(path)
    return found


def _full_demo(server: str) -> str:
    load_selection_demo()
    load_mobility_demo()
    load_recognition_demo()
    load_networks_demo()
    return server


def _check_phone_page(page: Page) -> None:
    no_horizontal_scroll(page)
    height = page.locator(".site-header").evaluate("e => e.getBoundingClientRect().height")
    assert height < MENU_HEIGHT, f"{page.url}: the folded header is {height} px high"
    assert_accessible(page)


def test_every_page_of_every_persona_fits_a_phone(
    page: Page, demo_server: str, console_errors: list[str]
) -> None:
    server = _full_demo(demo_server)
    scored = (
        Application.objects.filter(call__code=DESIGN_CALL, score__isnull=False)
        .select_related("student")
        .order_by("rank")
        .first()
    )
    assert scored is not None
    page.set_viewport_size(PHONE)
    visited: list[str] = []
    breakdowns = 0
    for persona in (*PERSONAS, scored.student.username):
        log_in(page, server, persona)
        seen: set[str] = set()
        queue: deque[str] = deque(["/"])
        budget = OFFICE_PAGES if persona == "office" else PAGES_PER_PERSONA
        while queue and len(seen) < budget:
            path = queue.popleft()
            if _shape(path) in seen:
                continue
            seen.add(_shape(path))
            response = page.goto(server + path)
            assert response is not None
            assert response.status < 500, f"{persona}: {path} answered {response.status}"
            visited.append(f"{persona} {path}")
            _check_phone_page(page)
            if page.get_by_text("Merit score:").count():
                breakdowns += 1
            queue.extend(p for p in _links(page, server) if _shape(p) not in seen)
    print("\n".join(visited))
    assert len(visited) > 100, visited
    assert breakdowns > 0  # the merit-score breakdown was among them
    assert console_errors == []


def test_the_menu_folds_into_one_line_and_a_button_opens_it(
    page: Page, demo_server: str, console_errors: list[str]
) -> None:
    page.set_viewport_size(PHONE)
    log_in(page, demo_server, "office", "/destinations/")
    header = page.locator(".site-header")
    toggle = page.get_by_role("button", name="Menu")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("link", name="Destinations")).to_be_hidden()
    assert header.evaluate("e => e.getBoundingClientRect().height") < MENU_HEIGHT

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="Destinations")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Log out"))).to_be_visible()
    no_horizontal_scroll(page)
    assert_accessible(page)
    screenshot(page, "phone-menu")
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(page.get_by_role("link", name="Destinations")).to_be_hidden()

    # On a wide screen there is no button: the menu is always there.
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(toggle).to_be_hidden()
    expect(page.get_by_role("link", name="Destinations")).to_be_visible()
    assert console_errors == []


def test_without_javascript_the_menu_shows_whole(browser: Browser, demo_server: str) -> None:
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(demo_server + "/destinations/")
    expect(page.locator(".menu-toggle")).to_be_hidden()
    expect(page.get_by_role("link", name="Destinations")).to_be_visible()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    no_horizontal_scroll(page)
    context.close()


def test_the_agreement_page_reads_on_a_phone(page: Page, demo_server: str) -> None:
    page.set_viewport_size(PHONE)
    offer = (
        Offer.objects.filter(agreement__status="active")
        .select_related("agreement")
        .order_by("agreement_id")
        .first()
    )
    assert offer is not None
    page.goto(demo_server + offer.agreement.get_absolute_url())
    expect(page.get_by_text("What the agreement offers")).to_be_visible()
    no_horizontal_scroll(page)
    # "Courses of study": whole words on a line, not one word a line.
    courses = page.locator("dl.facts dt", has_text="Courses of study")
    assert courses.count() > 0
    for cell in courses.locator("xpath=following-sibling::dd[1]").all():
        width = cell.evaluate("e => e.getBoundingClientRect().width")
        assert width > 150, f"the courses of study are squeezed into {width} px"
    assert_accessible(page)
    screenshot(page, "phone-agreement", full_page=True)
