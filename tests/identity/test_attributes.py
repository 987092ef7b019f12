"""The attribute map (pure): what an assertion's attributes make of a person."""

from __future__ import annotations

import pytest

from abroad.identity.attributes import (
    DEFAULT_AFFILIATION_ROLES,
    NAME_ID,
    MissingAttribute,
    claims_as_attributes,
    identity_from,
    identity_from_claims,
    role_from,
    student_number,
)
from abroad.people.enums import Role

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("code", "number"),
    [
        ("urn:schac:personalUniqueCode:it:polimi.it:studente:123456", "123456"),
        ("urn:schac:personalUniqueCode:IT:unimi.it:student:A7", "A7"),
        ("urn:schac:personalUniqueCode:it:polimi.it:docente:991", ""),
        ("123456", "123456"),
        ("  654321 ", "654321"),
        ("", ""),
    ],
)
def test_the_student_number_is_the_last_part_of_a_student_s_code(code: str, number: str) -> None:
    assert student_number(code) == number


@pytest.mark.parametrize(
    ("affiliations", "role"),
    [
        (["student"], Role.STUDENT),
        (["Faculty", "member"], Role.PROMOTER),
        (["student", "faculty"], Role.PROMOTER),
        (["staff"], Role.STUDENT),
        (["affiliate", "alum"], Role.STUDENT),
        ([], Role.STUDENT),
    ],
)
def test_the_role_from_affiliations(affiliations: list[str], role: str) -> None:
    assert role_from(affiliations, DEFAULT_AFFILIATION_ROLES) == role


def test_office_and_admin_never_come_from_affiliations() -> None:
    assert role_from(["staff"], {"staff": Role.OFFICE}) == Role.STUDENT
    assert role_from(["staff"], {"staff": Role.ADMIN}) == Role.STUDENT


def test_an_identity_from_attributes() -> None:
    identity = identity_from(
        {
            "eduPersonPrincipalName": ["  anna@polimi.example "],
            "mail": ["", "anna@mail.example"],
            "givenName": ["Anna"],
            "sn": ["Neri"],
            "eduPersonAffiliation": ["faculty"],
        },
        None,
    )
    assert identity.username == "anna@polimi.example"
    assert identity.email == "anna@mail.example"
    assert (identity.first_name, identity.last_name) == ("Anna", "Neri")
    assert identity.student_number == ""
    assert identity.role == Role.PROMOTER


def test_the_name_id_can_name_the_person() -> None:
    assert identity_from({}, "AAdzZWNyZXQx", username_attribute=NAME_ID).username == "AAdzZWNyZXQx"
    with pytest.raises(MissingAttribute):
        identity_from({}, None, username_attribute=NAME_ID)


def test_a_missing_or_overlong_name_is_refused() -> None:
    with pytest.raises(MissingAttribute) as missing:
        identity_from({"mail": ["x@example.org"]}, "id")
    assert missing.value.attribute == "eduPersonPrincipalName"
    with pytest.raises(MissingAttribute):
        identity_from({"eduPersonPrincipalName": ["x" * 151]}, None)


def test_a_configured_map_is_followed() -> None:
    identity = identity_from(
        {"uid": ["mrossi"], "email": ["m@example.org"], "matricola": ["42"]},
        None,
        username_attribute="uid",
        attribute_map={"email": "email", "student_number": "matricola"},
    )
    assert (identity.username, identity.email, identity.student_number) == (
        "mrossi",
        "m@example.org",
        "42",
    )


def test_claims_are_attribute_values() -> None:
    assert claims_as_attributes(
        {
            "sub": "abc",
            "email_verified": True,
            "eduperson_affiliation": ["student", "member"],
            "address": {"country": "IT"},
            "matricola": 123456,
        }
    ) == {"sub": ["abc"], "eduperson_affiliation": ["student", "member"], "matricola": ["123456"]}


def test_an_identity_from_claims_is_scoped_by_its_provider() -> None:
    claims = {
        "sub": "a1b2",
        "email": "maria@mail.example",
        "given_name": "Maria",
        "family_name": "Rossi",
        "schac_personal_unique_code": "urn:schac:personalUniqueCode:it:polimi.it:studente:42",
        "eduperson_scoped_affiliation": ["faculty@polimi.it"],
    }
    claim_map = {
        "email": "email",
        "first_name": "given_name",
        "last_name": "family_name",
        "student_number": "schac_personal_unique_code",
        "affiliation": "eduperson_scoped_affiliation",
    }
    identity = identity_from_claims(claims, scope="myacademicid.org", claim_map=claim_map)
    assert identity.username == "a1b2@myacademicid.org"
    assert (identity.email, identity.first_name, identity.last_name) == (
        "maria@mail.example",
        "Maria",
        "Rossi",
    )
    assert identity.student_number == "42"
    assert identity.role == Role.PROMOTER
    other = identity_from_claims(claims, scope="keycloak.polimi.example", claim_map=claim_map)
    assert other.username != identity.username
    assert identity_from_claims(claims, scope="", claim_map=claim_map).username == "a1b2"


def test_a_missing_username_claim_is_refused() -> None:
    with pytest.raises(MissingAttribute) as missing:
        identity_from_claims(
            {"sub": "a1b2"}, scope="x", username_claim="preferred_username", claim_map={}
        )
    assert missing.value.attribute == "preferred_username"


def test_a_scoped_affiliation_counts_as_its_affiliation() -> None:
    assert role_from(["faculty@polimi.it"], DEFAULT_AFFILIATION_ROLES) == Role.PROMOTER
    assert role_from(["staff@polimi.it"], {"staff": Role.OFFICE}) == Role.STUDENT
