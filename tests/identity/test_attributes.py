"""The attribute map (pure): what an assertion's attributes make of a person."""

from __future__ import annotations

import pytest

from abroad.identity.attributes import (
    DEFAULT_AFFILIATION_ROLES,
    NAME_ID,
    MissingAttribute,
    identity_from,
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
