"""What SPID's technical rules ask of a Response beyond SAML's own (pure: the XML in, the
problems out). pysaml2 has checked the signature, the audience, the times of the
conditions and InResponseTo; these are the rest that ``spid-sp-test --test-response``
expects a service provider to refuse (its cases 19-76): a missing Destination, Issuers of
another format, an assertion of another version or issued outside the request's time, a
NameID that is not transient or lacks its NameQualifier, a Recipient that is not the ACS,
Conditions or SubjectConfirmationData without their times."""

from __future__ import annotations

import datetime as dt

from lxml import etree

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
ENTITY = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
NS = {"samlp": SAMLP, "saml": SAML}


def _instant(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment


def problems(
    xml: str | bytes,
    *,
    acs_url: str,
    requested_at: dt.datetime | None,
    now: dt.datetime,
    skew: dt.timedelta,
) -> list[str]:
    """Why the Response breaks SPID's rules (empty when it does not)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml, parser)
    found: list[str] = []
    if root.get("Destination") != acs_url:
        found.append("Response Destination is not the ACS")
    issuer = root.find("saml:Issuer", NS)
    if issuer is not None and issuer.get("Format") not in (None, ENTITY):
        found.append("Response Issuer Format is not entity")
    assertions = root.findall("saml:Assertion", NS)
    if len(assertions) != 1:
        found.append("not exactly one Assertion")
        return found
    assertion = assertions[0]
    if assertion.get("Version") != "2.0":
        found.append("Assertion Version is not 2.0")
    issued = _instant(assertion.get("IssueInstant"))
    if issued is None:
        found.append("Assertion IssueInstant missing or malformed")
    else:
        if requested_at is not None and issued < requested_at - skew:
            found.append("Assertion issued before the request")
        if issued > now + skew:
            found.append("Assertion issued in the future")
    assertion_issuer = assertion.find("saml:Issuer", NS)
    if assertion_issuer is None or assertion_issuer.get("Format") != ENTITY:
        found.append("Assertion Issuer Format is not entity")
    name_id = assertion.find("saml:Subject/saml:NameID", NS)
    if name_id is None or not (name_id.text or "").strip():
        found.append("NameID missing")
    else:
        if name_id.get("Format") != TRANSIENT:
            found.append("NameID Format is not transient")
        if not (name_id.get("NameQualifier") or "").strip():
            found.append("NameID NameQualifier missing")
    data = assertion.find("saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", NS)
    if data is None:
        found.append("SubjectConfirmationData missing")
    else:
        if data.get("Recipient") != acs_url:
            found.append("SubjectConfirmationData Recipient is not the ACS")
        if _instant(data.get("NotOnOrAfter")) is None:
            found.append("SubjectConfirmationData NotOnOrAfter missing")
    conditions = assertion.find("saml:Conditions", NS)
    if conditions is None or len(conditions) == 0:
        found.append("Conditions missing or empty")
    else:
        if _instant(conditions.get("NotBefore")) is None:
            found.append("Conditions NotBefore missing")
        if _instant(conditions.get("NotOnOrAfter")) is None:
            found.append("Conditions NotOnOrAfter missing")
    return found
