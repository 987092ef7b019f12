"""A student who forgot her password gets a new one by e-mail, in Chromium: from the log-in
page's link to the new password's first log-in, each page checked with axe and at 360 px."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from abroad.people.models import User
from tests.e2e.conftest import assert_accessible, no_horizontal_scroll, screenshot

pytestmark = pytest.mark.e2e


def test_a_student_chooses_a_new_password_from_the_e_mailed_link(
    page: Page, demo_server: str, console_errors: list[str], settings: Any
) -> None:
    settings.SITE_URL = demo_server  # the link in the e-mail leads back to this server
    student = User.objects.get(username="student")
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(demo_server + "/accounts/login/")
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgotten password")
    no_horizontal_scroll(page)
    assert_accessible(page)
    page.get_by_label("Email").fill(student.email)
    page.get_by_role("button", name="Send me the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    assert_accessible(page)

    [message] = mail.outbox
    link = re.search(re.escape(demo_server) + r"/accounts/reset/\S+/", str(message.body))
    assert link, message.body
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(link.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    page.get_by_label(re.compile(r"^New password:?$")).fill("short")
    page.get_by_label("New password confirmation").fill("short")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.locator(".errorlist").first).to_be_visible()  # the validators' reasons
    assert_accessible(page)
    screenshot(page, "password-reset")
    new = "a-fresh-and-long-passphrase"
    page.get_by_label(re.compile(r"^New password:?$")).fill(new)
    page.get_by_label("New password confirmation").fill(new)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your new password is saved")

    page.get_by_role("link", name="Log in").last.click()
    page.get_by_label("Username").fill("student")
    page.get_by_label("Password", exact=True).fill(new)
    page.get_by_role("button", name="Log in").click()
    expect(
        page.get_by_role("button", name=re.compile("Log out"), include_hidden=True)
    ).to_be_attached()
    assert console_errors == []
