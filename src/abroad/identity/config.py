"""The service provider's pysaml2 configuration, built from abroad's settings
(``SAML_CONFIG_LOADER`` points here). Built once and kept for
``SAML_METADATA_REFRESH_MINUTES``: a federation's metadata (IDEM, eduGAIN) is fetched again,
and its signature checked again, when that time is up."""

from __future__ import annotations

import os
import time
from functools import lru_cache
from typing import Any

import saml2
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.translation import get_language
from djangosaml2.utils import available_idps
from saml2.config import SPConfig
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT
from saml2.sigver import get_xmlsec_binary
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from abroad.identity import federation
from abroad.identity.attributes import NAME_ID


def saml_on() -> bool:
    return "saml" in settings.LOGIN_METHODS


def config_dict() -> dict[str, Any]:
    """The pysaml2 configuration (a dict, as pysaml2 documents it)."""
    key, cert = settings.SAML_KEY_FILE, settings.SAML_CERT_FILE
    if not key or not cert:
        raise ImproperlyConfigured(
            "SAML log-in needs the service provider's key and certificate: set "
            "ABROAD_SAML_KEY_FILE and ABROAD_SAML_CERT_FILE (docs/operator-guide.md)."
        )
    files = list(settings.SAML_IDP_METADATA_FILES)
    if settings.SAML_IDP_METADATA_URL and not settings.SAML_IDP_METADATA_CERT:
        raise ImproperlyConfigured(
            "ABROAD_SAML_IDP_METADATA_URL needs ABROAD_SAML_IDP_METADATA_CERT, the "
            "federation's metadata signing certificate: unsigned metadata is refused."
        )
    if not files and not settings.SAML_IDP_METADATA_URL:
        raise ImproperlyConfigured(
            "SAML log-in needs the identity providers' metadata: set "
            "ABROAD_SAML_IDP_METADATA_FILES or ABROAD_SAML_IDP_METADATA_URL."
        )
    base = settings.SITE_URL
    username = settings.SAML_USERNAME_ATTRIBUTE
    wanted = [name for name in settings.SAML_ATTRIBUTE_MAP.values() if name]
    metadata: dict[str, Any] = {"local": files}
    return {
        "entityid": settings.SAML_ENTITY_ID,
        "xmlsec_binary": get_xmlsec_binary(["/usr/bin", "/usr/local/bin"]),
        "allow_unknown_attributes": True,
        "accepted_time_diff": settings.SAML_CLOCK_SKEW_SECONDS,
        "service": {
            "sp": {
                "name": settings.SITE_NAME,
                "name_id_format": [NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT],
                "endpoints": {
                    "assertion_consumer_service": [(f"{base}/saml2/acs/", saml2.BINDING_HTTP_POST)],
                    "single_logout_service": [
                        (f"{base}/saml2/ls/", saml2.BINDING_HTTP_REDIRECT),
                        (f"{base}/saml2/ls/post/", saml2.BINDING_HTTP_POST),
                    ],
                },
                "authn_requests_signed": True,
                "logout_requests_signed": True,
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
                # The response or the assertion in it must carry the IdP's signature.
                "want_response_signed": False,
                "want_assertions_signed": False,
                "want_assertions_or_response_signed": True,
                "allow_unsolicited": False,
                "required_attributes": [] if username == NAME_ID else [username],
                "optional_attributes": wanted,
            }
        },
        "metadata": metadata,
        "key_file": key,
        "cert_file": cert,
        "encryption_keypairs": [
            {
                "key_file": settings.SAML_ENCRYPTION_KEY_FILE or key,
                "cert_file": settings.SAML_ENCRYPTION_CERT_FILE or cert,
            }
        ],
    }


def _modified(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


@lru_cache(maxsize=2)
def _config(_signature: str, _period: int) -> SPConfig:
    config = config_dict()
    if settings.SAML_IDP_METADATA_URL:
        # fetched and checked here (abroad/identity/federation.py), then read as a file
        aggregate = federation.refresh()
        if aggregate is not None:
            config["metadata"]["local"] = [*config["metadata"]["local"], str(aggregate)]
    conf = SPConfig()
    conf.load(config)
    return conf


def sp_config(request: HttpRequest | None = None) -> SPConfig:
    """djangosaml2's configuration loader."""
    # A metadata file replaced on disk is read again at once, not only after the refresh.
    stamps = [_modified(path) for path in settings.SAML_IDP_METADATA_FILES]
    federation_source = (settings.SAML_IDP_METADATA_URL, settings.SAML_IDP_METADATA_CERT)
    signature = repr((config_dict(), stamps, federation_source))
    period = int(time.time() // max(60, settings.SAML_METADATA_REFRESH_MINUTES * 60))
    return _config(signature, period)


def identity_providers() -> list[tuple[str, str]]:
    """The configured identity providers, (entity id, name in the reader's language, else in
    English, else the entity id), by name."""
    conf = sp_config()
    language = (get_language() or "en").split("-")[0]
    shown = available_idps(conf, language)
    english = available_idps(conf, "en")
    names = [(idp, str(shown[idp] or english.get(idp) or idp)) for idp in shown]
    return sorted(names, key=lambda pair: pair[1].casefold())
