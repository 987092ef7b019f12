"""SPID and CIE log-in end to end against a real pysaml2 identity provider speaking SPID
(tests/identity/spid_site.py): linked by fiscal code, at the level asked, refused otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from tests.factories import UserFactory
from tests.identity.conftest import signed_in
from tests.identity.spid_site import ROSSI_SPID, SpidSite, spid_site
from tests.mobility.factories import MobilityFactory

from abroad.identity.models import FederatedIdentity, Protocol
from abroad.people.enums import Role
from abroad.people.models import User

pytestmark = pytest.mark.integration


@pytest.fixture
def spid(settings: Any, tmp_path: Path, db: None) -> Iterator[SpidSite]:
    yield from spid_site(settings, tmp_path, "spid")


@pytest.fixture
def cie(settings: Any, tmp_path: Path, db: None) -> Iterator[SpidSite]:
    yield from spid_site(settings, tmp_path, "cie")


@pytest.fixture
def giulia(db: None) -> User:
    """A student whose record (fiscal code, matricola) the university already holds."""
    user: User = UserFactory.create(
        username="giulia",
        first_name="Giulia",
        last_name="Rossi",
        role=Role.STUDENT,
        student_number="987654",
        fiscal_code="RSSMRA99A41F205X",
    )
    MobilityFactory.create(student=user)
    return user


@pytest.mark.parametrize("profile", ["spid", "cie"])
def test_a_student_is_linked_by_fiscal_code_and_lands_on_her_mobility_page(
    settings: Any, tmp_path: Path, giulia: User, profile: str
) -> None:
    site = next(spid_site(settings, tmp_path, profile))
    client = Client()
    response = site.sign_in(client, ROSSI_SPID)
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == "/mobility/"
    assert signed_in(client) == giulia
    link = FederatedIdentity.objects.get(user=giulia)
    assert (link.issuer, link.subject, link.protocol) == (
        site.idp.entity_id,
        "RSSMRA99A41F205X",
        Protocol.SPID if profile == "spid" else Protocol.CIE,
    )
    giulia.refresh_from_db()
    # her record keeps its matricola; her name is the one SPID vouches for
    assert (giulia.student_number, giulia.first_name) == ("987654", "Maria")
    page = client.get("/mobility/", follow=True)
    assert page.status_code == 200
    assert User.objects.filter(fiscal_code="RSSMRA99A41F205X").count() == 1


def test_the_authn_request_is_spid_s(spid: SpidSite, client: Client) -> None:
    start = spid.start(client)
    request = spid.idp.receive(start["Location"])
    assert request.signed
    assert request.issuer == "http://127.0.0.1:8000/spid/metadata/"
    from urllib.parse import parse_qs, urlsplit

    from saml2.pack import http_redirect_message  # noqa: F401
    from saml2.s_utils import decode_base64_and_inflate

    query = parse_qs(urlsplit(start["Location"]).query)
    xml = decode_base64_and_inflate(query["SAMLRequest"][0]).decode()
    assert 'ForceAuthn="true"' in xml
    assert "https://www.spid.gov.it/SpidL2" in xml
    assert 'Comparison="minimum"' in xml
    assert 'Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient"' in xml
    assert 'NameQualifier="http://127.0.0.1:8000/spid/metadata/"' in xml
    assert 'AttributeConsumingServiceIndex="0"' in xml
    assert query["SigAlg"] == ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"]


def test_the_level_is_configurable(spid: SpidSite, client: Client) -> None:
    spid.settings.SPID_LEVEL = 3
    start = spid.start(client)
    from urllib.parse import parse_qs, urlsplit

    from saml2.s_utils import decode_base64_and_inflate

    xml = decode_base64_and_inflate(
        parse_qs(urlsplit(start["Location"]).query)["SAMLRequest"][0]
    ).decode()
    assert "https://www.spid.gov.it/SpidL3" in xml


def test_a_new_person_gets_an_account_named_by_her_fiscal_code(
    spid: SpidSite, client: Client
) -> None:
    response = spid.sign_in(client, ROSSI_SPID)
    assert response.status_code == 302, response.content.decode()
    user = signed_in(client)
    assert user is not None
    assert (user.username, user.fiscal_code, user.role) == (
        "rssmra99a41f205x",
        "RSSMRA99A41F205X",
        Role.STUDENT,
    )
    assert not user.has_usable_password()
    # a second log-in is the same account
    spid.sign_in(Client(), ROSSI_SPID)
    assert User.objects.filter(fiscal_code="RSSMRA99A41F205X").count() == 1


@pytest.mark.parametrize("profile", ["spid", "cie"])
def test_a_lower_level_than_required_is_refused(
    settings: Any, tmp_path: Path, giulia: User, profile: str
) -> None:
    site = next(spid_site(settings, tmp_path, profile))
    client = Client()
    response = site.sign_in(client, ROSSI_SPID, level=1)
    assert response.status_code == 403
    text = response.content.decode()
    assert "You signed in at SPID level 1, but this service needs level 2" in text
    assert signed_in(client) is None
    assert not FederatedIdentity.objects.exists()


def test_an_assertion_without_a_spid_level_is_refused(spid: SpidSite, giulia: User) -> None:
    client = Client()
    response = spid.sign_in(
        client,
        ROSSI_SPID,
        class_ref="urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
    )
    assert response.status_code == 403
    assert "did not say at which SPID level" in response.content.decode()
    assert signed_in(client) is None


def test_the_refusal_is_in_italian(spid: SpidSite, giulia: User) -> None:
    """Checked after the lead merges the translations (docs: PO file wp-spid.po)."""
    client = Client(headers={"accept-language": "it"})
    client.cookies["django_language"] = "it"
    response = spid.sign_in(client, ROSSI_SPID, level=1)
    assert response.status_code == 403
    text = response.content.decode()
    if "You signed in at SPID level" in text:
        pytest.xfail("the Italian catalogue is compiled by the lead at merge")
    assert "SPID di livello 1" in text


@pytest.mark.parametrize("profile", ["spid", "cie"])
def test_a_missing_fiscal_number_is_refused(
    settings: Any, tmp_path: Path, giulia: User, profile: str
) -> None:
    site = next(spid_site(settings, tmp_path, profile))
    client = Client()
    without = {k: v for k, v in ROSSI_SPID.items() if k != "fiscalNumber"}
    before = User.objects.count()
    response = site.sign_in(client, without)
    assert response.status_code == 403
    assert "did not send your fiscal code" in response.content.decode()
    assert signed_in(client) is None
    assert User.objects.count() == before


def test_an_account_of_the_same_name_without_the_fiscal_code_is_not_taken_over(
    spid: SpidSite, client: Client
) -> None:
    UserFactory.create(username="rssmra99a41f205x")
    response = spid.sign_in(client, ROSSI_SPID)
    assert response.status_code == 403
    assert "does not hold your" in response.content.decode()
    assert signed_in(client) is None


def test_the_cie_metadata_is_its_own(cie: SpidSite) -> None:
    metadata = cie.sp_metadata()
    assert 'entityID="http://127.0.0.1:8000/cie/metadata/"' in metadata
    assert "https://www.cartaidentita.interno.gov.it/saml-extensions" in metadata
    assert 'Name="email"' not in metadata


def test_the_log_in_page_offers_spid_with_its_identity_providers(spid: SpidSite) -> None:
    page = Client().get("/accounts/login/?next=/mobility/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Log in with SPID" in text
    assert "Lepida ID" in text
    assert "/spid/login/?next=/mobility/&amp;idp=https%3A%2F%2Fid.lepida.example" in text
    # the password form stays beside it
    assert 'name="password"' in text


def test_the_log_in_page_offers_cie(cie: SpidSite) -> None:
    text = Client().get("/accounts/login/").content.decode()
    assert "Log in with CIE (electronic identity card)" in text
    assert "/cie/login/?idp=https%3A%2F%2Fidserver.cie.example" in text
    assert "Log in with SPID" not in text


def test_without_spid_nothing_is_routed_under_spid(client: Client, db: None) -> None:
    assert client.get("/spid/metadata/").status_code == 404
    assert client.get("/cie/login/").status_code == 404
    assert "SPID" not in client.get("/accounts/login/").content.decode()


def test_the_spid_registry_is_fetched_checked_and_offered(
    spid: SpidSite, tmp_path: Path, settings: Any
) -> None:
    """AgID's registry of SPID identity providers, from a URL, used only signed by the
    registry's certificate (the same check as a SAML federation's aggregate)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tests.identity.idp import keypair, signed_aggregate
    from tests.identity.spid_site import SpidIdentityProvider

    folder = tmp_path / "agid"
    folder.mkdir()
    key, cert = keypair(folder, "agid-registry")
    poste = SpidIdentityProvider(
        folder,
        entity_id="https://posteid.poste.example",
        names={"en": "Poste ID", "it": "Poste ID"},
    )
    published = {"document": signed_aggregate([spid.idp, poste], key, cert)}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(published["document"])

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.SPID_IDP_METADATA_FILES = []
        settings.SPID_IDP_METADATA_URL = f"http://127.0.0.1:{server.server_port}/idps.xml"
        settings.SPID_IDP_METADATA_CERT = str(cert)
        text = Client().get("/accounts/login/").content.decode()
        assert "Poste ID" in text
        assert "Lepida ID" in text
        # signed by another key: refused (and no copy kept yet, so no SPID provider at all)
        settings.DATA_DIR = str(tmp_path / "other-data")
        other_key, _ = keypair(folder, "impostor")
        published["document"] = signed_aggregate([poste], other_key, cert)
        settings.SPID_IDP_METADATA_URL += "?again"
        assert "Poste ID" not in Client().get("/accounts/login/").content.decode()
    finally:
        server.shutdown()
        server.server_close()


