"""Our discovery manifest (ewp-specs-api-discovery v6): the host, the HEI it covers, the
APIs served now (Discovery, Echo, IIAs v7, IIA CNR v3, IIAs Approval v2, OMobility LAs v1.2,
OMobility LA CNR v1.1, OMobilities v3, IMobility ToR CNR v2, Institutions v2.2,
Organizational Units v2.1) and the public keys of our client and server."""

from __future__ import annotations

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

    discovery = etree.SubElement(
        apis, f"{{{DISCOVERY_V6.namespace}}}discovery", nsmap={"d6": DISCOVERY_V6.namespace}
    )
    discovery.set("version", "6.0.0")
    _sub(discovery, DISCOVERY_V6.namespace, "url", url("ewp:manifest"))

    echo = etree.SubElement(apis, f"{{{ECHO_V2.namespace}}}echo", nsmap={"e2": ECHO_V2.namespace})
    echo.set("version", "2.0.0")
    _http_security(echo, ECHO_V2.namespace)
    _sub(echo, ECHO_V2.namespace, "url", url("ewp:echo"))

    entry = iias.MANIFEST_ENTRY
    iias_v7 = etree.SubElement(apis, f"{{{entry}}}iias", nsmap={"i7": entry})
    iias_v7.set("version", iias.VERSION)
    _http_security(iias_v7, entry)
    _sub(iias_v7, entry, "get-url", url("ewp:iias_get"))
    _sub(iias_v7, entry, "max-iia-ids", str(iias.MAX_IIA_IDS))
    _sub(iias_v7, entry, "index-url", url("ewp:iias_index"))

    entry = cnr.MANIFEST_ENTRY
    iia_cnr = etree.SubElement(apis, f"{{{entry}}}iia-cnr", nsmap={"ic3": entry})
    iia_cnr.set("version", cnr.VERSION)
    _http_security(iia_cnr, entry)
    _sub(iia_cnr, entry, "url", url("ewp:iia_cnr"))

    entry = approval.MANIFEST_ENTRY
    approval_v2 = etree.SubElement(apis, f"{{{entry}}}iias-approval", nsmap={"ia2": entry})
    approval_v2.set("version", approval.VERSION)
    _http_security(approval_v2, entry)
    _sub(approval_v2, entry, "url", url("ewp:iias_approval"))
    _sub(approval_v2, entry, "max-iia-ids", str(approval.MAX_IIA_IDS))

    entry = las.MANIFEST_ENTRY
    las_v1 = etree.SubElement(apis, f"{{{entry}}}omobility-las", nsmap={"la1": entry})
    las_v1.set("version", las.VERSION)
    _http_security(las_v1, entry)
    _sub(las_v1, entry, "get-url", url("ewp:las_get"))
    _sub(las_v1, entry, "index-url", url("ewp:las_index"))
    _sub(las_v1, entry, "update-url", url("ewp:las_update"))
    _sub(las_v1, entry, "stats-url", url("ewp:las_stats"))
    _sub(las_v1, entry, "max-omobility-ids", str(las.MAX_OMOBILITY_IDS))

    entry = la_cnr.MANIFEST_ENTRY
    la_cnr_v1 = etree.SubElement(apis, f"{{{entry}}}omobility-la-cnr", nsmap={"lc1": entry})
    la_cnr_v1.set("version", la_cnr.VERSION)
    _http_security(la_cnr_v1, entry)
    _sub(la_cnr_v1, entry, "url", url("ewp:omobility_la_cnr"))
    _sub(la_cnr_v1, entry, "max-omobility-ids", str(la_cnr.MAX_OMOBILITY_IDS))

    entry = omobilities.MANIFEST_ENTRY
    omobilities_v3 = etree.SubElement(apis, f"{{{entry}}}omobilities", nsmap={"om3": entry})
    omobilities_v3.set("version", omobilities.VERSION)
    _http_security(omobilities_v3, entry)
    _sub(omobilities_v3, entry, "get-url", url("ewp:omobilities_get"))
    _sub(omobilities_v3, entry, "index-url", url("ewp:omobilities_index"))
    _sub(omobilities_v3, entry, "update-url", url("ewp:omobilities_update"))
    _sub(omobilities_v3, entry, "max-omobility-ids", str(omobilities.MAX_OMOBILITY_IDS))

    entry = tors.CNR_MANIFEST_ENTRY
    tor_cnr_v2 = etree.SubElement(apis, f"{{{entry}}}imobility-tor-cnr", nsmap={"tc2": entry})
    tor_cnr_v2.set("version", tors.CNR_VERSION)
    _http_security(tor_cnr_v2, entry)
    _sub(tor_cnr_v2, entry, "url", url("ewp:imobility_tor_cnr"))
    _sub(tor_cnr_v2, entry, "max-omobility-ids", str(tors.MAX_OMOBILITY_IDS))

    entry = institutions.INSTITUTIONS_ENTRY
    institutions_v2 = etree.SubElement(apis, f"{{{entry}}}institutions", nsmap={"in2": entry})
    institutions_v2.set("version", institutions.INSTITUTIONS_VERSION)
    _http_security(institutions_v2, entry)
    _sub(institutions_v2, entry, "url", url("ewp:institutions"))
    _sub(institutions_v2, entry, "max-hei-ids", str(institutions.MAX_HEI_IDS))

    entry = institutions.OUNITS_ENTRY
    ounits_v2 = etree.SubElement(apis, f"{{{entry}}}organizational-units", nsmap={"ou2": entry})
    ounits_v2.set("version", institutions.OUNITS_VERSION)
    _http_security(ounits_v2, entry)
    _sub(ounits_v2, entry, "url", url("ewp:ounits"))
    _sub(ounits_v2, entry, "max-ounit-ids", str(institutions.MAX_OUNIT_IDS))
    _sub(ounits_v2, entry, "max-ounit-codes", str(institutions.MAX_OUNIT_CODES))

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
