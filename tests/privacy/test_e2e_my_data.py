"""Data rights in Debian's Chromium, through the pages only.

With the catalogue's and the mobility's demo loaded, the ``erasmus`` student reads the privacy
notice, opens My data and downloads her archive (data.json, index.html, her mobility's
documents); the office finds her, downloads the same, and is told the erasure must wait: her
mobility is in progress. axe-core checks every page; the browser logs no error (a CSP
violation would be one)."""

from __future__ import annotations

import json
import zipfile

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from abroad.core.models import AuditEvent
from abroad.people.models import User
from abroad.site.demo.mobility import ERASMUS, load_mobility_demo
from tests.e2e.conftest import assert_accessible, log_in, no_horizontal_scroll, screenshot

pytestmark = pytest.mark.e2e

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 360, "height": 740}


def test_a_student_downloads_her_data_and_the_office_cannot_erase_her_yet(
    page: Page, demo_server: str, console_errors: list[str]
) -> None:
    load_mobility_demo()
    student = User.objects.get(username=ERASMUS)
    page.set_viewport_size(DESKTOP)

    page.goto(f"{demo_server}/privacy/")
    expect(page.get_by_role("heading", name="Privacy notice", level=1)).to_be_visible()
    expect(page.get_by_text("years after the mobility ends")).to_be_visible()
    assert_accessible(page)

    log_in(page, demo_server, ERASMUS, "/privacy/my-data/")
    expect(page.get_by_role("heading", name="My data", level=1)).to_be_visible()
    expect(page.get_by_role("cell", name="Mobilities", exact=True)).to_be_visible()
    assert_accessible(page)
    screenshot(page, "privacy-my-data")
    page.set_viewport_size(PHONE)
    no_horizontal_scroll(page)
    page.set_viewport_size(DESKTOP)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download my data (ZIP)").click()
    archive = zipfile.ZipFile(download_info.value.path())
    data = json.loads(archive.read("data.json"))
    models = {group["model"] for group in data["records"]}
    assert {"people.user", "mobility.mobility"} <= models
    assert data["person"]["username"] == ERASMUS
    assert "index.html" in archive.namelist()

    log_in(page, demo_server, "office", "/privacy/office/")
    page.get_by_label("Name, user name, e-mail or student number").fill(ERASMUS)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=str(student)).click()
    expect(page.get_by_text("mobility in progress")).to_be_visible()
    expect(page.get_by_role("link", name="Erase this person…")).to_have_count(0)
    assert_accessible(page)
    with page.expect_download() as office_download:
        page.get_by_role("button", name="Download this person's data (ZIP)").click()
    assert zipfile.ZipFile(office_download.value.path()).read("data.json")

    assert AuditEvent.objects.filter(action="privacy.exported").count() == 2
    assert console_errors == []
