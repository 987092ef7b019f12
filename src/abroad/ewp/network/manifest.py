"""Our discovery manifest (ewp-specs-api-discovery v6): the host, the HEI it covers, the
APIs served now (Discovery, Echo, IIAs v7, IIA CNR v3, IIAs Approval v2, OMobility LAs v1.2,
OMobility LA CNR v1.1, OMobilities v3, IMobility ToR CNR v2, Institutions v2.2,
Organizational Units v2.1) and the public keys of our client and server."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.urls import reverse
from lxml import etree

from abroad.catalogue.models import Institution
from abroad.ewp.network import (
    approval,
    cnr,
    iias,
    institutions,
    keys,
    la_cnr,
    las,
    omobilities,
    tors,
)
from abroad.ewp.network.registry import DISCOVERY_V6, ECHO_V2, REGISTRY
from abroad.ewp.services import home_hei

MANIFEST = "https://github.com/erasmus-without-paper/ewp-specs-api-discovery/tree/stable-v6"
COMMON = "https://github.com/erasmus-without-paper/ewp-specs-architecture/blob/stable-v1/common-types.xsd"
SEC = "https://github.com/erasmus-without-paper/ewp-specs-sec-intro/tree/stable-v2"
CLIAUTH_HTTPSIG = (
    "https://github.com/erasmus-without-paper/ewp-specs-sec-cliauth-httpsig/tree/stable-v1"
)
SRVAUTH_TLSCERT = (
    "https://github.com/erasmus-without-paper/ewp-specs-sec-srvauth-tlscert/tree/stable-v1"
)
SRVAUTH_HTTPSIG = (
    "https://github.com/erasmus-without-paper/ewp-specs-sec-srvauth-httpsig/tree/stable-v1"
)
XML_NS = "http://www.w3.org/XML/1998/namespace"


def url(name: str) -> str:
    return settings.SITE_URL + reverse(name)


def admin_email() -> str:
    return settings.EWP_ADMIN_EMAIL or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def _sub(
    parent: etree._Element, namespace: str, name: str, text: str | None = None
) -> etree._Element:
    node = etree.SubElement(parent, f"{{{namespace}}}{name}")
    if text is not None:
        node.text = text
    return node


def _http_security(entry: etree._Element, namespace: str) -> None:
    """HTTP signatures for clients; TLS or HTTP signatures for servers (we sign always)."""
    security = _sub(entry, namespace, "http-security")
    clients = _sub(security, SEC, "client-auth-methods")
    etree.SubElement(clients, f"{{{CLIAUTH_HTTPSIG}}}httpsig", nsmap={"a2": CLIAUTH_HTTPSIG})
    servers = _sub(security, SEC, "server-auth-methods")
    etree.SubElement(servers, f"{{{SRVAUTH_TLSCERT}}}tlscert", nsmap={"b1": SRVAUTH_TLSCERT})
    etree.SubElement(servers, f"{{{SRVAUTH_HTTPSIG}}}httpsig", nsmap={"b2": SRVAUTH_HTTPSIG})


@dataclass(frozen=True)
class Entry:
    """One API of the manifest: its element in its manifest-entry namespace (written with
    ``prefix``), its version, whether it names its HTTP security, and its children in the
    schema's order: a ``str`` value is the name of one of our URLs, an ``int`` a limit."""

    namespace: str
    element: str
    prefix: str
    version: str
    children: tuple[tuple[str, str | int], ...]
    secured: bool = True

    def write(self, apis: etree._Element) -> None:
        entry = etree.SubElement(
            apis, f"{{{self.namespace}}}{self.element}", nsmap={self.prefix: self.namespace}
        )
        entry.set("version", self.version)
        if self.secured:
            _http_security(entry, self.namespace)
        for name, value in self.children:
            _sub(entry, self.namespace, name, url(value) if isinstance(value, str) else str(value))


