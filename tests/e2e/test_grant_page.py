"""The demo's student abroad reads her grant, from the timeline, on a desktop and a phone, in
English and Italian; axe-core checks the page; the browser logs no error."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from abroad.mobility.models import Mobility
from abroad.site.demo.grants import load_grants_demo
from abroad.site.demo.mobility import ERASMUS, load_mobility_demo
from tests.e2e.conftest import assert_accessible, log_in, no_horizontal_scroll, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.once]  # reads pages only

PHONE: ViewportSize = {"width": 360, "height": 740}


def test_the_student_reads_her_grant(
    page: Page, demo_server: str, console_errors: list[str]
) -> None:
    load_mobility_demo()
    load_grants_demo()
    mobility = Mobility.objects.filter(student__username=ERASMUS).order_by("pk").first()
    assert mobility is not None
    log_in(page, demo_server, ERASMUS, f"/mobility/{mobility.pk}/")
    page.get_by_role("link", name="The grant, line by line").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grant")
    table = page.get_by_role("table")
    expect(table.get_by_role("rowheader", name="Individual support")).to_be_visible()
    expect(table.get_by_role("rowheader", name="Top-up for fewer opportunities")).to_be_visible()
    expect(table.get_by_role("rowheader", name="Green travel top-up")).to_be_visible()
    expect(page.get_by_text(re.compile(r"euros in all"))).to_be_visible()
    assert_accessible(page)
    screenshot(page, "student-grant", full_page=True)
    page.set_viewport_size(PHONE)
    no_horizontal_scroll(page)
    page.context.add_cookies([{"name": "django_language", "value": "it", "url": demo_server}])
    page.reload()
    expect(page.get_by_role("rowheader", name="Sostegno individuale")).to_be_visible()
    assert_accessible(page)
    assert console_errors == []