def test_the_start_check_says_what_spid_lacks(spid: SpidSite) -> None:
    from abroad.identity.checks import spid_configured

    assert spid_configured() == []
    spid.settings.SPID_IPA_CODE = ""
    spid.settings.SPID_CONTACT_EMAIL = ""
    spid.settings.SPID_IDP_METADATA_FILES = []
    [error] = spid_configured()
    assert error.id == "identity.E006"
    assert "ABROAD_SPID_IDP_METADATA_FILES" in error.msg


def test_the_metadata_is_public_and_signed(spid: SpidSite, student: User, office: User) -> None:
    """The metadata is for identity providers and AgID: anybody may read it, the same."""
    anonymous = Client().get("/spid/metadata/")
    assert anonymous.status_code == 200
    assert anonymous["Content-Type"] == "application/samlmetadata+xml"
    assert b"<ds:SignatureValue>" in anonymous.content
    for user in (student, office):
        client = Client()
        client.force_login(user)
        assert client.get("/spid/metadata/").content == anonymous.content


def test_a_get_on_the_acs_signs_nobody_in(spid: SpidSite, client: Client) -> None:
    response = client.get("/spid/acs/")
    assert response.status_code in (400, 403, 405)
    assert signed_in(client) is None


def test_a_fiscal_code_typed_in_lower_case_still_links(spid: SpidSite, client: Client) -> None:
    giulia = UserFactory.create(username="giulia", fiscal_code="rssmra99a41f205x")
    response = spid.sign_in(client, ROSSI_SPID)
    assert response.status_code == 302, response.content.decode()
    assert signed_in(client) == giulia


