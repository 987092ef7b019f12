"""Forged, stale and misdirected OpenID Connect answers are refused with a clear page in the
reader's language, nobody signed in and no account created: a wrong state, an ID token signed
with another key, expired, for another audience or issuer, with another nonce, without the
claim that names the person."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from django.test import Client
from tests.factories import UserFactory
from tests.identity.conftest import OidcSite, signed_in
from tests.identity.oidc_op import rsa_key

from abroad.identity.models import FederatedIdentity
from abroad.people.models import User

pytestmark = pytest.mark.integration


def refused(client: Client, callback: str, reason: str, status: int = 403) -> str:
    accounts = User.objects.count()
    response = client.get(callback)
    assert response.status_code == status, response.content.decode()
    page = response.content.decode()
    assert "Log-in refused" in page
    assert reason in page, page
    assert signed_in(client) is None
    assert User.objects.count() == accounts
    assert not FederatedIdentity.objects.exists()
    return page


def test_a_wrong_state_is_refused(oidc_site: OidcSite, client: Client) -> None:
    callback = oidc_site.answer(client, "maria")
    forged = callback.replace("state=", "state=x")
    refused(client, forged, "does not belong to a log-in started here", status=400)


def test_an_answer_to_another_browser_s_log_in_is_refused(
    oidc_site: OidcSite, client: Client
) -> None:
    """The state is kept in the session of the browser that started the log-in."""
    callback = oidc_site.answer(client, "maria")
    refused(Client(), callback, "does not belong to a log-in started here", status=400)


def test_an_answer_is_used_once(oidc_site: OidcSite, client: Client) -> None:
    callback = oidc_site.answer(client, "maria")
    assert client.get(callback).status_code == 302
    client.logout()
    User.objects.all().delete()
    refused(client, callback, "already used", status=400)


def test_an_id_token_signed_with_another_key_is_refused(
    oidc_site: OidcSite, client: Client
) -> None:
    # the provider's key id, another key: the signature does not verify
    oidc_site.op.forge(key=rsa_key())
    refused(client, oidc_site.answer(client, "maria"), "could not be verified")


def test_an_id_token_signed_with_an_unpublished_key_is_refused(
    oidc_site: OidcSite, client: Client
) -> None:
    oidc_site.op.forge(key=rsa_key(), kid="attacker-key")
    refused(client, oidc_site.answer(client, "maria"), "could not be verified")


def test_an_expired_id_token_is_refused(oidc_site: OidcSite, client: Client) -> None:
    an_hour_ago = int(time.time()) - 3600
    oidc_site.op.forge(iat=an_hour_ago - 300, exp=an_hour_ago)
    refused(client, oidc_site.answer(client, "maria"), "has expired")


def test_an_id_token_just_within_the_clock_skew_is_accepted(
    oidc_site: OidcSite, client: Client
) -> None:
    """The control of the expiry test: expired 20 seconds ago, within the minute of skew."""
    now = int(time.time())
    oidc_site.op.forge(iat=now - 300, exp=now - 20)
    assert client.get(oidc_site.answer(client, "maria")).status_code == 302
    assert signed_in(client) is not None


def test_an_id_token_for_another_client_is_refused(oidc_site: OidcSite, client: Client) -> None:
    oidc_site.op.forge(aud="another-service")
    refused(client, oidc_site.answer(client, "maria"), "may be meant for another service")


def test_an_id_token_from_another_issuer_is_refused(oidc_site: OidcSite, client: Client) -> None:
    oidc_site.op.forge(iss="https://evil.example")
    refused(client, oidc_site.answer(client, "maria"), "may be meant for another service")


def test_an_id_token_with_another_nonce_is_refused(oidc_site: OidcSite, client: Client) -> None:
    oidc_site.op.forge(nonce="not-this-log-in")
    refused(client, oidc_site.answer(client, "maria"), "does not belong to a log-in started here")


def test_an_id_token_without_a_nonce_is_refused(oidc_site: OidcSite, client: Client) -> None:
    oidc_site.op.forge(drop=["nonce"])
    refused(client, oidc_site.answer(client, "maria"), "does not belong to a log-in started here")


def test_an_id_token_without_an_expiry_is_refused(oidc_site: OidcSite, client: Client) -> None:
    oidc_site.op.forge(drop=["exp"])
    refused(client, oidc_site.answer(client, "maria"), "was not accepted")


def test_an_answer_without_the_claim_that_names_the_person_is_refused(
    oidc_site: OidcSite, client: Client
) -> None:
    oidc_site.settings.OIDC_USERNAME_CLAIM = "eduperson_principal_name"
    refused(client, oidc_site.answer(client, "maria"), "did not send eduperson_principal_name")


def test_the_provider_s_own_refusal_is_said(oidc_site: OidcSite, client: Client) -> None:
    oidc_site.start(client)
    state = next(iter(client.session["oidc_states"]))
    refused(
        client,
        f"/oidc/callback/?error=access_denied&state={state}",
        "did not sign you in",
    )
    # and that state is spent
    assert state not in client.session["oidc_states"]


def test_a_code_the_provider_does_not_know_is_refused(oidc_site: OidcSite, client: Client) -> None:
    callback = oidc_site.answer(client, "maria")
    state = callback.split("state=")[1]
    refused(client, f"/oidc/callback/?code=made-up&state={state}", "could not be", status=502)


def test_a_local_account_with_the_same_name_is_not_taken_over(
    oidc_site: OidcSite, client: Client
) -> None:
    local = UserFactory.create(username="a1b2c3d4-rossi@127.0.0.1", email="old@example.org")
    refused(client, oidc_site.answer(client, "maria"), "is not linked to your identity provider")
    local.refresh_from_db()
    assert local.email == "old@example.org"


def test_an_unreachable_provider_is_said_and_the_local_log_in_stays(
    oidc_site: OidcSite, client: Client
) -> None:
    oidc_site.op.serve_discovery = False
    response = client.get("/oidc/login/")
    assert response.status_code == 503
    assert "could not be reached" in response.content.decode()
    page = client.get("/accounts/login/").content.decode()
    assert 'name="password"' in page


def test_refused_answers_do_not_lock_an_address_out(oidc_site: OidcSite, client: Client) -> None:
    """Password throttling (django-axes) counts wrong passwords; a refused answer is not one."""
    for _ in range(11):
        oidc_site.op.forge(aud="another-service")
        assert client.get(oidc_site.answer(client, "maria")).status_code == 403
    assert oidc_site.sign_in(client).status_code == 302
    assert signed_in(client) is not None


def test_the_refusal_speaks_italian(oidc_site: OidcSite) -> None:
    """The wordings are SAML's, already in the Italian catalogue."""
    client = Client(headers={"accept-language": "it"})
    oidc_site.op.forge(key=rsa_key())
    response = client.get(oidc_site.answer(client, "maria"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Accesso rifiutato" in page
    assert "la firma manca o è errata" in page
    assert signed_in(client) is None
    assert not User.objects.exists()


def test_the_provider_page_is_asked_in_the_reader_s_language(
    oidc_site: OidcSite, settings: Any
) -> None:
    client = Client(headers={"accept-language": "it"})
    browser = requests.Session()
    oidc_site.op.log_in(browser, "maria")
    oidc_site.op.authorize(browser, oidc_site.start(client))
    assert oidc_site.op.authorize_requests[-1]["ui_locales"] == "it"
