"""A real SAML identity provider for the tests: pysaml2's ``Server`` with its own key and
certificate (made here with ``cryptography``), speaking to abroad through the real bindings.
Nothing of abroad's is mocked: the service provider is the site under test."""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import saml2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.samlp import response_from_string
from saml2.server import Server
from saml2.sigver import get_xmlsec_binary
from saml2.xmldsig import DIGEST_SHA1, DIGEST_SHA256, SIG_RSA_SHA1, SIG_RSA_SHA256

INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def _earlier(instant: str, minutes: int) -> str:
    moment = dt.datetime.strptime(instant[:19], "%Y-%m-%dT%H:%M:%S")
    return (moment - dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def keypair(folder: Path, name: str) -> tuple[Path, Path]:
    """A 2048-bit RSA key and a self-signed certificate for it, as PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = folder / f"{name}.key", folder / f"{name}.crt"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


@dataclass
class Request:
    """An AuthnRequest as the IdP received it."""

    id: str
    relay_state: str
    signed: bool
    issuer: str


@dataclass
class IdentityProvider:
    folder: Path
    entity_id: str = "https://idp.polimi.example/idp/shibboleth"
    names: dict[str, str] = field(
        default_factory=lambda: {"en": "Politecnico di Milano", "it": "Politecnico di Milano"}
    )
    lifetime_minutes: int = 5
    sp_base: str = "http://127.0.0.1:8000"
    sso_base: str = ""

    def __post_init__(self) -> None:
        slug = urlsplit(self.entity_id).hostname or "idp"
        self.key_file, self.cert_file = keypair(self.folder, slug)
        base = self.sso_base or f"https://{slug}"
        self.sso_url = f"{base}/idp/profile/SAML2/Redirect/SSO"
        self.slo_url = f"{base}/idp/profile/SAML2/Redirect/SLO"
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "xmlsec_binary": get_xmlsec_binary(["/usr/bin", "/usr/local/bin"]),
                "service": {
                    "idp": {
                        "name": self.names["en"],
                        "endpoints": {
                            "single_sign_on_service": [(self.sso_url, saml2.BINDING_HTTP_REDIRECT)],
                            "single_logout_service": [(self.slo_url, saml2.BINDING_HTTP_REDIRECT)],
                        },
                        "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                        "want_authn_requests_signed": True,
                        "policy": {
                            "default": {
                                "lifetime": {"minutes": self.lifetime_minutes},
                                "attribute_restrictions": None,
                                "name_form": NAME_FORMAT_URI,
                            }
                        },
                    }
                },
                "organization": {
                    "name": [(name, language) for language, name in self.names.items()],
                    "display_name": [(name, language) for language, name in self.names.items()],
                    "url": [(f"https://{slug}/", "en")],
                },
                "key_file": str(self.key_file),
                "cert_file": str(self.cert_file),
                "metadata": {},
            }
        )
        self.server = Server(config=config)

    def metadata(self) -> str:
        return str(entity_descriptor(self.server.config))

    def write_metadata(self) -> Path:
        path = self.folder / f"{urlsplit(self.entity_id).hostname}-metadata.xml"
        path.write_text(self.metadata())
        return path

    def trust(self, sp_metadata: str) -> None:
        """Load the service provider's metadata (as abroad publishes it)."""
        self.server.metadata.load("inline", sp_metadata)

    def receive(self, location: str) -> Request:
        """The AuthnRequest in a redirect to this IdP; its signature is checked (pysaml2 refuses
        an unsigned one: ``want_authn_requests_signed``)."""
        assert location.startswith(self.sso_url), location
        query = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
        parsed = self.server.parse_authn_request(
            query["SAMLRequest"],
            saml2.BINDING_HTTP_REDIRECT,
            relay_state=query.get("RelayState"),
            sigalg=query.get("SigAlg"),
            signature=query.get("Signature"),
        )
        return Request(
            id=parsed.message.id,
            relay_state=query.get("RelayState", ""),
            signed="Signature" in query and "SigAlg" in query,
            issuer=parsed.message.issuer.text,
        )

    def response(
        self,
        in_response_to: str | None,
        attributes: dict[str, list[str]],
        *,
        name_id: str = "persistent-id-1234",
        sign: bool = True,
        encrypt: bool = False,
        audience: str = "",
        minutes_ago: int = 0,
        sha1: bool = False,
    ) -> str:
        """A Response for the ACS, base64 as the POST binding carries it: signed (response and
        assertion) unless told otherwise, the assertion encrypted for the SP when asked; made
        ``minutes_ago`` (every instant in it moved back, then the response signed)."""
        audience = audience or f"{self.sp_base}/saml2/metadata/"
        xml = self.server.create_authn_response(
            identity=attributes,
            in_response_to=in_response_to,
            destination=f"{self.sp_base}/saml2/acs/",
            sp_entity_id=audience,
            name_id=NameID(
                format=NAMEID_FORMAT_PERSISTENT,
                text=name_id,
                name_qualifier=self.entity_id,
                sp_name_qualifier=audience,
            ),
            authn={
                "class_ref": saml2.saml.AUTHN_PASSWORD_PROTECTED,
                "authn_auth": self.entity_id,
            },
            sign_response=sign and not minutes_ago,
            sign_assertion=sign and not minutes_ago,
            encrypt_assertion=encrypt,
            encrypt_assertion_self_contained=True,
            sign_alg=SIG_RSA_SHA1 if sha1 else SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA1 if sha1 else DIGEST_SHA256,
        )
        if minutes_ago:
            shifted = INSTANT.sub(lambda m: _earlier(m.group(0), minutes_ago), str(xml))
            xml = self.server.sign(
                response_from_string(shifted), sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256
            )
        return base64.b64encode(str(xml).encode()).decode()

    def logout(self, location: str) -> tuple[str, str]:
        """A LogoutRequest in a redirect to this IdP: checked, and answered with a
        LogoutResponse redirect back to the SP. (Its NameID, the answer's URL.)"""
        assert location.startswith(self.slo_url), location
        query = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
        assert "Signature" in query, "the LogoutRequest is signed"
        request = self.server.parse_logout_request(
            query["SAMLRequest"],
            saml2.BINDING_HTTP_REDIRECT,
            relay_state=query.get("RelayState"),
            sigalg=query.get("SigAlg"),
            signature=query.get("Signature"),
        )
        response = self.server.create_logout_response(
            request.message,
            [saml2.BINDING_HTTP_REDIRECT],
            sign=True,
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
        )
        info: Any = self.server.apply_binding(
            saml2.BINDING_HTTP_REDIRECT,
            str(response),
            destination=request.message.issuer.text and self._sp_slo(),
            relay_state=query.get("RelayState", ""),
            response=True,
            sign=True,
        )
        location_back = dict(info["headers"])["Location"]
        return request.message.name_id.text, location_back

    def _sp_slo(self) -> str:
        return f"{self.sp_base}/saml2/ls/"


def signed_aggregate(idps: list[IdentityProvider], key_file: Path, cert_file: Path) -> bytes:
    """A federation's aggregate of the IdPs' metadata, signed at its root with the
    federation's key (as IDEM and eduGAIN publish theirs)."""
    from saml2.config import Config
    from saml2.metadata import entities_descriptor
    from saml2.sigver import security_context

    federation = Config()
    federation.load(
        {
            "entityid": "https://md.federation.example/",
            "key_file": str(key_file),
            "cert_file": str(cert_file),
            "xmlsec_binary": get_xmlsec_binary(["/usr/bin", "/usr/local/bin"]),
        }
    )
    descriptors = [entity_descriptor(idp.server.config) for idp in idps]
    _, document = entities_descriptor(
        descriptors,
        24,
        "https://md.federation.example/",
        "aggregate-1",
        True,
        security_context(federation),
        sign_alg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
    )
    return str(document).encode()
