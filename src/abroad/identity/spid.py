"""SPID and CIE: two SAML service-provider profiles beside the university's own SAML (IDEM),
each with its entity id, its routes (``/spid/``, ``/cie/``), its identity providers and its
metadata as AgID's technical rules ask (checked by ``spid-sp-test``, tests/identity/
test_spid_sp_test.py): signed with RSA-SHA256, with the Organization, the ContactPerson with
the SPID (or CIE) extensions, and the AttributeConsumingService listing what is requested.

The AuthnRequest is signed, names the level (``https://www.spid.gov.it/SpidL2``, minimum,
``ABROAD_SPID_LEVEL``), forces a new authentication from level 2, asks for a transient
NameID and carries an Issuer with its NameQualifier. The person is her fiscal code
(``fiscalNumber``): the account holding it is hers (services.sign_in_by_fiscal_code)."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import saml2
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.translation import get_language
from djangosaml2.utils import available_idps
from lxml import etree
from saml2.config import SPConfig
from saml2.saml import NAMEID_FORMAT_TRANSIENT
from saml2.sigver import CryptoBackendXmlSec1, get_xmlsec_binary
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from abroad.identity import federation, services
from abroad.identity.backends import REFUSAL
from abroad.identity.models import Protocol
from abroad.identity.spid_attributes import (
    CIE_REQUESTED,
    SPID_REQUESTED,
    LevelTooLow,
    MissingFiscalNumber,
    check_level,
    identity_from,
    level_class,
)
from abroad.people.models import User

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
XML = "http://www.w3.org/XML/1998/namespace"
SPID_NS = "https://spid.gov.it/saml-extensions"
CIE_NS = "https://www.cartaidentita.interno.gov.it/saml-extensions"
PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"
ATTRNAME_BASIC = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"


@dataclass(frozen=True)
class Profile:
    """SPID or CIE: what differs between them is read from the settings by name."""

    name: str  # "spid" or "cie"

    @property
    def protocol(self) -> str:
        return Protocol.SPID if self.name == "spid" else Protocol.CIE

    @property
    def label(self) -> str:
        return "SPID" if self.name == "spid" else "CIE"

    def setting(self, suffix: str) -> Any:
        return getattr(settings, f"{self.name.upper()}_{suffix}")

    @property
    def base(self) -> str:
        return f"{settings.SITE_URL}/{self.name}"

    @property
    def entity_id(self) -> str:
        return str(self.setting("ENTITY_ID"))

    @property
    def level(self) -> int:
        return int(self.setting("LEVEL"))

    @property
    def requested(self) -> tuple[str, ...]:
        return SPID_REQUESTED if self.name == "spid" else CIE_REQUESTED

    @property
    def on(self) -> bool:
        return self.name in settings.LOGIN_METHODS


SPID = Profile("spid")
CIE = Profile("cie")
PROFILES = {"spid": SPID, "cie": CIE}


def _metadata_files(profile: Profile) -> list[str]:
    return list(profile.setting("IDP_METADATA_FILES"))


def config_dict(profile: Profile) -> dict[str, Any]:
    """The profile's pysaml2 configuration."""
    key, cert = settings.SPID_KEY_FILE, settings.SPID_CERT_FILE
    if not key or not cert:
        raise ImproperlyConfigured(
            f"{profile.label} log-in needs the service provider's key and certificate: set "
            "ABROAD_SPID_KEY_FILE and ABROAD_SPID_CERT_FILE (docs/operator-guide.md)."
        )
    files = _metadata_files(profile)
    url, trusted = profile.setting("IDP_METADATA_URL"), profile.setting("IDP_METADATA_CERT")
    prefix = f"ABROAD_{profile.name.upper()}"
    if url and not trusted:
        raise ImproperlyConfigured(
            f"{prefix}_IDP_METADATA_URL needs {prefix}_IDP_METADATA_CERT, the registry's "
            "metadata signing certificate: unsigned metadata is refused."
        )
    if not files and not url:
        raise ImproperlyConfigured(
            f"{profile.label} log-in needs the identity providers' metadata: set "
            f"{prefix}_IDP_METADATA_FILES or {prefix}_IDP_METADATA_URL."
        )
    if not settings.SPID_IPA_CODE and profile.name == "cie":
        raise ImproperlyConfigured("CIE log-in needs ABROAD_SPID_IPA_CODE (the IPA code).")
    if not (settings.SPID_IPA_CODE or settings.SPID_VAT_NUMBER or settings.SPID_FISCAL_CODE):
        raise ImproperlyConfigured(
            "SPID log-in needs ABROAD_SPID_IPA_CODE (a public administration's code in the "
            "IPA index) or ABROAD_SPID_VAT_NUMBER / ABROAD_SPID_FISCAL_CODE."
        )
    if not settings.SPID_CONTACT_EMAIL:
        raise ImproperlyConfigured(f"{profile.label} log-in needs ABROAD_SPID_CONTACT_EMAIL.")
    base = profile.base
    return {
        "entityid": profile.entity_id,
        "xmlsec_binary": get_xmlsec_binary(["/usr/bin", "/usr/local/bin"]),
        "allow_unknown_attributes": True,
        "accepted_time_diff": settings.SAML_CLOCK_SKEW_SECONDS,
        "service": {
            "sp": {
                "name": settings.SPID_ORGANIZATION_DISPLAY_NAME,
                "name_id_format": [NAMEID_FORMAT_TRANSIENT],
                "name_id_policy_format": NAMEID_FORMAT_TRANSIENT,
                "endpoints": {
                    "assertion_consumer_service": [(f"{base}/acs/", saml2.BINDING_HTTP_POST)],
                    "single_logout_service": [
                        (f"{base}/ls/", saml2.BINDING_HTTP_REDIRECT),
                        (f"{base}/ls/post/", saml2.BINDING_HTTP_POST),
                    ],
                },
                "authn_requests_signed": True,
                "logout_requests_signed": True,
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
                # SPID: the assertion must be signed by the identity provider.
                "want_response_signed": False,
                "want_assertions_signed": True,
                "allow_unsolicited": False,
                "force_authn": profile.level >= 2,
                "requested_authn_context": {
                    "authn_context_class_ref": [level_class(profile.level)],
                    "comparison": "minimum",
                },
                "optional_attributes": list(profile.requested),
            }
        },
        "metadata": {"local": files},
        "key_file": key,
        "cert_file": cert,
        "encryption_keypairs": [{"key_file": key, "cert_file": cert}],
    }


