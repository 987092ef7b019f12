"""What a SPID or CIE identity provider says of a person, in abroad's terms (pure, no models).

SPID and CIE send the same attribute names (AgID, "Regole tecniche", Tabella attributi):
``fiscalNumber`` as ``TINIT-<codice fiscale>``, ``name``, ``familyName``, ``email``,
``spidCode``; and the level of the authentication as the assertion's AuthnContextClassRef
(``https://www.spid.gov.it/SpidL2``; CIE uses the same classes)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

FISCAL_NUMBER = "fiscalNumber"
LEVEL_CLASS = "https://www.spid.gov.it/SpidL{level}"
LEVEL_PATTERN = re.compile(r"^https://www\.spid\.gov\.it/SpidL([123])$")
# A person's fiscal code (16 characters) or a provisional one / a company's (11 digits).
FISCAL_CODE_PATTERN = re.compile(r"^(?:[A-Z0-9]{16}|[0-9]{11})$")
TIN_PREFIX = "TINIT-"

# What abroad asks for: SPID may release e-mail and the SPID code, CIE only these four.
SPID_REQUESTED = ("fiscalNumber", "name", "familyName", "email", "spidCode")
CIE_REQUESTED = ("fiscalNumber", "name", "familyName", "dateOfBirth")


class MissingFiscalNumber(Exception):
    """The assertion names nobody: no (valid) fiscal number."""


class LevelTooLow(Exception):
    """The person was authenticated at a lower level than the service asks."""

    def __init__(self, given: int, needed: int) -> None:
        super().__init__(given, needed)
        self.given = given
        self.needed = needed


@dataclass(frozen=True)
class ItalianIdentity:
    fiscal_code: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""


def level_class(level: int) -> str:
    """The AuthnContextClassRef of a SPID level (1, 2, 3)."""
    return LEVEL_CLASS.format(level=level)


def level_of(class_ref: str | None) -> int:
    """The SPID level of an AuthnContextClassRef; 0 for anything else (a password-protected
    transport of a plain SAML IdP is no SPID level)."""
    match = LEVEL_PATTERN.match((class_ref or "").strip())
    return int(match[1]) if match else 0


def check_level(class_refs: Iterable[str | None], needed: int) -> int:
    """The level the assertion vouches for; raises ``LevelTooLow`` below ``needed``."""
    given = max((level_of(ref) for ref in class_refs), default=0)
    if given < needed:
        raise LevelTooLow(given, needed)
    return given


def fiscal_code(value: str) -> str:
    """The codice fiscale in a ``fiscalNumber`` (``TINIT-RSSMRA85T10A562S``), upper case; ""
    when it is not one."""
    code = value.strip().upper()
    if code.startswith(TIN_PREFIX):
        code = code[len(TIN_PREFIX) :]
    return code if FISCAL_CODE_PATTERN.match(code) else ""


def _first(values: Sequence[str] | str | None) -> str:
    if values is None:
        return ""
    if isinstance(values, str):
        return values.strip()
    return next((str(value).strip() for value in values if str(value).strip()), "")


def identity_from(attributes: Mapping[str, Sequence[str]]) -> ItalianIdentity:
    """The person in a SPID/CIE assertion's attributes; raises ``MissingFiscalNumber`` when
    the fiscal number is missing or not one."""
    code = fiscal_code(_first(attributes.get(FISCAL_NUMBER)))
    if not code:
        raise MissingFiscalNumber(FISCAL_NUMBER)
    return ItalianIdentity(
        fiscal_code=code,
        first_name=_first(attributes.get("name"))[:150],
        last_name=_first(attributes.get("familyName"))[:150],
        email=_first(attributes.get("email"))[:254],
    )
