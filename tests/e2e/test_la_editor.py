"""The learning agreement editor in Debian's Chromium (issue 18, point 11): a value out of
range or not a number gets its message under the field and in the checks (the live checks go
on; they used to stop silently, the browser refusing to send an invalid form); "Add a row"
adds rows without saving, up to the most a table may have, and what is typed in them is saved."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, Response, ViewportSize, expect

from abroad.mobility.forms import MAX_ROWS
from abroad.mobility.models import LearningAgreement
from abroad.site.demo.mobility import load_mobility_demo
from tests.e2e.conftest import assert_accessible, log_in, screenshot
from tests.e2e.test_mobility_journey import _accepted_student

pytestmark = pytest.mark.e2e

DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def _settled(page: Page) -> None:
    page.wait_for_function("!document.querySelector('.htmx-request')")


def test_out_of_range_values_are_named_and_rows_are_added(
    page: Page, demo_server: str, console_errors: list[str]
) -> None:
    load_mobility_demo()
    mobility = _accepted_student(timezone.localdate())
    checks: list[int] = []

    def record(response: Response) -> None:
        if "/la/check/" in response.url:
            checks.append(response.status)

    page.on("response", record)
    page.set_viewport_size(DESKTOP)
    log_in(page, demo_server, "giulia", f"/mobility/{mobility.pk}/la/")
    page.get_by_role("button", name="Start the learning agreement").click()
    findings = page.locator("#findings")
    expect(findings).to_contain_text("Add the courses you will take at the host (table A).")

    # --- Out of range: the field says so, the checks say so, and they go on.
    page.locator("#id_A-0-code").fill("MEC41010")
    page.locator("#id_A-0-title").fill("Advanced Heat Transfer")
    ects = page.locator("#id_A-0-ects")
    ects.fill("999")
    message = page.locator("#id_A-0-ects-live-error")
    expect(message).to_have_text("Ensure this value is less than or equal to 60.")
    expect(ects).to_have_attribute("aria-invalid", "true")
    expect(ects).to_have_attribute("aria-describedby", "id_A-0-ects-live-error")
    expect(findings).to_contain_text("Some values cannot be read")
    expect(findings.get_by_role("link", name="Table A, row 1, ECTS")).to_be_visible()
    _settled(page)
    assert_accessible(page)
    screenshot(page, "la-editor-out-of-range")

    ects.fill("-2")
    expect(message).to_have_text("Ensure this value is greater than or equal to 0.5.")

    ects.fill("6")
    expect(findings).to_contain_text("Table A totals 6 ECTS; 30 are expected")
    expect(message).to_have_count(0)
    expect(ects).not_to_have_attribute("aria-invalid", "true")

    # --- Not a number (the browser sends nothing for it): said under the field.
    ects.fill("")
    ects.press_sequentially("6e")
    expect(message).to_have_text("Write the ECTS as a number, e.g. 6 or 7.5.")
    _settled(page)
    expect(message).to_have_text("Write the ECTS as a number, e.g. 6 or 7.5.")
    ects.fill("6")
    expect(findings).to_contain_text("Table A totals 6 ECTS")
    expect(message).to_have_count(0)

    # --- Add rows without saving: TOTAL_FORMS follows, the new row takes the focus.
    rows = page.locator("#edit-A").locator("xpath=..").locator("tbody tr")
    expect(rows).to_have_count(3)
    add = page.get_by_role("button", name="Add a row to table A")
    for _ in range(3):
        add.click()
    expect(rows).to_have_count(6)
    expect(page.locator("#id_A-TOTAL_FORMS")).to_have_value("6")
    expect(page.locator("#id_A-5-code")).to_be_focused()
    expect(page.get_by_label("Code, table A, row 6")).to_be_visible()
    page.locator("#id_A-5-code").fill("MEC41050")
    page.locator("#id_A-5-title").fill("Turbomachinery")
    page.locator("#id_A-5-ects").fill("9")
    expect(findings).to_contain_text("Table A totals 15 ECTS")
    _settled(page)
    assert_accessible(page)
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator(".messages")).to_contain_text("Draft saved.")
    draft = LearningAgreement.objects.get(mobility=mobility)
    assert sorted(draft.components.values_list("code", flat=True)) == ["MEC41010", "MEC41050"]

    # --- Up to the most a table may have; then the button says why it stops.
    add = page.get_by_role("button", name="Add a row to table C")
    total = page.locator("#id_C-TOTAL_FORMS")
    while add.is_enabled():
        add.click()
    expect(total).to_have_value(str(MAX_ROWS))
    expect(add).to_be_disabled()
    expect(page.locator("#la-rows-full-C")).to_have_text(f"A table has at most {MAX_ROWS} rows.")
    expect(page.locator("#la-rows-full-C")).to_be_visible()
    expect(page.locator("#la-rows-full-A")).to_be_hidden()
    page.get_by_role("button", name="Save the draft").click()
    expect(page.locator(".messages")).to_contain_text("Draft saved.")

    assert checks
    assert set(checks) == {200}, checks
    assert console_errors == []


def test_without_javascript_new_rows_come_with_a_save(browser: Browser, demo_server: str) -> None:
    load_mobility_demo()
    mobility = _accepted_student(timezone.localdate())
    context = browser.new_context(java_script_enabled=False, viewport=DESKTOP)
    page = context.new_page()
    log_in(page, demo_server, "giulia", f"/mobility/{mobility.pk}/la/")
    page.get_by_role("button", name="Start the learning agreement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Learning agreement: draft of version 1"
    )
    expect(page.get_by_role("button", name="Add a row to table A")).to_be_hidden()
    expect(page.get_by_text("Need more rows? Save the draft")).to_be_visible()
    context.close()