def _modified(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


@lru_cache(maxsize=4)
def _config(name: str, _signature: str, _period: int) -> SPConfig:
    profile = PROFILES[name]
    config = config_dict(profile)
    url = profile.setting("IDP_METADATA_URL")
    if url:
        registry = federation.refresh(url, profile.setting("IDP_METADATA_CERT"), name=name)
        if registry is not None:
            config["metadata"]["local"] = [*config["metadata"]["local"], str(registry)]
    conf = SPConfig()
    conf.load(config)
    return conf


def sp_config(profile: Profile) -> SPConfig:
    stamps = [_modified(path) for path in _metadata_files(profile)]
    registry = (profile.setting("IDP_METADATA_URL"), profile.setting("IDP_METADATA_CERT"))
    signature = repr((config_dict(profile), stamps, registry, _organization()))
    period = int(time.time() // max(60, settings.SAML_METADATA_REFRESH_MINUTES * 60))
    return _config(profile.name, signature, period)


def spid_config(request: HttpRequest | None = None) -> SPConfig:
    """djangosaml2's configuration loader for the SPID routes."""
    return sp_config(SPID)


def cie_config(request: HttpRequest | None = None) -> SPConfig:
    """djangosaml2's configuration loader for the CIE routes."""
    return sp_config(CIE)


def identity_providers(profile: Profile) -> list[tuple[str, str]]:
    """The profile's identity providers, (entity id, name), by name."""
    conf = sp_config(profile)
    language = (get_language() or "it").split("-")[0]
    shown = available_idps(conf, language)
    italian = available_idps(conf, "it")
    names = [(idp, str(shown[idp] or italian.get(idp) or idp)) for idp in shown]
    return sorted(names, key=lambda pair: pair[1].casefold())


# -- metadata ------------------------------------------------------------------------------


def _organization() -> tuple[str, ...]:
    return (
        settings.SPID_ORGANIZATION_NAME,
        settings.SPID_ORGANIZATION_DISPLAY_NAME,
        settings.SPID_ORGANIZATION_URL,
        settings.SPID_IPA_CODE,
        settings.SPID_VAT_NUMBER,
        settings.SPID_FISCAL_CODE,
        settings.SPID_CONTACT_EMAIL,
        settings.SPID_CONTACT_PHONE,
        settings.SPID_MUNICIPALITY,
    )


def _certificate_body(cert_file: str) -> str:
    text = Path(cert_file).read_text()
    body = text.split("-----BEGIN CERTIFICATE-----", 1)[1].split("-----END CERTIFICATE-----")[0]
    return "".join(body.split())


def _element(parent: etree._Element, namespace: str, tag: str, text: str = "", **attrs: str) -> Any:
    child = etree.SubElement(parent, f"{{{namespace}}}{tag}", **attrs)
    if text:
        child.text = text
    return child


def unsigned_metadata(profile: Profile) -> bytes:
    """The profile's metadata before its signature (a template in place)."""
    extension = SPID_NS if profile.name == "spid" else CIE_NS
    prefix = profile.name
    entity_id = profile.entity_id
    ident = "_" + hashlib.sha256(entity_id.encode()).hexdigest()[:40]
    root = etree.Element(
        f"{{{MD}}}EntityDescriptor",
        nsmap={"md": MD, "ds": DS, prefix: extension},
        entityID=entity_id,
        ID=ident,
    )
    certificate = _certificate_body(settings.SPID_CERT_FILE)
    # the signature's template, first child as the schema wants it
    signature = _element(root, DS, "Signature")
    info = _element(signature, DS, "SignedInfo")
    _element(info, DS, "CanonicalizationMethod", Algorithm=EXC_C14N)
    _element(info, DS, "SignatureMethod", Algorithm=SIG_RSA_SHA256)
    reference = _element(info, DS, "Reference", URI=f"#{ident}")
    transforms = _element(reference, DS, "Transforms")
    _element(transforms, DS, "Transform", Algorithm=ENVELOPED)
    _element(transforms, DS, "Transform", Algorithm=EXC_C14N)
    _element(reference, DS, "DigestMethod", Algorithm=DIGEST_SHA256)
    _element(reference, DS, "DigestValue")
    _element(signature, DS, "SignatureValue")
    key_info = _element(signature, DS, "KeyInfo")
    _element(_element(key_info, DS, "X509Data"), DS, "X509Certificate", certificate)

    sp = _element(
        root,
        MD,
        "SPSSODescriptor",
        protocolSupportEnumeration=PROTOCOL,
        AuthnRequestsSigned="true",
        WantAssertionsSigned="true",
    )
    key = _element(sp, MD, "KeyDescriptor", use="signing")
    key_data = _element(_element(key, DS, "KeyInfo"), DS, "X509Data")
    _element(key_data, DS, "X509Certificate", certificate)
    base = profile.base
    _element(
        sp, MD, "SingleLogoutService", Binding=saml2.BINDING_HTTP_REDIRECT, Location=f"{base}/ls/"
    )
    _element(
        sp, MD, "SingleLogoutService", Binding=saml2.BINDING_HTTP_POST, Location=f"{base}/ls/post/"
    )
    _element(sp, MD, "NameIDFormat", NAMEID_FORMAT_TRANSIENT)
    _element(
        sp,
        MD,
        "AssertionConsumerService",
        index="0",
        isDefault="true",
        Binding=saml2.BINDING_HTTP_POST,
        Location=f"{base}/acs/",
    )
    service = _element(sp, MD, "AttributeConsumingService", index="0")
    name = _element(service, MD, "ServiceName", settings.SPID_ORGANIZATION_DISPLAY_NAME)
    name.set(f"{{{XML}}}lang", "it")
    for attribute in profile.requested:
        _element(service, MD, "RequestedAttribute", Name=attribute, NameFormat=ATTRNAME_BASIC)

    organization = _element(root, MD, "Organization")
    for tag, value in (
        ("OrganizationName", settings.SPID_ORGANIZATION_NAME),
        ("OrganizationDisplayName", settings.SPID_ORGANIZATION_DISPLAY_NAME),
        ("OrganizationURL", settings.SPID_ORGANIZATION_URL),
    ):
        _element(organization, MD, tag, value).set(f"{{{XML}}}lang", "it")

    contact = _element(
        root, MD, "ContactPerson", contactType="other" if prefix == "spid" else "administrative"
    )
    extensions = _element(contact, MD, "Extensions")
    if prefix == "spid":
        if settings.SPID_IPA_CODE:
            _element(extensions, extension, "IPACode", settings.SPID_IPA_CODE)
        else:
            if settings.SPID_VAT_NUMBER:
                _element(extensions, extension, "VATNumber", settings.SPID_VAT_NUMBER)
            if settings.SPID_FISCAL_CODE:
                _element(extensions, extension, "FiscalCode", settings.SPID_FISCAL_CODE)
        _element(extensions, extension, "Public")
    else:
        _element(extensions, extension, "Public")
        _element(extensions, extension, "IPACode", settings.SPID_IPA_CODE)
        _element(extensions, extension, "Municipality", settings.SPID_MUNICIPALITY or "-")
    if prefix == "cie":
        _element(contact, MD, "Company", settings.SPID_ORGANIZATION_NAME)
    _element(contact, MD, "EmailAddress", settings.SPID_CONTACT_EMAIL)
    if settings.SPID_CONTACT_PHONE:
        _element(contact, MD, "TelephoneNumber", settings.SPID_CONTACT_PHONE)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@lru_cache(maxsize=4)
def _signed(name: str, _signature: str) -> bytes:
    profile = PROFILES[name]
    document = unsigned_metadata(profile).decode()
    crypto = CryptoBackendXmlSec1(get_xmlsec_binary(["/usr/bin", "/usr/local/bin"]))
    entity_id_hash = "_" + hashlib.sha256(profile.entity_id.encode()).hexdigest()[:40]
    signed = crypto.sign_statement(
        document,
        f"{MD}:EntityDescriptor",
        key_file=settings.SPID_KEY_FILE,
        node_id=entity_id_hash,
    )
    return signed.encode() if isinstance(signed, str) else bytes(signed)


def signed_metadata(profile: Profile) -> bytes:
    """The profile's metadata, signed with the service provider's key (RSA-SHA256)."""
    config_dict(profile)  # says what is missing
    stamp = (
        profile.entity_id,
        settings.SITE_URL,
        settings.SPID_KEY_FILE,
        _modified(settings.SPID_KEY_FILE),
        settings.SPID_CERT_FILE,
        _modified(settings.SPID_CERT_FILE),
        _organization(),
    )
    return _signed(profile.name, repr(stamp))


def write_metadata(profile: Profile, folder: str | None = None) -> str:
    """The signed metadata written to a file (for ``spid-sp-test --metadata-url file://``)."""
    handle, path = tempfile.mkstemp(prefix=f"{profile.name}-", suffix=".xml", dir=folder)
    with os.fdopen(handle, "wb") as out:
        out.write(signed_metadata(profile))
    return path


# -- the backend ---------------------------------------------------------------------------


class SpidBackend(ModelBackend):
    """Signs in the person a SPID or CIE identity provider vouches for (the response already
    checked by djangosaml2): at the level asked, with a fiscal number, linked by it. Never
    by password (``authenticate`` needs ``session_info``)."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        session_info: dict[str, Any] | None = None,
        profile: Profile | None = None,
        **kwargs: Any,
    ) -> User | None:
        if request is None or session_info is None or profile is None:
            return None
        try:
            check_level((entry[0] for entry in session_info.get("authn_info") or []), profile.level)
            person = identity_from(session_info.get("ava") or {})
            user = services.sign_in_by_fiscal_code(
                session_info["issuer"], person, protocol=profile.protocol
            )
        except (LevelTooLow, MissingFiscalNumber, services.Refused) as refusal:
            setattr(request, REFUSAL, refusal)
            return None
        return user if self.user_can_authenticate(user) else None