def test_single_logout_ends_the_spid_session_at_both_ends(spid: SpidSite, client: Client) -> None:
    import html
    import re

    spid.sign_in(client, ROSSI_SPID)
    assert signed_in(client) is not None
    start = client.post("/accounts/logout/")
    assert start.status_code == 200
    assert signed_in(client) is None
    link = re.search(r'id="continue-logout" href="([^"]+)"', start.content.decode())
    assert link is not None
    name_id, back = spid.idp.logout(html.unescape(link[1]))
    assert name_id == "_transient-4f2a9c"
    done = client.get(back.replace("http://127.0.0.1:8000", ""))
    assert done.status_code == 302
    assert signed_in(client) is None


def test_a_local_session_logs_out_locally_while_spid_is_on(
    spid: SpidSite, client: Client, student: User
) -> None:
    client.force_login(student)
    response = client.post("/accounts/logout/")
    assert response.status_code in (200, 302)
    assert signed_in(client) is None


def test_beside_saml_a_saml_session_still_logs_out_at_its_own_idp(
    saml_site: Any, settings: Any, tmp_path: Path, client: Client
) -> None:
    import html
    import re

    from tests.identity.conftest import ROSSI
    from tests.identity.spid_site import organisation, switch_on

    organisation(settings, tmp_path)
    settings.SPID_IDP_METADATA_FILES = list(settings.SAML_IDP_METADATA_FILES)
    switch_on(settings, ["local", "saml", "spid"])
    saml_site.sign_in(client, ROSSI)
    assert signed_in(client) is not None
    start = client.post("/accounts/logout/")
    assert signed_in(client) is None
    link = re.search(r'id="continue-logout" href="([^"]+)"', start.content.decode())
    assert link is not None
    name_id, _ = saml_site.idp.logout(html.unescape(link[1]))
    assert name_id == "persistent-id-1234"
