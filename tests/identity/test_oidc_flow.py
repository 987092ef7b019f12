"""OpenID Connect log-in end to end against a real provider (tests/identity/oidc_op.py): the
Django test client is abroad's side, a requests session the browser at the provider."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client
from tests.factories import PASSWORD
from tests.identity.conftest import ROSSI_CLAIMS, OidcSite, signed_in
from tests.identity.oidc_op import OpenIDProvider

from abroad.identity.models import FederatedIdentity, Protocol
from abroad.people.enums import Role
from abroad.people.models import User

pytestmark = pytest.mark.integration

ROSSI_USERNAME = "a1b2c3d4-rossi@127.0.0.1"


def test_a_student_signs_in_and_is_created_with_her_claims(
    oidc_site: OidcSite, client: Client
) -> None:
    location = oidc_site.start(client, "/mobility/")
    request = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
    # the authorization code flow, with a nonce, a PKCE challenge and the reader's language
    assert request["response_type"] == "code"
    assert request["client_id"] == oidc_site.op.client_id
    assert request["redirect_uri"] == "http://testserver/oidc/callback/"
    assert set(request["scope"].split()) == {"openid", "profile", "email"}
    assert request["code_challenge_method"] == "S256"
    assert request["nonce"]
    assert request["state"]
    assert request["ui_locales"] == "en"
    browser = requests.Session()
    oidc_site.op.log_in(browser, "maria")
    back = oidc_site.op.authorize(browser, location)
    response = client.get(back.removeprefix("http://testserver"))
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == "/mobility/"
    user = signed_in(client)
    assert user is not None
    assert (user.username, user.email, user.first_name, user.last_name) == (
        ROSSI_USERNAME,
        "maria.rossi@mail.polimi.example",
        "Maria",
        "Rossi",
    )
    assert user.student_number == "123456"
    assert user.role == Role.STUDENT
    assert not user.has_usable_password()
    link = FederatedIdentity.objects.get(user=user)
    assert (link.issuer, link.subject, link.protocol) == (
        oidc_site.op.issuer,
        ROSSI_USERNAME,
        Protocol.OIDC,
    )
    # her mobility page is hers to see
    assert client.get("/mobility/").status_code == 200
    # the code was redeemed with the client's secret (HTTP Basic) and the PKCE verifier
    [redeemed] = oidc_site.op.token_requests
    assert "client_secret" not in redeemed
    assert redeemed["code_verifier"]


def test_a_new_user_without_a_destination_lands_on_the_home_page(
    oidc_site: OidcSite, client: Client
) -> None:
    response = oidc_site.sign_in(client)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_second_log_in_updates_a_changed_e_mail_and_keeps_the_account(
    oidc_site: OidcSite, client: Client
) -> None:
    oidc_site.sign_in(client)
    first = signed_in(client)
    assert first is not None
    oidc_site.op.accounts["maria"]["email"] = "maria.rossi@alumni.polimi.example"
    again = Client()
    assert oidc_site.sign_in(again).status_code == 302
    user = signed_in(again)
    assert user is not None
    assert user.pk == first.pk
    assert user.email == "maria.rossi@alumni.polimi.example"
    assert User.objects.filter(username__startswith="a1b2c3d4").count() == 1


def test_two_providers_with_the_same_sub_are_two_accounts(
    oidc_site: OidcSite, client: Client, settings: Any
) -> None:
    oidc_site.sign_in(client)
    other = OpenIDProvider(accounts={"maria": dict(ROSSI_CLAIMS)}, host="localhost").start()
    try:
        from tests.identity.conftest import configure_oidc

        configure_oidc(settings, other, ["local", "oidc"])
        second = Client()
        site = OidcSite(op=other, settings=settings)
        # the same student number cannot be held twice: the second provider's account
        # gets none here, and the log-in goes through
        other.accounts["maria"].pop("schac_personal_unique_code")
        assert site.sign_in(second).status_code == 302, "second provider"
    finally:
        other.stop()
    usernames = set(User.objects.filter(username__startswith="a1b2c3d4").values_list("username"))
    assert usernames == {(ROSSI_USERNAME,), ("a1b2c3d4-rossi@localhost",)}


def test_a_faculty_member_starts_as_promoter_never_office(
    oidc_site: OidcSite, client: Client
) -> None:
    oidc_site.op.accounts["maria"]["eduperson_affiliation"] = ["faculty@polimi.example"]
    oidc_site.sign_in(client)
    user = signed_in(client)
    assert user is not None
    assert user.role == Role.PROMOTER
    assert not user.is_staff


def test_the_claims_map_and_the_username_claim_follow_the_settings(
    oidc_site: OidcSite, client: Client
) -> None:
    oidc_site.op.accounts["maria"]["preferred_username"] = "mrossi"
    oidc_site.op.accounts["maria"]["matricola"] = "987654"
    oidc_site.settings.OIDC_USERNAME_CLAIM = "preferred_username"
    oidc_site.settings.OIDC_USERNAME_SCOPE = "polimi.example"
    oidc_site.settings.OIDC_CLAIM_MAP = {
        **oidc_site.settings.OIDC_CLAIM_MAP,
        "student_number": "matricola",
    }
    oidc_site.sign_in(client)
    user = signed_in(client)
    assert user is not None
    assert (user.username, user.student_number) == ("mrossi@polimi.example", "987654")


def test_an_account_the_office_linked_signs_in(
    oidc_site: OidcSite, client: Client, linked: Any
) -> None:
    local = linked(oidc_site.op.issuer, ROSSI_USERNAME, protocol=Protocol.OIDC)
    oidc_site.sign_in(client)
    assert signed_in(client) == local


def test_logout_ends_both_sessions(oidc_site: OidcSite, client: Client) -> None:
    browser = requests.Session()
    oidc_site.op.log_in(browser, "maria")
    back = oidc_site.op.authorize(browser, oidc_site.start(client))
    client.get(back.removeprefix("http://testserver"))
    assert signed_in(client) is not None
    assert oidc_site.op.signed_in(browser)
    page = client.post("/accounts/logout/")
    # abroad's session ends at once; a page sends the browser on to the provider's
    # end_session_endpoint with the ID token as the hint
    assert page.status_code == 200
    assert signed_in(client) is None
    link = re.search(r'id="continue-logout" href="([^"]+)"', page.content.decode())
    assert link is not None
    location = html.unescape(link[1])
    assert location.startswith(f"{oidc_site.op.issuer}/logout?")
    assert f'content="0;url={location}"' in html.unescape(page.content.decode())
    query = parse_qs(urlsplit(location).query)
    assert query["post_logout_redirect_uri"] == ["http://127.0.0.1:8000/"]
    ended = browser.get(location, allow_redirects=False)
    assert ended.status_code == 302
    assert ended.headers["Location"] == "http://127.0.0.1:8000/"
    assert oidc_site.op.ended == [ROSSI_CLAIMS["sub"]]
    assert not oidc_site.op.signed_in(browser)


def test_without_an_end_session_endpoint_logout_is_local(
    oidc_site: OidcSite, client: Client
) -> None:
    oidc_site.op.advertise_end_session = False
    oidc_site.sign_in(client)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in(client) is None


def test_a_local_session_logs_out_locally_while_oidc_is_on(
    oidc_site: OidcSite, client: Client, foreign_student: User
) -> None:
    client.post("/accounts/login/", {"username": "foreign-student", "password": PASSWORD})
    assert signed_in(client) == foreign_student
    response = client.post("/accounts/logout/")
    assert response.status_code in (200, 302)
    assert signed_in(client) is None
    assert client.get("/accounts/logout/").status_code == 405


def test_explicit_endpoints_need_no_discovery(oidc_site: OidcSite, client: Client) -> None:
    op = oidc_site.op
    settings = oidc_site.settings
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{op.issuer}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{op.issuer}/token"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{op.issuer}/jwks"
    settings.OIDC_OP_USER_ENDPOINT = ""
    # the provider's discovery document is gone: the endpoints above are enough
    op.serve_discovery = False
    response = oidc_site.sign_in(client)
    assert response.status_code == 302, response.content.decode()
    user = signed_in(client)
    assert user is not None
    assert user.email == "maria.rossi@mail.polimi.example"  # from the ID token alone


def test_a_disabled_account_does_not_sign_in_and_its_session_ends(
    oidc_site: OidcSite, client: Client
) -> None:
    oidc_site.sign_in(client)
    assert signed_in(client) is not None
    User.objects.filter(username=ROSSI_USERNAME).update(is_active=False)
    # the open session counts for nobody from its next request on
    response = client.get("/mobility/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    other = Client()
    response = oidc_site.sign_in(other)
    assert response.status_code == 403
    assert "disabled" in response.content.decode()
    assert signed_in(other) is None
