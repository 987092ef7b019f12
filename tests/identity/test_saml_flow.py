"""SAML log-in end to end against a real pysaml2 identity provider (tests/identity/idp.py)."""

from __future__ import annotations

import pytest
from django.test import Client
from tests.identity.conftest import SamlSite

from abroad.people.enums import Role
from abroad.people.models import User

pytestmark = pytest.mark.integration

ROSSI = {
    "eduPersonPrincipalName": ["maria.rossi@polimi.example"],
    "mail": ["maria.rossi@mail.polimi.example"],
    "givenName": ["Maria"],
    "sn": ["Rossi"],
    "schacPersonalUniqueCode": ["urn:schac:personalUniqueCode:it:polimi.it:studente:123456"],
    "eduPersonAffiliation": ["student", "member"],
}


def signed_in(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_a_student_signs_in_and_is_created_with_her_attributes(
    saml_site: SamlSite, client: Client
) -> None:
    start = client.get("/saml2/login/?next=/mobility/")
    assert start.status_code == 302
    request = saml_site.idp.receive(start["Location"])
    assert request.signed
    assert request.issuer == "http://127.0.0.1:8000/saml2/metadata/"
    answer = saml_site.idp.response(request.id, ROSSI)
    response = client.post("/saml2/acs/", {"SAMLResponse": answer, "RelayState": "/mobility/"})
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == "/mobility/"
    user = signed_in(client)
    assert user is not None
    assert (user.username, user.email, user.first_name, user.last_name) == (
        "maria.rossi@polimi.example",
        "maria.rossi@mail.polimi.example",
        "Maria",
        "Rossi",
    )
    assert user.student_number == "123456"
    assert user.role == Role.STUDENT
    assert not user.has_usable_password()
