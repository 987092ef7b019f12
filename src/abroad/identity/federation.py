"""A federation's metadata aggregate (IDEM, eduGAIN): fetched from its URL, its signature
checked against the federation's certificate, kept in ``DATA_DIR/saml/`` and used from there.

pysaml2's own loader accepts an unsigned aggregate even when given a certificate, so abroad
fetches and checks it itself: the document must be signed at its root (the signature's
reference is the whole document or the root's ID) by the configured certificate. A fetch or a
check that fails keeps the last good copy, and says so in the log."""

from __future__ import annotations

import logging
from pathlib import Path

import requests
from django.conf import settings
from lxml import etree
from saml2.sigver import CryptoBackendXmlSec1, SecurityContext, SignatureError, get_xmlsec_binary

logger = logging.getLogger(__name__)

DS = "http://www.w3.org/2000/09/xmldsig#"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
ROOTS = {f"{{{MD}}}EntitiesDescriptor", f"{{{MD}}}EntityDescriptor"}
# eduGAIN's aggregate is about 100 MB; refuse anything far beyond.
MAX_BYTES = 300 * 1024 * 1024


class MetadataRefused(Exception):
    pass


def check_signed(document: bytes, cert_file: str) -> None:
    """Raise ``MetadataRefused`` unless ``document`` is SAML metadata signed at its root with
    the key of ``cert_file``."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(document, parser)
    except etree.XMLSyntaxError as problem:
        raise MetadataRefused(f"not XML: {problem}") from problem
    if root.tag not in ROOTS:
        raise MetadataRefused(f"not SAML metadata: {root.tag}")
    signature = root.find(f"{{{DS}}}Signature")
    first = next(root.iter(f"{{{DS}}}Signature"), None)
    if signature is None or first is not signature:
        raise MetadataRefused("the metadata is not signed at its root")
    references = signature.findall(f"{{{DS}}}SignedInfo/{{{DS}}}Reference")
    root_id = root.get("ID")
    if len(references) != 1 or references[0].get("URI") not in ("", f"#{root_id}"):
        raise MetadataRefused("the signature does not cover the whole metadata")
    local = etree.QName(root).localname
    security = SecurityContext(CryptoBackendXmlSec1(get_xmlsec_binary(["/usr/bin"])))
    try:
        valid = security.verify_signature(
            document, cert_file=cert_file, node_name=f"{MD}:{local}", node_id=root_id
        )
    except SignatureError as problem:
        raise MetadataRefused("the signature is wrong") from problem
    if not valid:
        raise MetadataRefused("the signature is wrong")


def cached_copy(name: str = "federation") -> Path:
    return Path(settings.DATA_DIR) / "saml" / f"{name}-metadata.xml"


def refresh(url: str = "", cert: str = "", name: str = "federation") -> Path | None:
    """Fetch and check the aggregate (the SAML federation's unless ``url`` and ``cert`` name
    another: the AgID registry of SPID's providers); the path of the good copy (this one or
    the last), None when there has never been one."""
    if not url:
        url, cert = settings.SAML_IDP_METADATA_URL, settings.SAML_IDP_METADATA_CERT
    copy = cached_copy(name)
    try:
        response = requests.get(url, timeout=60, stream=True)
        response.raise_for_status()
        document = response.raw.read(MAX_BYTES + 1, decode_content=True)
        if len(document) > MAX_BYTES:
            raise MetadataRefused(f"larger than {MAX_BYTES} bytes")
        check_signed(document, cert)
    except (requests.RequestException, MetadataRefused) as problem:
        logger.error("SAML metadata from %s refused or unreachable: %s", url, problem)
        return copy if copy.exists() else None
    copy.parent.mkdir(parents=True, exist_ok=True)
    partial = copy.with_suffix(".part")
    partial.write_bytes(document)
    partial.replace(copy)
    return copy
