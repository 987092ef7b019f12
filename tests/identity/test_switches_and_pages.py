"""The log-in methods switched on and off (ABROAD_LOGIN_METHODS), the log-in page that offers
them, the discovery page, and who sees which SAML page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from tests.factories import PASSWORD, UserFactory
from tests.identity.conftest import ROSSI, SamlSite, signed_in
from tests.identity.idp import IdentityProvider
from tests.who_may import who_may

from abroad.identity.models import FederatedIdentity
from abroad.people.enums import Role

pytestmark = pytest.mark.integration


def test_without_saml_nothing_saml_is_routed(methods: Any, client: Client) -> None:
    methods(["local"])
    for path in ("/saml2/metadata/", "/saml2/login/", "/saml2/acs/", "/saml2/ls/"):
        assert client.get(path).status_code == 404, path
    page = client.get("/accounts/login/").content.decode()
    assert "/saml2/" not in page
    assert 'name="password"' in page


def test_the_log_in_page_offers_both_methods(saml_site: SamlSite, client: Client) -> None:
    page = client.get("/accounts/login/?next=/calls/").content.decode()
    assert "Log in with your university account" in page
    assert "/saml2/login/?next=/calls/" in page
    assert 'name="password"' in page


def test_without_local_log_in_no_password_signs_in(
    saml_site: SamlSite, methods: Any, foreign_student: Any
) -> None:
    methods(["saml"])
    client = Client()
    page = client.get("/accounts/login/").content.decode()
    assert 'name="password"' not in page
    assert "Log in with your university account" in page
    client.post("/accounts/login/", {"username": "foreign-student", "password": PASSWORD})
    assert signed_in(client) is None
    # SAML still signs people in
    assert saml_site.sign_in(client, ROSSI).status_code == 302
    assert signed_in(client) is not None


def test_the_demo_hint_stays_on_the_log_in_page(
    saml_site: SamlSite, client: Client, settings: Any
) -> None:
    settings.DEMO_LOGINS = ("demo-password", (("student", "a student"),))
    page = client.get("/accounts/login/").content.decode()
    assert "demo-password" in page
    assert "Log in with your university account" in page


@pytest.fixture
def two_idps(saml_site: SamlSite, other_idp: IdentityProvider) -> IdentityProvider:
    saml_site.settings.SAML_IDP_METADATA_FILES = [
        *saml_site.settings.SAML_IDP_METADATA_FILES,
        str(other_idp.write_metadata()),
    ]
    return other_idp


def test_several_idps_are_listed_in_the_reader_s_language(
    saml_site: SamlSite, two_idps: IdentityProvider, client: Client
) -> None:
    discovery = client.get("/saml2/login/?next=/calls/")
    assert discovery.status_code == 200
    english = discovery.content.decode()
    assert "University of Milan" in english
    assert "Politecnico di Milano" in english
    assert "idp=https%3A%2F%2Fidp.unimi.example%2Fidp%2Fshibboleth" in english
    italian = Client(headers={"accept-language": "it"}).get("/saml2/login/").content.decode()
    assert "Università degli Studi di Milano" in italian
    page = client.get("/accounts/login/").content.decode()
    assert "University of Milan" in page


def test_the_chosen_idp_signs_the_person_in(
    saml_site: SamlSite, two_idps: IdentityProvider, client: Client
) -> None:
    response = saml_site.sign_in(client, ROSSI, idp=two_idps)
    assert response.status_code == 302, response.content.decode()
    user = signed_in(client)
    assert user is not None
    assert FederatedIdentity.objects.get(user=user).issuer == two_idps.entity_id


def test_an_unknown_idp_cannot_be_chosen(saml_site: SamlSite, client: Client) -> None:
    response = client.get("/saml2/login/?idp=https://idp.stranger.example/idp")
    assert response.status_code == 403
    assert "not known here" in response.content.decode()


def test_saml_pages_for_each_persona(saml_site: SamlSite, personas: dict[str, Client]) -> None:
    for name, client in personas.items():
        metadata = client.get("/saml2/metadata/")
        assert metadata.status_code == 200, name
        assert metadata["Content-Type"].startswith("text/xml")
        assert "EntityDescriptor" in metadata.content.decode()
        start = client.get("/saml2/login/?next=/calls/")
        assert start.status_code == 302
        if name == "anonymous":
            assert start["Location"].startswith(saml_site.idp.sso_url)
        else:  # already signed in: no new log-in, just where they were going
            assert start["Location"] == "/calls/"
        assert client.get("/saml2/acs/").status_code == 405, name
        assert client.post("/saml2/acs/").status_code == 400, name
    # the IdP's log-out endpoint without a SAML message
    assert personas["anonymous"].get("/saml2/ls/").status_code == 400


def test_the_metadata_signs_requests_and_offers_encryption(
    saml_site: SamlSite, client: Client
) -> None:
    metadata = client.get("/saml2/metadata/").content.decode()
    assert 'AuthnRequestsSigned="true"' in metadata
    assert 'use="signing"' in metadata
    assert 'use="encryption"' in metadata
    assert "http://127.0.0.1:8000/saml2/acs/" in metadata
    assert "http://127.0.0.1:8000/saml2/ls/" in metadata
    assert 'entityID="http://127.0.0.1:8000/saml2/metadata/"' in metadata


def test_who_may_see_and_link_federated_identities(people: dict[str, Any]) -> None:
    admin = UserFactory.create(username="an-admin", role=Role.ADMIN)
    everyone = {**people, "admin": admin}
    offices = {"office", "school_office", "other_school_office"}  # accounts: university-wide
    assert who_may(everyone, "identity.view_federatedidentity") == {*offices, "superuser", "admin"}
    for action in ("add", "change", "delete"):
        assert who_may(everyone, f"identity.{action}_federatedidentity") == {"superuser", "admin"}


def test_the_admin_lists_links_for_the_office_only(
    saml_site: SamlSite, personas: dict[str, Client], student: Any, linked: Any
) -> None:
    linked(saml_site.idp.entity_id, "s1", user=student)
    url = "/office/admin/identity/federatedidentity/"
    assert personas["office"].get(url).status_code == 200
    assert personas["office"].get(url + "add/").status_code == 403
    for name in ("student", "promoter"):
        assert personas[name].get(url).status_code == 302, name
    assert personas["anonymous"].get(url).status_code == 302


def test_the_system_check_says_what_saml_lacks(settings: Any) -> None:
    from abroad.identity.checks import saml_configured

    settings.LOGIN_METHODS = ["local"]
    assert saml_configured() == []
    settings.LOGIN_METHODS = ["local", "saml"]
    settings.SAML_KEY_FILE = ""
    [error] = saml_configured()
    assert error.id == "identity.E002"
    assert "ABROAD_SAML_KEY_FILE" in error.msg
    settings.SAML_KEY_FILE, settings.SAML_CERT_FILE = "/k.pem", "/c.pem"
    settings.SAML_IDP_METADATA_FILES = []
    settings.SAML_IDP_METADATA_URL = (
        "https://md.idem.garr.it/metadata/idem-test-metadata-sha256.xml"
    )
    settings.SAML_IDP_METADATA_CERT = ""
    [error] = saml_configured()
    assert "unsigned metadata is refused" in error.msg


def test_the_log_in_page_and_the_refusal_speak_italian(saml_site: SamlSite) -> None:
    """Needs the Italian catalogue with /work/po/wp-saml.po merged (the lead's merge)."""
    client = Client(headers={"accept-language": "it"})
    page = client.get("/accounts/login/").content.decode()
    assert "Accedi con l'account del tuo ateneo" in page
    assert "Con una password" in page
    refused = client.post("/saml2/acs/", {"SAMLResponse": saml_site.idp.response(None, ROSSI)})
    assert "Accesso rifiutato" in refused.content.decode()
    assert "Accedi di nuovo" in refused.content.decode()


def test_a_broken_saml_configuration_leaves_the_local_log_in(
    saml_site: SamlSite, client: Client
) -> None:
    saml_site.settings.SAML_KEY_FILE = str(saml_site.folder / "missing.key")
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert 'name="password"' in page.content.decode()
    assert "Log in with your university account" not in page.content.decode()
