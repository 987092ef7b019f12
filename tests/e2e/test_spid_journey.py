"""A student logs in with SPID: a real pysaml2 IdP speaking SPID behind a tiny log-in page on
its own HTTP server, abroad live, Chromium in between; she chooses her SPID identity provider
on abroad's log-in page, is linked by her fiscal code to the account the university already
holds, and lands on her mobility page."""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from abroad.identity.models import FederatedIdentity
from abroad.people.enums import Role
from abroad.people.models import User
from tests.e2e.conftest import assert_accessible
from tests.factories import UserFactory
from tests.identity.conftest import reload_urls
from tests.identity.spid_site import ROSSI_SPID, SpidIdentityProvider, organisation, switch_on
from tests.mobility.factories import MobilityFactory

pytestmark = pytest.mark.e2e

PASSWORD = "spid-password"
OTP = "123456"


def _page(title: str, body: str) -> bytes:
    return (
        f"<!doctype html><html lang='it'><head><meta charset='utf-8'><title>{title}</title>"
        f"</head><body><main><h1>{title}</h1>{body}</main></body></html>"
    ).encode()


class SpidIdPHandler(BaseHTTPRequestHandler):
    idp: SpidIdentityProvider

    def _send(self, status: int, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = f"http://{self.headers['Host']}{self.path}"
        if self.path.startswith("/idp/profile/SAML2/Redirect/SSO"):
            request = self.idp.receive(url)
            form = (
                "<form method='post' action='/idp/login'>"
                f"<input type='hidden' name='request' value='{html.escape(request.id)}'>"
                f"<input type='hidden' name='relay' value='{html.escape(request.relay_state)}'>"
                "<label>SPID username <input name='username'></label>"
                "<label>Password <input type='password' name='password'></label>"
                "<label>One-time code <input name='otp'></label>"
                "<button>Sign in</button></form>"
            )
            self._send(200, _page("Lepida ID: sign in (SPID level 2)", form))
        else:
            self._send(204)

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        fields = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if fields.get("password") != PASSWORD:
            self._send(200, _page("Wrong password", ""))
            return
        level = 2 if fields.get("otp") == OTP else 1
        answer = self.idp.spid_response(fields["request"], ROSSI_SPID, level=level)
        form = (
            f"<form method='post' action='{self.idp.sp_base}/spid/acs/'>"
            f"<input type='hidden' name='SAMLResponse' value='{answer}'>"
            f"<input type='hidden' name='RelayState' value='{html.escape(fields['relay'])}'>"
            "<button>Continue to abroad</button></form>"
        )
        self._send(200, _page("Signed in with SPID", form))

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def spid_live(
    live_server: Any, transactional_db: None, settings: Any, tmp_path: Path
) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SpidIdPHandler)
    idp = SpidIdentityProvider(
        tmp_path,
        entity_id="https://id.lepida.example",
        names={"en": "Lepida ID", "it": "Lepida ID"},
        sp_base=live_server.url,
        sso_base=f"http://localhost:{server.server_port}",
    )
    SpidIdPHandler.idp = idp
    threading.Thread(target=server.serve_forever, daemon=True).start()
    original = list(settings.LOGIN_METHODS)
    settings.SITE_URL = live_server.url
    settings.SPID_ENTITY_ID = f"{live_server.url}/spid/metadata/"
    organisation(settings, tmp_path)
    settings.SPID_IDP_METADATA_FILES = [str(idp.write_metadata())]
    settings.SPID_IDP_METADATA_URL = ""
    switch_on(settings, ["local", "spid"])
    idp.trust(Client().get("/spid/metadata/").content.decode())
    yield str(live_server.url)
    server.shutdown()
    server.server_close()
    settings.LOGIN_METHODS = original
    reload_urls()


def test_a_student_logs_in_with_spid_and_lands_on_her_mobility(
    page: Page, spid_live: str, console_errors: list[str]
) -> None:
    giulia = UserFactory.create(
        username="giulia",
        first_name="Giulia",
        last_name="Rossi",
        role=Role.STUDENT,
        fiscal_code="RSSMRA99A41F205X",
    )
    mobility = MobilityFactory.create(student=giulia)
    page.goto(f"{spid_live}/accounts/login/?next=/mobility/")
    assert_accessible(page)
    expect(page.get_by_role("heading", name="Log in with SPID")).to_be_visible()
    page.get_by_role("link", name="Lepida ID").click()
    expect(page.get_by_role("heading", name="Lepida ID: sign in (SPID level 2)")).to_be_visible()
    page.get_by_label("SPID username").fill("maria")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("One-time code").fill(OTP)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Continue to abroad").click()
    # her mobility list opens her only mobility
    expect(page).to_have_url(f"{spid_live}/mobility/{mobility.pk}/")
    expect(page.get_by_role("button", name="Log out", include_hidden=True)).to_be_attached()
    assert FederatedIdentity.objects.get(subject="RSSMRA99A41F205X").user_id == giulia.pk
    assert User.objects.filter(fiscal_code="RSSMRA99A41F205X").count() == 1
    assert console_errors == []


def test_a_level_1_log_in_is_refused_with_a_clear_page(
    page: Page, spid_live: str, console_errors: list[str]
) -> None:
    page.goto(f"{spid_live}/accounts/login/?next=/mobility/")
    page.get_by_role("link", name="Lepida ID").click()
    page.get_by_label("SPID username").fill("maria")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Continue to abroad").click()
    expect(
        page.get_by_text("You signed in at SPID level 1, but this service needs level 2")
    ).to_be_visible()
    assert_accessible(page)
    assert not User.objects.filter(fiscal_code="RSSMRA99A41F205X").exists()
