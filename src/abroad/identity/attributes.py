"""What an identity provider says of a person, as abroad's user fields (pure, no models).

The map is configured in the settings (``SAML_ATTRIBUTE_MAP``, ``SAML_USERNAME_ATTRIBUTE``,
``SAML_AFFILIATION_ROLES``; docs/operator-guide.md). Attribute names are the friendly names
pysaml2 gives the URIs the federations use (``eduPersonPrincipalName`` for
``urn:oid:1.3.6.1.4.1.5923.1.1.1.6``). An OpenID Connect provider's claims go through the same
map (``OIDC_CLAIM_MAP``, ``OIDC_USERNAME_CLAIM``; ``identity_from_claims``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from abroad.people.enums import Role

# The IdP's persistent NameID, instead of an attribute, as the username.
NAME_ID = "nameid"

DEFAULT_ATTRIBUTE_MAP: dict[str, str] = {
    "email": "mail",
    "first_name": "givenName",
    "last_name": "sn",
    "student_number": "schacPersonalUniqueCode",
    "affiliation": "eduPersonAffiliation",
}
DEFAULT_USERNAME_ATTRIBUTE = "eduPersonPrincipalName"
# Faculty become promoters, students students; every other affiliation (staff, employee,
# member, affiliate, alum) leaves the default, student, and the office decides.
DEFAULT_AFFILIATION_ROLES: dict[str, str] = {"faculty": Role.PROMOTER, "student": Role.STUDENT}
# Never given by an identity provider: only the office (or an administrator) grants these.
ROLES_NEVER_FROM_ATTRIBUTES = frozenset({Role.OFFICE, Role.ADMIN})

FIELD_LENGTHS = {"username": 150, "email": 254, "first_name": 150, "last_name": 150}
STUDENT_NUMBER_LENGTH = 20


class MissingAttribute(Exception):
    """The assertion lacks the attribute that names the person."""

    def __init__(self, attribute: str) -> None:
        super().__init__(attribute)
        self.attribute = attribute


@dataclass(frozen=True)
class Identity:
    """A person as the identity provider describes her, in abroad's terms."""

    username: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    student_number: str = ""
    role: str = Role.STUDENT


def student_number(value: str) -> str:
    """The matricola in a SCHAC personal unique code: the last part of
    ``urn:schac:personalUniqueCode:it:polimi.it:studente:123456`` (a bare number stays as it
    is). Codes of another kind than a student's (``:docente:``) give nothing."""
    value = value.strip()
    if not value.lower().startswith("urn:schac:personaluniquecode:"):
        return value[:STUDENT_NUMBER_LENGTH]
    parts = value.split(":")
    # urn:schac:personalUniqueCode:<country>:<home org>:<kind>:<code>
    if len(parts) >= 7 and parts[5].lower() not in {"studente", "student", "studentid"}:
        return ""
    return parts[-1][:STUDENT_NUMBER_LENGTH]


def role_from(affiliations: Iterable[str], roles: Mapping[str, str]) -> str:
    """The role a new user starts with: the first affiliation the map knows (faculty before
    student when a PhD student also teaches), student otherwise; never office or admin. A
    scoped affiliation (``student@polimi.it``, eduPersonScopedAffiliation) counts as its
    affiliation."""
    given = {affiliation.strip().lower().split("@")[0] for affiliation in affiliations}
    for affiliation, role in roles.items():
        if affiliation.lower() in given and role not in ROLES_NEVER_FROM_ATTRIBUTES:
            return role
    return Role.STUDENT


def _first(values: Sequence[str] | str | None) -> str:
    if values is None:
        return ""
    if isinstance(values, str):
        return values.strip()
    return next((str(value).strip() for value in values if str(value).strip()), "")


def identity_from(
    attributes: Mapping[str, Sequence[str]],
    name_id: str | None,
    *,
    username_attribute: str = DEFAULT_USERNAME_ATTRIBUTE,
    attribute_map: Mapping[str, str] = DEFAULT_ATTRIBUTE_MAP,
    affiliation_roles: Mapping[str, str] = DEFAULT_AFFILIATION_ROLES,
) -> Identity:
    """The identity in an assertion's attributes. Raises ``MissingAttribute`` when the one that
    names the person is missing (the others may be)."""
    if username_attribute == NAME_ID:
        username = (name_id or "").strip()
    else:
        username = _first(attributes.get(username_attribute))
    if not username or len(username) > FIELD_LENGTHS["username"]:
        raise MissingAttribute(username_attribute)

    def value(field: str) -> str:
        attribute = attribute_map.get(field, "")
        return _first(attributes.get(attribute)) if attribute else ""

    affiliation_attribute = attribute_map.get("affiliation", "")
    affiliations = list(attributes.get(affiliation_attribute, ())) if affiliation_attribute else []
    return Identity(
        username=username,
        email=value("email")[: FIELD_LENGTHS["email"]],
        first_name=value("first_name")[: FIELD_LENGTHS["first_name"]],
        last_name=value("last_name")[: FIELD_LENGTHS["last_name"]],
        student_number=student_number(value("student_number")),
        role=role_from(affiliations, affiliation_roles),
    )


def claims_as_attributes(claims: Mapping[str, object]) -> dict[str, list[str]]:
    """An OpenID Connect provider's claims as attribute values: a string is one value, a list
    its strings, a number its text; objects (``address``) and booleans are left out."""
    attributes: dict[str, list[str]] = {}
    for name, value in claims.items():
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, str | int | float):
            attributes[name] = [str(value)]
        elif isinstance(value, list):
            attributes[name] = [str(item) for item in value if isinstance(item, str | int)]
    return attributes


def identity_from_claims(
    claims: Mapping[str, object],
    *,
    scope: str,
    username_claim: str = "sub",
    claim_map: Mapping[str, str],
    affiliation_roles: Mapping[str, str] = DEFAULT_AFFILIATION_ROLES,
) -> Identity:
    """The identity in an OpenID Connect provider's claims, through the same map as SAML's
    attributes. The username is the ``username_claim`` scoped by the provider
    (``<value>@<scope>``), so that two providers' ``sub`` never name the same account; an
    empty scope leaves the value as it is. Raises ``MissingAttribute`` when that claim is
    missing."""
    attributes = claims_as_attributes(claims)
    value = _first(attributes.get(username_claim))
    if value and scope:
        attributes[username_claim] = [f"{value}@{scope}"]
    return identity_from(
        attributes,
        None,
        username_attribute=username_claim,
        attribute_map=claim_map,
        affiliation_roles=affiliation_roles,
    )
