"""The error pages (400, 403, 404, 413, 500) on a phone (360 px) and a desktop, in Debian's
Chromium: axe-core finds no serious or critical problem and none scrolls sideways. 403 and 404
are reached as a person would; 400 by a form the browser submits with too many fields; 413 and
500 cannot be caused from a browser on purpose, so their pages are the real handlers' answers
(Django's test client, the error views) shown at the live server's address, with its styles.
The API's documentation page is checked too."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error
from playwright.sync_api import Page, ViewportSize, expect

from abroad.mobility.models import Mobility
from abroad.site.demo.mobility import ERASMUS, load_mobility_demo
from tests.e2e.conftest import assert_accessible, log_in, no_horizontal_scroll

pytestmark = [pytest.mark.e2e, pytest.mark.once]  # reads pages only

SIZES: dict[str, ViewportSize] = {
    "phone": {"width": 360, "height": 740},
    "desktop": {"width": 1280, "height": 900},
}


def _check(page: Page, heading: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    no_horizontal_scroll(page)
    assert_accessible(page)


def _show(page: Page, server: str, html: str) -> None:
    """A page the server answered, shown at the server's address (its styles load)."""
    page.goto(server + "/privacy/")
    page.set_content(html)


@pytest.mark.parametrize("size", SIZES)
def test_the_error_pages_are_accessible(page: Page, demo_server: str, size: str) -> None:
    page.set_viewport_size(SIZES[size])
    # 404: anonymous and signed in
    page.goto(demo_server + "/no-such-page/")
    _check(page, "Page not found")
    # 400: a form with more fields than a request may carry
    page.goto(demo_server + "/privacy/")
    page.evaluate(
        """() => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = "/i18n/setlang/";
            for (let i = 0; i < 1100; i++) {
                const field = document.createElement("input");
                field.type = "hidden"; field.name = "f" + i; field.value = "x";
                form.appendChild(field);
            }
            document.body.appendChild(form);
            form.submit();
        }"""
    )
    _check(page, "Bad request")
    # 413 and 500: the handlers' own answers
    too_large = Client().generic("POST", "/i18n/setlang/", b"x", CONTENT_LENGTH=str(10**10))
    assert too_large.status_code == 413
    _show(page, demo_server, too_large.content.decode())
    _check(page, "Too large")
    failed = server_error(RequestFactory().get("/"))
    assert failed.status_code == 500
    _show(page, demo_server, failed.content.decode())
    _check(page, "Something went wrong")
    # 403: the promoter who approves a mobility may read its learning agreement, not edit it
    load_mobility_demo()
    mobility = Mobility.objects.get(student__username=ERASMUS)
    log_in(page, demo_server, "promoter")
    response = page.goto(f"{demo_server}/mobility/{mobility.pk}/la/edit/")
    assert response is not None
    assert response.status == 403
    _check(page, "Not allowed")
    page.goto(demo_server + "/no-such-page/")
    _check(page, "Page not found")


@pytest.mark.parametrize("size", SIZES)
def test_the_api_documentation_is_accessible(page: Page, demo_server: str, size: str) -> None:
    page.set_viewport_size(SIZES[size])
    page.goto(demo_server + "/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    assert_accessible(page)
