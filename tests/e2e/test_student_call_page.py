"""The student's call page with the demo's hundreds of destinations, in Debian's Chromium
(issue 18, point 6): the student searches for a destination by name, narrows by country, ranks
the one found without leaving the filtered list, and reads why others are not open, grouped by
reason. On a desk screen and on a 360-pixel phone; axe-core checks the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from abroad.selection import services
from abroad.selection.models import Application
from tests.e2e.conftest import assert_accessible, log_in, no_horizontal_scroll, screenshot
from tests.e2e.test_call_journey import _engineering_call, _ready

pytestmark = pytest.mark.e2e

DESK: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 360, "height": 800}


def test_student_searches_filters_and_ranks_a_destination(
    page: Page, demo_server: str, console_errors: list[str]
) -> None:
    call = _engineering_call()
    student = _ready("student", average="27.5")
    availability = services.offers_for_student(call, student)
    choosable = [a.call_offer for a in availability if a.available]
    assert len(choosable) > 25, "the demo call has more than a page of destinations"
    # The last one by name: not on the first page before the search.
    wanted = choosable[-1]
    partner = wanted.offer.agreement.partner
    country = str(partner.country.name)

    page.set_viewport_size(DESK)
    log_in(page, demo_server, "student", call.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(call.title)
    expect(page.locator(f"#choice-{wanted.pk}")).to_have_count(0)
    expect(page.locator(".pagination")).to_contain_text("Page 1 of")

    # Search by the institution's name: the list swaps in place (HTMX) and the URL follows.
    page.get_by_role("textbox", name="Search").fill(partner.name)
    page.get_by_role("textbox", name="Search").press("Enter")
    expect(page.locator(f"#choice-{wanted.pk}")).to_be_visible()
    expect(page.locator("#choices-count")).to_contain_text("your search")
    expect(page).to_have_url(re.compile(r"[?&]q=[^&]"))

    # Narrow by the country as well (a change of the select applies it).
    page.get_by_label("Country").select_option(label=country)
    expect(page).to_have_url(re.compile(r"[?&]country=[A-Z]{2}"))
    # The list is the one for both filters once its "add" button posts them both.
    expect(page.locator(f"#choice-{wanted.pk} form")).to_have_attribute(
        "action", re.compile(r"country=[A-Z]{2}")
    )
    for name in page.locator("#destinations .choice-offer .offer-facts").all_inner_texts():
        assert country in name

    # Rank the destination found; the filtered list stays as it was.
    page.locator(f"#add-{wanted.pk}").click()
    expect(page.locator(f"#added-{wanted.pk}")).to_have_text("Your choice 1")
    expect(page.locator("#ranking-status")).to_contain_text(
        f"{wanted.offer.label} added as your choice number 1"
    )
    expect(page.locator("#student-state")).to_have_text("draft: not submitted")
    expect(page.get_by_role("textbox", name="Search")).to_have_value(partner.name)
    expect(page.get_by_label("Country")).to_have_value(partner.country.code)
    application = Application.objects.get(call=call, student=student)
    assert list(application.preferences.values_list("call_offer_id", flat=True)) == [wanted.pk]
    assert_accessible(page)
    page.locator("#choices").evaluate("element => element.scrollIntoView()")
    screenshot(page, "student-call-filter")

    # Back to every destination: the ones not open are grouped by reason, each said once.
    page.get_by_role("button", name="Clear").click()
    expect(page.locator(".pagination")).to_contain_text("Page 1 of")
    groups = page.locator("details.reason-group")
    expect(groups.first).to_be_visible()
    reasons = groups.locator(".reason").all_inner_texts()
    assert len(reasons) == len(set(reasons))
    groups.first.locator("summary").click()
    expect(groups.first.locator("li").first).to_be_visible()
    assert_accessible(page)

    # On a phone: the same search, nothing scrolls sideways.
    page.set_viewport_size(PHONE)
    page.goto(f"{demo_server}{call.get_absolute_url()}?q={partner.name}")
    expect(page.locator(f"#added-{wanted.pk}")).to_have_text("Your choice 1")
    no_horizontal_scroll(page)
    assert_accessible(page)
    page.locator("#choices").evaluate("element => element.scrollIntoView()")
    screenshot(page, "student-call-filter-phone")
    assert console_errors == []
