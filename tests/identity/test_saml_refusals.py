"""Forged, stale and misdirected answers are refused with a clear page, nobody signed in and
no account created; an identity provider never makes anybody office or admin, and never takes
over an account abroad did not create for it."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from django.test import Client
from tests.factories import UserFactory
from tests.identity.conftest import ROSSI, SamlSite, signed_in

from abroad.identity.models import FederatedIdentity
from abroad.people.enums import Role
from abroad.people.models import User

pytestmark = pytest.mark.integration

Started = Callable[[Client], str]
Linked = Callable[..., User]


def refused(client: Client, answer: str, reason: str) -> None:
    accounts = User.objects.count()
    response = client.post("/saml2/acs/", {"SAMLResponse": answer, "RelayState": "/"})
    assert response.status_code in (400, 403), response.status_code
    page = response.content.decode()
    assert "Log-in refused" in page
    assert reason in page, page
    assert signed_in(client) is None
    assert User.objects.count() == accounts


def test_a_tampered_response_is_refused(
    saml_site: SamlSite, started: Started, client: Client
) -> None:
    answer = saml_site.idp.response(started(client), ROSSI)
    xml = base64.b64decode(answer).decode()
    forged = xml.replace("Rossi", "Verdi")
    assert forged != xml
    refused(client, base64.b64encode(forged.encode()).decode(), "could not be verified")


def test_an_unsigned_response_is_refused(
    saml_site: SamlSite, started: Started, client: Client
) -> None:
    answer = saml_site.idp.response(started(client), ROSSI, sign=False)
    refused(client, answer, "could not be verified")


def test_a_sha1_signature_is_refused(saml_site: SamlSite, started: Started, client: Client) -> None:
    answer = saml_site.idp.response(started(client), ROSSI, sha1=True)
    refused(client, answer, "signed its answer with SHA-1")


def test_a_sha1_signature_inside_an_encrypted_assertion_is_refused(
    saml_site: SamlSite, started: Started, client: Client
) -> None:
    answer = saml_site.idp.response(started(client), ROSSI, sha1=True, encrypt=True)
    refused(client, answer, "signed its answer with SHA-1")


def test_a_response_signed_by_an_unknown_idp_is_refused(
    saml_site: SamlSite, started: Started, client: Client
) -> None:
    stranger = saml_site.trusting_idp("https://idp.stranger.example/idp")
    answer = stranger.response(started(client), ROSSI)
    refused(client, answer, "not known here")


def test_a_response_for_another_service_is_refused(
    saml_site: SamlSite, started: Started, client: Client
) -> None:
    other = "https://other-sp.example/metadata"
    ours = saml_site.sp_metadata()
    saml_site.idp.trust(ours.replace("http://127.0.0.1:8000/saml2/metadata/", other))
    answer = saml_site.idp.response(started(client), ROSSI, audience=other)
    refused(client, answer, "was not accepted")


def test_an_expired_response_is_refused(
    saml_site: SamlSite, started: Started, client: Client
) -> None:
    # made for this very request, but an hour ago: its five minutes are long over
    answer = saml_site.idp.response(started(client), ROSSI, minutes_ago=60)
    refused(client, answer, "has expired")


def test_a_response_made_just_now_is_still_good(
    saml_site: SamlSite, started: Started, client: Client
) -> None:
    """The control of the expiry test: the same shifted and re-signed response, made one
    minute ago, is accepted."""
    answer = saml_site.idp.response(started(client), ROSSI, minutes_ago=1)
    assert client.post("/saml2/acs/", {"SAMLResponse": answer}).status_code == 302
    assert signed_in(client) is not None


def test_a_replayed_response_is_refused(
    saml_site: SamlSite, started: Started, client: Client
) -> None:
    answer = saml_site.idp.response(started(client), ROSSI)
    assert client.post("/saml2/acs/", {"SAMLResponse": answer}).status_code == 302
    client.logout()
    refused(client, answer, "already used")
    refused(Client(), answer, "already used")


def test_an_unsolicited_response_is_refused(
    saml_site: SamlSite, started: Started, client: Client
) -> None:
    started(client)
    refused(client, saml_site.idp.response("id-never-asked", ROSSI), "already used")
    refused(Client(), saml_site.idp.response(None, ROSSI), "already used")


def test_an_answer_without_the_name_attribute_is_refused(
    saml_site: SamlSite, started: Started, client: Client
) -> None:
    nameless = {k: v for k, v in ROSSI.items() if k != "eduPersonPrincipalName"}
    answer = saml_site.idp.response(started(client), nameless)
    refused(client, answer, "did not send eduPersonPrincipalName")


def test_a_local_account_with_the_same_name_is_not_taken_over(
    saml_site: SamlSite, started: Started, client: Client
) -> None:
    local = UserFactory.create(username="maria.rossi@polimi.example", email="old@example.org")
    answer = saml_site.idp.response(started(client), ROSSI)
    refused(client, answer, "is not linked to your identity provider")
    local.refresh_from_db()
    assert local.email == "old@example.org"
    assert local.has_usable_password()
    assert not FederatedIdentity.objects.exists()


def test_a_student_number_held_by_another_account_is_refused(
    saml_site: SamlSite, started: Started, client: Client
) -> None:
    UserFactory.create(username="local-rossi", student_number="123456")
    answer = saml_site.idp.response(started(client), ROSSI)
    refused(client, answer, "student number 123456")


def test_an_account_the_office_linked_signs_in(
    saml_site: SamlSite, client: Client, linked: Linked
) -> None:
    local = linked(saml_site.idp.entity_id, "maria.rossi@polimi.example", student_number="123456")
    assert saml_site.sign_in(client, ROSSI).status_code == 302
    assert signed_in(client) == local


def test_a_disabled_account_does_not_sign_in(
    saml_site: SamlSite, started: Started, client: Client
) -> None:
    saml_site.sign_in(client, ROSSI)
    User.objects.filter(username="maria.rossi@polimi.example").update(is_active=False)
    other = Client()
    answer = saml_site.idp.response(started(other), ROSSI)
    refused(other, answer, "disabled")


@pytest.mark.parametrize(
    ("affiliations", "role"),
    [
        (["student", "member"], Role.STUDENT),
        (["faculty", "member"], Role.PROMOTER),
        (["staff", "member"], Role.STUDENT),
        (["staff", "employee", "faculty"], Role.PROMOTER),
        ([], Role.STUDENT),
    ],
)
def test_a_new_account_s_role_comes_from_the_affiliation_never_office(
    saml_site: SamlSite, client: Client, affiliations: list[str], role: str
) -> None:
    saml_site.sign_in(client, {**ROSSI, "eduPersonAffiliation": affiliations})
    user = signed_in(client)
    assert user is not None
    assert user.role == role
    assert not user.is_office
    assert not user.is_staff
    assert not user.is_superuser


def test_the_settings_cannot_map_an_affiliation_to_office(
    saml_site: SamlSite, client: Client
) -> None:
    saml_site.settings.SAML_AFFILIATION_ROLES = {"staff": Role.OFFICE}
    saml_site.sign_in(client, {**ROSSI, "eduPersonAffiliation": ["staff"]})
    user = signed_in(client)
    assert user is not None
    assert user.role == Role.STUDENT


def test_attributes_never_change_an_existing_role(
    saml_site: SamlSite, client: Client, linked: Linked
) -> None:
    office = linked(saml_site.idp.entity_id, "maria.rossi@polimi.example", role=Role.OFFICE)
    saml_site.sign_in(client, {**ROSSI, "eduPersonAffiliation": ["student"]})
    office.refresh_from_db()
    assert office.role == Role.OFFICE
    # and a student the IdP now calls faculty stays a student until the office decides
    client.logout()
    student = linked(saml_site.idp.entity_id, "luca.bianchi@polimi.example", role=Role.STUDENT)
    luca = {
        **ROSSI,
        "eduPersonPrincipalName": [student.username],
        "schacPersonalUniqueCode": [],
        "eduPersonAffiliation": ["faculty"],
    }
    saml_site.sign_in(Client(), luca)
    student.refresh_from_db()
    assert student.role == Role.STUDENT


def test_refused_answers_do_not_lock_an_address_out_of_saml(
    saml_site: SamlSite, started: Started, client: Client, settings: object
) -> None:
    """Password throttling (django-axes) counts wrong passwords; a refused SAML answer is not
    one, and many of them from one address (a university's NAT) lock nobody out."""
    nameless = {k: v for k, v in ROSSI.items() if k != "eduPersonPrincipalName"}
    for _ in range(12):
        answer = saml_site.idp.response(started(client), nameless)
        assert client.post("/saml2/acs/", {"SAMLResponse": answer}).status_code == 403
    response = saml_site.sign_in(client, ROSSI)
    assert response.status_code == 302, response.content.decode()
    assert signed_in(client) is not None
