"""The pure parts of SPID and CIE: the fiscal number, the level, SPID's rules on a Response."""

from __future__ import annotations

import datetime as dt

import pytest

from abroad.identity import spid_checks
from abroad.identity.spid_attributes import (
    LevelTooLow,
    MissingFiscalNumber,
    check_level,
    fiscal_code,
    identity_from,
    level_of,
)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("TINIT-RSSMRA99A41F205X", "RSSMRA99A41F205X"),
        (" tinit-rssmra99a41f205x ", "RSSMRA99A41F205X"),
        ("RSSMRA99A41F205X", "RSSMRA99A41F205X"),
        ("TINIT-01234567890", "01234567890"),
        ("TINIT-", ""),
        ("TINIT-RSS MRA", ""),
        ("", ""),
    ],
)
def test_the_fiscal_code_in_a_fiscal_number(value: str, code: str) -> None:
    assert fiscal_code(value) == code


def test_the_level_of_a_class_ref() -> None:
    assert level_of("https://www.spid.gov.it/SpidL2") == 2
    assert level_of("https://www.spid.gov.it/SpidL4") == 0
    assert level_of("urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport") == 0
    assert check_level(["https://www.spid.gov.it/SpidL3"], 2) == 3
    with pytest.raises(LevelTooLow) as low:
        check_level(["https://www.spid.gov.it/SpidL1"], 2)
    assert (low.value.given, low.value.needed) == (1, 2)
    with pytest.raises(LevelTooLow):
        check_level([], 1)


def test_the_identity_needs_a_fiscal_number() -> None:
    person = identity_from({"fiscalNumber": ["TINIT-RSSMRA99A41F205X"], "name": ["Maria"]})
    assert (person.fiscal_code, person.first_name, person.email) == (
        "RSSMRA99A41F205X",
        "Maria",
        "",
    )
    with pytest.raises(MissingFiscalNumber):
        identity_from({"name": ["Maria"]})
    with pytest.raises(MissingFiscalNumber):
        identity_from({"fiscalNumber": ["not a code"]})


ACS = "https://abroad.example/spid/acs/"
NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def response(**changes: str) -> str:
    values = {
        "destination": f'Destination="{ACS}"',
        "issuer_format": 'Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity"',
        "version": 'Version="2.0"',
        "issued": 'IssueInstant="2026-12-07T11:59:30Z"',
        "name_id": (
            '<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient" '
            'NameQualifier="https://idp.example">_abc</saml:NameID>'
        ),
        "recipient": f'Recipient="{ACS}"',
        "conditions": (
            '<saml:Conditions NotBefore="2026-12-07T11:59:00Z" '
            'NotOnOrAfter="2026-12-07T12:05:00Z"><saml:AudienceRestriction>'
            "<saml:Audience>x</saml:Audience></saml:AudienceRestriction></saml:Conditions>"
        ),
        **changes,
    }
    return (
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r" Version="2.0" '
        f'IssueInstant="2026-12-07T11:59:30Z" {values["destination"]}>'
        f"<saml:Issuer {values['issuer_format']}>https://idp.example</saml:Issuer>"
        f'<saml:Assertion ID="_a" {values["version"]} {values["issued"]}>'
        f"<saml:Issuer {values['issuer_format']}>https://idp.example</saml:Issuer>"
        f"<saml:Subject>{values['name_id']}<saml:SubjectConfirmation "
        'Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData '
        f'{values["recipient"]} NotOnOrAfter="2026-12-07T12:05:00Z" InResponseTo="_q"/>'
        f"</saml:SubjectConfirmation></saml:Subject>{values['conditions']}"
        "</saml:Assertion></samlp:Response>"
    )


def check(xml: str) -> list[str]:
    return spid_checks.problems(
        xml,
        acs_url=ACS,
        requested_at=NOW - dt.timedelta(minutes=1),
        now=NOW,
        skew=dt.timedelta(seconds=60),
    )


def test_a_response_that_follows_the_rules_passes() -> None:
    assert check(response()) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"destination": ""}, "Response Destination is not the ACS"),
        ({"version": 'Version="1.0"'}, "Assertion Version is not 2.0"),
        ({"issued": 'IssueInstant="2000-01-01T12:00:00Z"'}, "Assertion issued before the request"),
        ({"issued": 'IssueInstant="2099-01-01T00:00:00Z"'}, "Assertion issued in the future"),
        ({"name_id": ""}, "NameID missing"),
        (
            {"name_id": '<saml:NameID NameQualifier="q">_a</saml:NameID>'},
            "NameID Format is not transient",
        ),
        (
            {"recipient": 'Recipient="https://evil.example/"'},
            "SubjectConfirmationData Recipient is not the ACS",
        ),
        ({"conditions": "<saml:Conditions/>"}, "Conditions missing or empty"),
    ],
)
def test_a_response_that_breaks_a_rule_is_refused(change: dict[str, str], problem: str) -> None:
    assert problem in check(response(**change))
