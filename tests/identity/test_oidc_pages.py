"""OpenID Connect switched on and off (ABROAD_LOGIN_METHODS), the log-in page that offers it
beside the other methods, who sees its pages, and the settings' and system check's word."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from django.test import Client
from tests.identity.conftest import OidcSite, SamlSite, configure_oidc, signed_in
from tests.identity.oidc_op import OpenIDProvider

pytestmark = pytest.mark.integration


def test_without_oidc_nothing_oidc_is_routed(methods: Any, client: Client) -> None:
    methods(["local"])
    for path in ("/oidc/login/", "/oidc/callback/"):
        assert client.get(path).status_code == 404, path
    page = client.get("/accounts/login/").content.decode()
    assert "/oidc/" not in page
    assert "Sign in with" not in page


def test_the_log_in_page_offers_the_provider_beside_the_password(
    oidc_site: OidcSite, client: Client
) -> None:
    page = client.get("/accounts/login/?next=/calls/").content.decode()
    assert "Sign in with MyAcademicID" in page
    assert 'href="/oidc/login/?next=/calls/"' in page
    assert "With your university account" in page
    assert 'name="password"' in page
    assert "With a password" in page


def test_the_log_in_page_offers_saml_and_oidc_together(
    saml_site: SamlSite, oidc_op: OpenIDProvider, settings: Any, client: Client
) -> None:
    configure_oidc(settings, oidc_op, ["local", "saml", "oidc"])
    page = client.get("/accounts/login/").content.decode()
    assert "Log in with your university account" in page
    assert "Sign in with MyAcademicID" in page
    assert 'name="password"' in page
    # both sign people in; each log-out goes the way its log-in came
    from tests.identity.conftest import ROSSI

    assert saml_site.sign_in(client, ROSSI).status_code == 302
    logout = client.post("/accounts/logout/")
    assert "/idp/profile/SAML2/Redirect/SLO" in logout.content.decode()
    site = OidcSite(op=oidc_op, settings=settings)
    # another person (Maria's student number is already held by her SAML account)
    oidc_op.accounts["maria"].update(sub="luca", schac_personal_unique_code="654321")
    other = Client()
    assert site.sign_in(other).status_code == 302
    logout = other.post("/accounts/logout/")
    assert f"{oidc_op.issuer}/logout?" in logout.content.decode()


def test_without_local_log_in_only_the_provider_signs_in(
    oidc_site: OidcSite, methods: Any, foreign_student: Any
) -> None:
    methods(["oidc"])
    client = Client()
    page = client.get("/accounts/login/").content.decode()
    assert 'name="password"' not in page
    assert "Sign in with MyAcademicID" in page
    assert oidc_site.sign_in(client).status_code == 302
    assert signed_in(client) is not None


def test_the_provider_is_named_by_its_host_when_no_name_is_set(
    oidc_site: OidcSite, client: Client
) -> None:
    oidc_site.settings.OIDC_PROVIDER_NAME = ""
    assert "Sign in with 127.0.0.1" in client.get("/accounts/login/").content.decode()


def test_oidc_pages_for_each_persona(oidc_site: OidcSite, personas: dict[str, Client]) -> None:
    for name, client in personas.items():
        start = client.get("/oidc/login/?next=/calls/")
        assert start.status_code == 302, name
        if name == "anonymous":
            assert start["Location"].startswith(f"{oidc_site.op.issuer}/authorize?")
        else:  # already signed in: no new log-in, just where they were going
            assert start["Location"] == "/calls/", name
        # a callback nobody started is refused, and changes nothing in the session (a
        # link on another site cannot sign anybody out)
        before = signed_in(client)
        callback = client.get("/oidc/callback/?code=x&state=y")
        assert callback.status_code == 400, name
        assert "does not belong to a log-in started here" in callback.content.decode()
        assert signed_in(client) == before, name
        assert client.get("/oidc/callback/?error=access_denied&state=y").status_code == 403
        assert signed_in(client) == before, name
        assert client.post("/oidc/callback/").status_code == 405, name


def test_a_foreign_next_is_not_followed(oidc_site: OidcSite, client: Client) -> None:
    response = oidc_site.sign_in(client, next_url="https://evil.example/")
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_the_system_check_says_what_oidc_lacks(settings: Any) -> None:
    from abroad.identity.checks import oidc_configured

    settings.LOGIN_METHODS = ["local"]
    assert oidc_configured() == []
    settings.LOGIN_METHODS = ["local", "oidc"]
    settings.OIDC_RP_CLIENT_ID = ""
    [error] = oidc_configured()
    assert error.id == "identity.E004"
    assert "ABROAD_OIDC_CLIENT_ID" in error.msg
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = "abroad", "secret"
    settings.OIDC_ISSUER = ""
    [error] = oidc_configured()
    assert "ABROAD_OIDC_ISSUER" in error.msg
    settings.OIDC_ISSUER = "https://proxy.myacademicid.org"
    assert oidc_configured() == []


@pytest.mark.parametrize(
    ("variables", "problem"),
    [
        ({"ABROAD_LOGIN_METHODS": "local,oidc"}, ""),
        ({"ABROAD_LOGIN_METHODS": "saml,oidc"}, ""),
        ({"ABROAD_LOGIN_METHODS": "local,kerberos"}, "kerberos"),
        ({"ABROAD_OIDC_SIGNING_ALGORITHM": "HS256"}, "shared secret"),
        ({"ABROAD_OIDC_AFFILIATION_ROLES": "staff=office"}, "only student or promoter"),
    ],
)
def test_the_settings_accept_oidc_and_refuse_a_weak_algorithm(
    variables: dict[str, str], problem: str
) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ABROAD_")}
    result = subprocess.run(
        [sys.executable, "-c", "import abroad.settings"],
        env={**environment, **variables},
        capture_output=True,
        text=True,
        check=False,
    )
    if problem:
        assert result.returncode != 0
        assert problem in result.stderr
    else:
        assert result.returncode == 0, result.stderr


def test_the_log_in_page_speaks_italian(oidc_site: OidcSite) -> None:
    """Needs the Italian catalogue with /work/po/wp-oidc.po merged (the lead's merge)."""
    page = Client(headers={"accept-language": "it"}).get("/accounts/login/").content.decode()
    assert "Accedi con MyAcademicID" in page
