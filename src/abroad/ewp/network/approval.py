"""The IIAs Approval API v2 of the node (ewp-specs-api-iias-approval, stable-v2).

The caller names agreements by *its own* iia-ids (``iia_id``, repeatable, at most
:data:`MAX_IIA_IDS`, GET or POST); we answer, for each one we have approved, its id and the
``iia-hash`` of the partner's copy we accepted (:attr:`IiaLink.partner_hash`, stored when the
office accepts their copy from the inbox). Ids of agreements with other partners, unknown ids
and agreements not approved are left out silently, as the specification says.
"""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse
from lxml import etree

from abroad.catalogue.enums import Programme
from abroad.catalogue.queries import by_schac_codes
from abroad.ewp.models import IiaLink
from abroad.ewp.network import iias
from abroad.ewp.network.httpsig import Refused
from abroad.ewp.network.registry import Api
from abroad.ewp.network.server import XML_TYPE, Caller, ewp_api

MANIFEST_ENTRY = (
    "https://github.com/erasmus-without-paper/ewp-specs-api-iias-approval/blob/stable-v2/"
    "manifest-entry.xsd"
)
RESPONSE_NS = "https://github.com/erasmus-without-paper/ewp-specs-api-iias-approval/tree/stable-v2"
VERSION = "2.0.0"
MAX_IIA_IDS = 50  # the max-iia-ids of our manifest
IIAS_APPROVAL = Api("iias-approval", MANIFEST_ENTRY)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def approved(caller: Caller, wanted: list[str]) -> list[tuple[str, str]]:
    """(their iia-id, the hash we approved) for the ids ``wanted`` that name an Erasmus+
    agreement between the caller and us whose copy we accepted; in the order asked."""
    ids = list(dict.fromkeys(v.strip() for v in wanted if v.strip()))
    links = IiaLink.objects.filter(
        by_schac_codes(caller.hei_ids, "agreement__partner__"),
        partner_iia_id__in=ids,
        agreement__programme=Programme.ERASMUS,
    ).exclude(partner_hash="")
    found = {link.partner_iia_id: link.partner_hash.lower() for link in links}
    return [(i, found[i]) for i in ids if i in found and _SHA256.match(found[i])]


def render(approvals: list[tuple[str, str]]) -> bytes:
    root = etree.Element(f"{{{RESPONSE_NS}}}iias-approval-response", nsmap={None: RESPONSE_NS})
    for iia_id, iia_hash in approvals:
        node = etree.SubElement(root, f"{{{RESPONSE_NS}}}approval")
        etree.SubElement(node, f"{{{RESPONSE_NS}}}iia-id").text = iia_id
        etree.SubElement(node, f"{{{RESPONSE_NS}}}iia-hash").text = iia_hash
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@ewp_api(methods=("GET", "POST"))
def iias_approval(request: HttpRequest, caller: Caller) -> HttpResponse:
    params = iias.parameters(request)
    wanted = params.getlist("iia_id")
    if not wanted:
        raise Refused(400, "Give at least one iia_id.")
    if len(wanted) > MAX_IIA_IDS:
        raise Refused(400, f"Give at most {MAX_IIA_IDS} iia_id values (max-iia-ids).")
    return HttpResponse(render(approved(caller, wanted)), content_type=XML_TYPE)
