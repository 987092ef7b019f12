"""SPID and CIE switched on for a test, with the real pysaml2 identity provider of
tests/identity/idp.py speaking as a SPID (or CIE) identity provider: transient NameID, the
level as AuthnContextClassRef, the SPID attributes in the basic name format. (Imported by the
test_spid*.py files; fixtures in them.)"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import saml2
from django.test import Client
from saml2.saml import NAME_FORMAT_BASIC, NAMEID_FORMAT_TRANSIENT, NameID
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256
from tests.identity.conftest import reload_urls
from tests.identity.idp import IdentityProvider, keypair

SPID_BACKEND = "abroad.identity.spid.SpidBackend"

# What a SPID identity provider says of Maria Rossi.
ROSSI_SPID = {
    "fiscalNumber": ["TINIT-RSSMRA99A41F205X"],
    "name": ["Maria"],
    "familyName": ["Rossi"],
    "email": ["maria.rossi@pec.example"],
    "spidCode": ["SPID-0000000001"],
}


@dataclass
class SpidIdentityProvider(IdentityProvider):
    """pysaml2's IdP as a SPID identity provider answering abroad's ``/spid/`` (or
    ``/cie/``) profile."""

    profile: str = "spid"

    def __post_init__(self) -> None:
        super().__post_init__()
        policy = self.server.config.getattr("policy", "idp")
        # SPID's attributes go by their plain names (urn:...:attrname-format:basic)
        policy.get_name_form = lambda sp_entity_id: NAME_FORMAT_BASIC

    def _sp_slo(self) -> str:
        return f"{self.sp_base}/{self.profile}/ls/"

    def spid_response(
        self,
        in_response_to: str | None,
        attributes: dict[str, list[str]],
        *,
        level: int = 2,
        class_ref: str = "",
    ) -> str:
        sp = f"{self.sp_base}/{self.profile}/metadata/"
        xml = self.server.create_authn_response(
            identity=attributes,
            in_response_to=in_response_to,
            destination=f"{self.sp_base}/{self.profile}/acs/",
            sp_entity_id=sp,
            name_id=NameID(
                format=NAMEID_FORMAT_TRANSIENT,
                text="_transient-4f2a9c",
                name_qualifier=self.entity_id,
            ),
            authn={
                "class_ref": class_ref or f"https://www.spid.gov.it/SpidL{level}",
                "authn_auth": self.entity_id,
            },
            sign_response=True,
            sign_assertion=True,
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
        )
        return base64.b64encode(str(xml).encode()).decode()


@dataclass
class SpidSite:
    idp: SpidIdentityProvider
    profile: str
    settings: Any
    folder: Path

    def sp_metadata(self) -> str:
        return Client().get(f"/{self.profile}/metadata/").content.decode()

    def start(self, client: Client, next_url: str = "/mobility/") -> Any:
        start = client.get(f"/{self.profile}/login/?next={next_url}&idp={self.idp.entity_id}")
        assert start.status_code == 302, start.content
        return start

    def sign_in(
        self,
        client: Client,
        attributes: dict[str, list[str]],
        *,
        next_url: str = "/mobility/",
        level: int = 2,
        class_ref: str = "",
    ) -> Any:
        request = self.idp.receive(self.start(client, next_url)["Location"])
        answer = self.idp.spid_response(request.id, attributes, level=level, class_ref=class_ref)
        return client.post(
            f"/{self.profile}/acs/", {"SAMLResponse": answer, "RelayState": next_url}
        )


def organisation(settings: Any, folder: Path) -> None:
    """The university as AgID knows it, and the SP's key."""
    key, cert = keypair(folder, "abroad-spid-sp")
    settings.SPID_KEY_FILE, settings.SPID_CERT_FILE = str(key), str(cert)
    settings.SPID_ORGANIZATION_NAME = "Politecnico di Esempio"
    settings.SPID_ORGANIZATION_DISPLAY_NAME = "Politecnico di Esempio - Mobilità"
    settings.SPID_ORGANIZATION_URL = "https://www.polimi.example/"
    settings.SPID_IPA_CODE = "pol_es"
    settings.SPID_VAT_NUMBER = ""
    settings.SPID_FISCAL_CODE = ""
    settings.SPID_CONTACT_EMAIL = "mobility@polimi.example"
    settings.SPID_CONTACT_PHONE = "+390223991"
    settings.SPID_MUNICIPALITY = "F205"


def switch_on(settings: Any, methods: list[str]) -> None:
    settings.LOGIN_METHODS = methods
    backends = [b for b in settings.AUTHENTICATION_BACKENDS if b != SPID_BACKEND]
    settings.AUTHENTICATION_BACKENDS = [*backends, SPID_BACKEND]
    reload_urls()


def spid_site(settings: Any, folder: Path, profile: str = "spid") -> Iterator[SpidSite]:
    original = list(settings.LOGIN_METHODS)
    entity = "https://id.lepida.example" if profile == "spid" else "https://idserver.cie.example"
    names = (
        {"en": "Lepida ID", "it": "Lepida ID"}
        if profile == "spid"
        else {"en": "CIE ID", "it": "CIE ID"}
    )
    idp = SpidIdentityProvider(folder, entity_id=entity, names=names, profile=profile)
    organisation(settings, folder)
    setattr(settings, f"{profile.upper()}_IDP_METADATA_FILES", [str(idp.write_metadata())])
    setattr(settings, f"{profile.upper()}_IDP_METADATA_URL", "")
    setattr(settings, f"{profile.upper()}_LEVEL", 2)
    switch_on(settings, ["local", profile])
    site = SpidSite(idp=idp, profile=profile, settings=settings, folder=folder)
    idp.trust(site.sp_metadata())
    yield site
    settings.LOGIN_METHODS = original
    reload_urls()


__all__ = ["ROSSI_SPID", "SpidSite", "saml2", "spid_site"]