APIS = (
    Entry(
        DISCOVERY_V6.namespace,
        "discovery",
        "d6",
        "6.0.0",
        (("url", "ewp:manifest"),),
        secured=False,
    ),
    Entry(ECHO_V2.namespace, "echo", "e2", "2.0.0", (("url", "ewp:echo"),)),
    Entry(
        iias.MANIFEST_ENTRY,
        "iias",
        "i7",
        iias.VERSION,
        (
            ("get-url", "ewp:iias_get"),
            ("max-iia-ids", iias.MAX_IIA_IDS),
            ("index-url", "ewp:iias_index"),
        ),
    ),
    Entry(cnr.MANIFEST_ENTRY, "iia-cnr", "ic3", cnr.VERSION, (("url", "ewp:iia_cnr"),)),
    Entry(
        approval.MANIFEST_ENTRY,
        "iias-approval",
        "ia2",
        approval.VERSION,
        (("url", "ewp:iias_approval"), ("max-iia-ids", approval.MAX_IIA_IDS)),
    ),
    Entry(
        las.MANIFEST_ENTRY,
        "omobility-las",
        "la1",
        las.VERSION,
        (
            ("get-url", "ewp:las_get"),
            ("index-url", "ewp:las_index"),
            ("update-url", "ewp:las_update"),
            ("stats-url", "ewp:las_stats"),
            ("max-omobility-ids", las.MAX_OMOBILITY_IDS),
        ),
    ),
    Entry(
        la_cnr.MANIFEST_ENTRY,
        "omobility-la-cnr",
        "lc1",
        la_cnr.VERSION,
        (("url", "ewp:omobility_la_cnr"), ("max-omobility-ids", la_cnr.MAX_OMOBILITY_IDS)),
    ),
    Entry(
        omobilities.MANIFEST_ENTRY,
        "omobilities",
        "om3",
        omobilities.VERSION,
        (
            ("get-url", "ewp:omobilities_get"),
            ("index-url", "ewp:omobilities_index"),
            ("update-url", "ewp:omobilities_update"),
            ("max-omobility-ids", omobilities.MAX_OMOBILITY_IDS),
        ),
    ),
    Entry(
        tors.CNR_MANIFEST_ENTRY,
        "imobility-tor-cnr",
        "tc2",
        tors.CNR_VERSION,
        (("url", "ewp:imobility_tor_cnr"), ("max-omobility-ids", tors.MAX_OMOBILITY_IDS)),
    ),
    Entry(
        institutions.INSTITUTIONS_ENTRY,
        "institutions",
        "in2",
        institutions.INSTITUTIONS_VERSION,
        (("url", "ewp:institutions"), ("max-hei-ids", institutions.MAX_HEI_IDS)),
    ),
    Entry(
        institutions.OUNITS_ENTRY,
        "organizational-units",
        "ou2",
        institutions.OUNITS_VERSION,
        (
            ("url", "ewp:ounits"),
            ("max-ounit-ids", institutions.MAX_OUNIT_IDS),
            ("max-ounit-codes", institutions.MAX_OUNIT_CODES),
        ),
    ),
)


def build() -> bytes:
    hei_id = home_hei()
    root = etree.Element(
        f"{{{MANIFEST}}}manifest",
        nsmap={None: MANIFEST, "ewp": COMMON, "r": REGISTRY, "sec": SEC},
    )
    host = _sub(root, MANIFEST, "host")
    _sub(host, COMMON, "admin-email", admin_email())
    _sub(host, COMMON, "admin-provider", "abroad")
    _sub(host, COMMON, "admin-notes", f"{settings.SITE_NAME}: an abroad node")
    apis = _sub(host, REGISTRY, "apis-implemented")

    for api in APIS:
        api.write(apis)

    covered = _sub(host, MANIFEST, "institutions-covered")
    hei = _sub(covered, REGISTRY, "hei")
    hei.set("id", hei_id)
    home = Institution.objects.find_home()
    if home is not None and home.erasmus_code:
        _sub(hei, REGISTRY, "other-id", home.erasmus_code).set("type", "erasmus")
    for lang, text in institutions.names(home, hei_id):  # as the Institutions API names us
        name = _sub(hei, REGISTRY, "name", text)
        if lang:
            name.set(f"{{{XML_NS}}}lang", lang)

    for role in keys.ROLES:
        section = _sub(host, MANIFEST, f"{role}-credentials-in-use")
        for pair in keys.published(role):
            _sub(section, MANIFEST, "rsa-public-key", pair.public_base64)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
