"""The office's call editor in Debian's Chromium (issue 18, point 1): the office creates a
call on its own page (no admin), moves its deadline, filters the offers with the catalogue's
filters and adds every matching one at once; axe-core checks the pages. The screenshot of the
offers page goes to the user guide."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from abroad.core.models import AuditEvent
from abroad.selection.models import Call
from tests.e2e.conftest import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.e2e

FORMAT = "%Y-%m-%dT%H:%M"


def test_office_creates_a_call_moves_its_deadline_and_adds_offers_by_filter(
    page: Page, demo_server: str, console_errors: list[str]
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, demo_server, "office")
    page.get_by_role("link", name="Calls", exact=True).click()
    page.get_by_role("button", name="New call").click()
    expect(page.get_by_role("heading", name="New call")).to_be_visible()
    assert_accessible(page)

    now = timezone.localtime().replace(second=0, microsecond=0)
    page.get_by_label("Code").fill("semester-2027-2")
    page.get_by_label("Title").fill("Semester call 2027/2028, second call")
    for school in ("ICAT", "3I", "AUIC-ENG"):
        page.get_by_role("checkbox", name=re.compile(rf"(^|\s){school} – ")).check()
    page.get_by_label("Academic year of the mobility").fill("2027")
    page.get_by_label(re.compile(r"^Call \*")).select_option("2")
    page.get_by_label("Applications open").fill((now + dt.timedelta(days=1)).strftime(FORMAT))
    page.get_by_label("Applications close").fill((now + dt.timedelta(days=30)).strftime(FORMAT))
    # a semester call: Erasmus+ and bilateral are ticked already, a double degree is not
    expect(page.get_by_label("Erasmus+ (EU and associated countries)")).to_be_checked()
    expect(page.get_by_label("Double Degree")).not_to_be_checked()
    page.get_by_label("Master (Laurea Magistrale)", exact=True).check()
    page.get_by_role("button", name="Create the call").click()

    expect(page.get_by_text("Call created: now choose its offers.")).to_be_visible()
    expect(page.get_by_role("heading", name="Offers of this call")).to_be_visible()
    call = Call.objects.get(code="semester-2027-2")
    assert (call.number, call.levels, call.programmes) == (2, ["MSc"], ["erasmus", "bilateral"])

    # The deadline moves a week later.
    page.get_by_role("link", name="Dates and rules").click()
    later = now + dt.timedelta(days=37)
    page.get_by_label("Applications close").fill(later.strftime(FORMAT))
    assert_accessible(page)
    page.get_by_role("button", name="Save the call").click()
    expect(page.get_by_text("The call was saved.")).to_be_visible()
    call.refresh_from_db()
    assert call.closes_at == later

    # The offers: the candidates in Germany, all added at once.
    page.get_by_role("link", name="Offers", exact=True).click()
    page.get_by_role("link", name=re.compile(r"Not in the call yet \(\d+\)")).click()
    expect(page.get_by_role("link", name=re.compile("Not in the call yet"))).to_have_attribute(
        "aria-current", "page"
    )
    page.get_by_label("Country").select_option(label="Germany")
    add_all = page.get_by_role("button", name=re.compile(r"Add (all \d+ offers|the 1 offer)"))
    expect(add_all).to_be_visible()
    expect(page).to_have_url(re.compile(r"country=DE"))
    rows = page.locator("table.call-offers tbody tr")
    expect(rows.first).to_be_visible()
    for partner_country in rows.locator("td:nth-child(2) small").all_inner_texts():
        assert "Germany" in partner_country
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 1600})
    screenshot(page, "office-call-editor")
    page.set_viewport_size({"width": 1280, "height": 900})
    label = add_all.inner_text()
    wanted = int(re.findall(r"\d+", label)[0]) if "all" in label else 1
    add_all.click()

    expect(page.get_by_text(re.compile(rf"^{wanted} offers? added to the call\.$"))).to_be_visible()
    offers = call.call_offers.all()
    assert offers.count() == wanted
    assert set(offers.values_list("offer__agreement__partner__country", flat=True)) == {"DE"}
    # no ATHENS week, no double degree in a semester call
    assert set(offers.values_list("offer__agreement__programme", flat=True)) <= {
        "erasmus",
        "bilateral",
    }
    assert AuditEvent.objects.filter(action="call.offers_added", object_id=str(call.pk)).exists()

    # The list of the call's offers shows them with their seats, and one is removed by tick.
    page.get_by_role("link", name=re.compile(r"In the call \(\d+\)")).click()
    expect(page.locator("table.call-offers tbody tr")).to_have_count(min(wanted, 50))
    page.locator("table.call-offers tbody input[name=offer]").first.check()
    page.get_by_role("button", name="Remove the ticked offers").click()
    expect(page.get_by_text("1 offer removed from the call.")).to_be_visible()
    assert call.call_offers.count() == wanted - 1
    assert console_errors == []
