"""SAML log-in end to end against a real pysaml2 identity provider (tests/identity/idp.py)."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from tests.identity.conftest import ROSSI, SamlSite, signed_in

from abroad.people.enums import Role
from abroad.people.models import User

pytestmark = pytest.mark.integration


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


def test_an_encrypted_assertion_is_accepted(saml_site: SamlSite, client: Client) -> None:
    response = saml_site.sign_in(client, ROSSI, encrypt=True)
    assert response.status_code == 302, response.content.decode()
    user = signed_in(client)
    assert user is not None
    assert user.student_number == "123456"


def test_a_second_log_in_updates_the_attributes_and_keeps_the_account(
    saml_site: SamlSite, client: Client
) -> None:
    saml_site.sign_in(client, ROSSI)
    first = signed_in(client)
    assert first is not None
    client.logout()
    changed = {**ROSSI, "mail": ["maria.rossi@alumni.polimi.example"], "sn": ["Rossi Bianchi"]}
    response = saml_site.sign_in(Client(), changed)
    assert response.status_code == 302
    again = User.objects.get(username="maria.rossi@polimi.example")
    assert again.pk == first.pk
    assert (again.email, again.last_name) == ("maria.rossi@alumni.polimi.example", "Rossi Bianchi")
    assert User.objects.filter(username__startswith="maria.rossi").count() == 1


def test_the_log_in_lands_where_the_student_was_going(saml_site: SamlSite, client: Client) -> None:
    response = saml_site.sign_in(client, ROSSI, next_url="/calls/")
    assert response["Location"] == "/calls/"


def test_a_foreign_next_is_not_followed(saml_site: SamlSite, client: Client) -> None:
    response = saml_site.sign_in(client, ROSSI, next_url="https://evil.example/")
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_the_persistent_name_id_can_name_the_person(saml_site: SamlSite, client: Client) -> None:
    saml_site.settings.SAML_USERNAME_ATTRIBUTE = "nameid"
    without_eppn = {k: v for k, v in ROSSI.items() if k != "eduPersonPrincipalName"}
    response = saml_site.sign_in(client, without_eppn)
    assert response.status_code == 302, response.content.decode()
    user = signed_in(client)
    assert user is not None
    assert user.username == "persistent-id-1234"


def test_local_log_in_still_works_beside_saml(
    saml_site: SamlSite, client: Client, foreign_student: User
) -> None:
    from tests.factories import PASSWORD

    response = client.post(
        "/accounts/login/", {"username": "foreign-student", "password": PASSWORD}
    )
    assert response.status_code == 302
    user = signed_in(client)
    assert user is not None
    assert user.username == "foreign-student"


def test_single_logout_ends_both_sessions(saml_site: SamlSite, client: Client) -> None:
    saml_site.sign_in(client, ROSSI)
    assert signed_in(client) is not None
    start = client.post("/accounts/logout/")
    # abroad's session ends at once; a page sends the browser on to the IdP (a form's redirect
    # to another site is stopped by the CSP), asking it to end its own (a signed LogoutRequest)
    assert start.status_code == 200
    assert signed_in(client) is None
    link = re.search(r'id="continue-logout" href="([^"]+)"', start.content.decode())
    assert link is not None
    location = html.unescape(link[1])
    assert f'content="0;url={location}"' in html.unescape(start.content.decode())
    name_id, back = saml_site.idp.logout(location)
    assert name_id == "persistent-id-1234"
    done = client.get(back.replace("http://127.0.0.1:8000", ""))
    assert done.status_code == 302
    assert signed_in(client) is None


def test_a_local_session_logs_out_locally_while_saml_is_on(
    saml_site: SamlSite, client: Client, student: User
) -> None:
    client.force_login(student)
    response = client.post("/accounts/logout/")
    assert response.status_code in (200, 302)
    assert signed_in(client) is None
