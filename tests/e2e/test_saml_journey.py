"""A student logs in through her university's identity provider: a real pysaml2 IdP behind a
tiny log-in page on its own HTTP server, abroad live, Chromium in between; and logs out of
both."""

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

from abroad.people.models import User
from tests.e2e.conftest import assert_accessible
from tests.identity.conftest import reload_urls, switch_on
from tests.identity.idp import IdentityProvider, keypair

pytestmark = pytest.mark.e2e

IDP_PASSWORD = "idp-password"
ACCOUNTS = {
    "maria.rossi": {
        "eduPersonPrincipalName": ["maria.rossi@polimi.example"],
        "mail": ["maria.rossi@mail.polimi.example"],
        "givenName": ["Maria"],
        "sn": ["Rossi"],
        "schacPersonalUniqueCode": ["urn:schac:personalUniqueCode:it:polimi.it:studente:123456"],
        "eduPersonAffiliation": ["student"],
    }
}


def _page(title: str, body: str) -> bytes:
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"</head><body><main><h1>{title}</h1>{body}</main></body></html>"
    ).encode()


class IdPHandler(BaseHTTPRequestHandler):
    idp: IdentityProvider

    def _send(self, status: int, body: bytes = b"", location: str = "") -> None:
        self.send_response(status)
        if location:
            self.send_header("Location", location)
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
                "<label>University username <input name='username'></label>"
                "<label>University password <input type='password' name='password'></label>"
                "<button>Sign in</button></form>"
            )
            self._send(200, _page("Politecnico di Milano: sign in", form))
        elif self.path.startswith("/idp/profile/SAML2/Redirect/SLO"):
            _, back = self.idp.logout(url)
            self._send(302, location=back)
        else:  # the browser's favicon.ico
            self._send(204)

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        fields = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if fields.get("password") != IDP_PASSWORD or fields.get("username") not in ACCOUNTS:
            self._send(200, _page("Wrong password", ""))
            return
        answer = self.idp.response(fields["request"], ACCOUNTS[fields["username"]])
        form = (
            f"<form method='post' action='{self.idp.sp_base}/saml2/acs/'>"
            f"<input type='hidden' name='SAMLResponse' value='{answer}'>"
            f"<input type='hidden' name='RelayState' value='{html.escape(fields['relay'])}'>"
            "<button>Continue to abroad</button></form>"
        )
        self._send(200, _page("Signed in at Politecnico di Milano", form))

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def saml_live(
    live_server: Any, transactional_db: None, settings: Any, tmp_path: Path
) -> Iterator[str]:
    """abroad live with SAML on, trusting an IdP served on its own port of the same host: the
    IdP's answer comes back as a POST from another site, and over plain HTTP the cookie
    keeping the pending request is SameSite=Lax, sent only within the site (in production,
    over HTTPS, it is SameSite=None)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), IdPHandler)
    idp = IdentityProvider(
        tmp_path, sp_base=live_server.url, sso_base=f"http://localhost:{server.server_port}"
    )
    IdPHandler.idp = idp
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    original = list(settings.LOGIN_METHODS)
    sp_key, sp_cert = keypair(tmp_path, "abroad-sp")
    settings.SITE_URL = live_server.url
    settings.SAML_ENTITY_ID = f"{live_server.url}/saml2/metadata/"
    settings.SAML_KEY_FILE, settings.SAML_CERT_FILE = str(sp_key), str(sp_cert)
    settings.SAML_IDP_METADATA_FILES = [str(idp.write_metadata())]
    settings.SAML_IDP_METADATA_URL = ""
    switch_on(settings, ["local", "saml"])
    idp.trust(Client().get("/saml2/metadata/").content.decode())
    yield str(live_server.url)
    server.shutdown()
    server.server_close()
    settings.LOGIN_METHODS = original
    reload_urls()


def test_a_student_logs_in_with_her_university_account_and_out_of_both(
    page: Page, saml_live: str, console_errors: list[str]
) -> None:
    page.goto(f"{saml_live}/accounts/login/?next=/calls/")
    assert_accessible(page)
    page.get_by_role("link", name="Log in with your university account").click()
    expect(page.get_by_role("heading", name="Politecnico di Milano: sign in")).to_be_visible()
    page.get_by_label("University username").fill("maria.rossi")
    page.get_by_label("University password").fill(IDP_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Continue to abroad").click()
    expect(page).to_have_url(f"{saml_live}/calls/")
    log_out = page.get_by_role("button", name="Log out", include_hidden=True)
    expect(log_out).to_be_attached()
    maria = User.objects.get(username="maria.rossi@polimi.example")
    assert maria.student_number == "123456"
    assert maria.email == "maria.rossi@mail.polimi.example"
    assert console_errors == []

    # Log out: abroad's session ends, the IdP is asked to end its own and sends her back.
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():
        menu.click()
    log_out.click()
    expect(page).to_have_url(f"{saml_live}/")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
