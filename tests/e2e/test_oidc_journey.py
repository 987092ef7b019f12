"""A student logs in through an OpenID Connect provider (MyAcademicID, say): the real test
provider of tests/identity/oidc_op.py on its own port, abroad live, Chromium in between; and
logs out of both. The screenshot of the log-in page is the user guide's (login-oidc.png)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from abroad.people.models import User
from tests.e2e.conftest import assert_accessible, screenshot
from tests.identity.conftest import ROSSI_CLAIMS, configure_oidc, reload_urls
from tests.identity.oidc_op import PASSWORD, OpenIDProvider

pytestmark = pytest.mark.e2e


@pytest.fixture
def oidc_live(live_server: Any, transactional_db: None, settings: Any) -> Iterator[OpenIDProvider]:
    """abroad live with local and OpenID Connect log-in, trusting a provider served on its
    own port (another origin, as a real one is); abroad finds its endpoints by discovery."""
    op = OpenIDProvider(accounts={"maria.rossi": dict(ROSSI_CLAIMS)}, host="localhost").start()
    original = list(settings.LOGIN_METHODS)
    settings.SITE_URL = live_server.url
    configure_oidc(settings, op, ["local", "oidc"])
    yield op
    op.stop()
    settings.LOGIN_METHODS = original
    reload_urls()


def test_a_student_signs_in_with_myacademicid_and_out_of_both(
    page: Page, live_server: Any, oidc_live: OpenIDProvider, console_errors: list[str]
) -> None:
    site = str(live_server.url)
    page.goto(f"{site}/accounts/login/?next=/calls/")
    sign_in = page.get_by_role("link", name="Sign in with MyAcademicID")
    expect(sign_in).to_be_visible()
    assert_accessible(page)
    screenshot(page, "login-oidc")
    sign_in.click()
    expect(page.get_by_role("heading", name="MyAcademicID: sign in")).to_be_visible()
    page.get_by_label("Username").fill("maria.rossi")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{site}/calls/")
    log_out = page.get_by_role("button", name="Log out", include_hidden=True)
    expect(log_out).to_be_attached()
    maria = User.objects.get(username=f"{ROSSI_CLAIMS['sub']}@localhost")
    assert maria.student_number == "123456"
    assert maria.email == "maria.rossi@mail.polimi.example"
    assert console_errors == []

    # Log out: abroad's session ends, the provider ends its own and sends her back home.
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():
        menu.click()
    log_out.click()
    expect(page).to_have_url(f"{site}/")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    assert oidc_live.ended == [ROSSI_CLAIMS["sub"]]
    assert oidc_live.sessions == {}
