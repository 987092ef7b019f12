"""The IIAs Approval API v2 of the node (ewp-specs-api-iias-approval, stable-v2).

The caller names agreements by *its own* iia-ids (``iia_id``, repeatable, at most
:data:`MAX_IIA_IDS`, GET or POST); we answer, for each one we have approved, its id and the
``iia-hash`` of the partner's copy we accepted (:attr:`IiaLink.partner_hash`, stored when the
office accepts their copy from the inbox). Ids of agreements with other partners, unknown ids
and agreements not approved are left out silently, as the specification says.

The client side (:func:`fetch_approvals`, ``python -m abroad ewp fetch-approvals``): we ask
each partner's IIAs Approval API which of *our* iia-ids it approved and with which hash, in
batches of its ``max-iia-ids``, and keep the answer per agreement
(:class:`~abroad.ewp.models.PartnerApproval`); each call is logged
(:class:`~abroad.ewp.models.ApprovalFetch`), failures with the error. Our copy counts as
approved only while the hash the partner approved is the hash of our copy now
(:func:`readiness`, the agreement page's approval readiness panel).

The IIA Approval CNR API (a partner telling us it approved) is not among the specifications
we implement: IIAs v7 partners send an IIA CNR instead, after which the worker asks the
partner's approvals (:func:`abroad.ewp.tasks.ask_approvals`); cron polls for the others. Our
approval reaches the partner the same way: accepting its copy saves the agreement, whose IIA
CNR follows (:mod:`abroad.ewp.network.cnr`, which tells it again when it notifies the copy we
approved and nothing of ours has said so since).
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from lxml import etree

from abroad.catalogue.enums import Programme
from abroad.catalogue.models import Agreement
from abroad.catalogue.queries import by_schac_codes
from abroad.ewp import iia, iia_diff, services, xml
from abroad.ewp.models import ApprovalFetch, IiaLink, Inbound, PartnerApproval
from abroad.ewp.network import iias
from abroad.ewp.network.client import CallError, call, failure
from abroad.ewp.network.registry import NS as REGISTRY_NS
from abroad.ewp.network.registry import Api, Catalogue, RegistryError, catalogue
from abroad.ewp.network.server import XML_TYPE, Caller, ewp_api, wanted_ids
from abroad.ewp.xml import EwpError

log = logging.getLogger(__name__)

MANIFEST_ENTRY = (
    "https://github.com/erasmus-without-paper/ewp-specs-api-iias-approval/blob/stable-v2/"
    "manifest-entry.xsd"
)
RESPONSE_NS = "https://github.com/erasmus-without-paper/ewp-specs-api-iias-approval/tree/stable-v2"
VERSION = "2.0.0"
MAX_IIA_IDS = 50  # the max-iia-ids of our manifest
IIAS_APPROVAL = Api("iias-approval", MANIFEST_ENTRY)
RESPONSE = xml.Kind(
    "iias-approval",
    RESPONSE_NS,
    "iias-approval-response",
    "ewp-specs-api-iias-approval/response.xsd",
    "stable-v2",
)
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
    wanted = wanted_ids(params, "iia_id", MAX_IIA_IDS)
    return HttpResponse(render(approved(caller, wanted)), content_type=XML_TYPE)


# ----------------------------------------------------------------------------------- client


def max_iia_ids(registry: Catalogue, hei_id: str) -> int:
    """The ``max-iia-ids`` of ``hei_id``'s IIAs Approval v2 entry in the catalogue (1 when it
    gives none: the smallest batch every server takes)."""
    ns = IIAS_APPROVAL.namespace
    found = []
    for host in registry.hosts():
        if hei_id not in (h.lower() for h in registry.heis_of(host)):
            continue
        apis = host.find("r:apis-implemented", REGISTRY_NS)
        for entry in apis.iterfind(f"{{{ns}}}iias-approval") if apis is not None else ():
            if not entry.get("version", "").startswith("2."):
                continue
            value = xml.text(entry.find(f"{{{ns}}}max-iia-ids"))
            if value.isdigit() and int(value) > 0:
                found.append(int(value))
    return max(found) if found else 1


def ask(hei_id: str, iia_ids: list[str]) -> tuple[dict[str, str], str]:
    """``hei_id``'s approvals of our ``iia_ids``: {our iia-id: the hash it approved} (the
    ids it does not approve are absent), and the request id; CallError when it fails."""
    answer = call(hei_id, IIAS_APPROVAL, 2, params=[("iia_id", i) for i in iia_ids])
    if answer.status != 200:
        raise failure("IIAs Approval", hei_id, answer)
    try:
        root = xml.read(RESPONSE, answer.body)
    except EwpError as error:
        raise CallError(str(error)) from None
    ns = {"a": RESPONSE_NS}
    wanted = set(iia_ids)
    found = {}
    for node in root.iterfind("a:approval", ns):
        our_id, approved_hash = xml.text(node, "a:iia-id", ns), xml.text(node, "a:iia-hash", ns)
        if our_id in wanted:  # an id we did not ask about is not ours to believe
            found[our_id] = approved_hash.lower()
    return found, answer.request_id


def _partners(hei_id: str | None) -> dict[str, list[Agreement]]:
    """Our Erasmus+ agreements by their partner's HEI id (one partner with ``hei_id``)."""
    agreements = (
        Agreement.objects.filter(programme=Programme.ERASMUS)
        .exclude(partner__schac_code="")
        .select_related("partner", "ewp", "ewp_approval")
        .order_by("pk")
    )
    if hei_id:
        agreements = agreements.filter(by_schac_codes([hei_id.strip().lower()], "partner__"))
    grouped: dict[str, list[Agreement]] = defaultdict(list)
    for agreement in agreements:
        grouped[(agreement.partner.schac_code or "").strip().lower()].append(agreement)
    return grouped


def _record(agreement: Agreement, hei_id: str, approved_hash: str, request_id: str) -> None:
    now = timezone.now()
    try:
        held: PartnerApproval | None = agreement.ewp_approval
    except PartnerApproval.DoesNotExist:
        held = None
    if held is None:
        held = PartnerApproval(agreement=agreement)
    if held.iia_hash != approved_hash or (approved_hash and held.approved_since is None):
        held.approved_since = now if approved_hash else None
    held.hei_id = hei_id
    held.iia_hash = approved_hash
    held.checked_at = now
    held.request_id = request_id
    held.save()


@dataclass
class Fetched:
    calls: list[ApprovalFetch] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # partners not served by the network
    problem: str = ""  # the registry could not be read: nobody was asked

    @property
    def failed(self) -> list[ApprovalFetch]:
        return [c for c in self.calls if c.state == ApprovalFetch.State.FAILED]


def fetch_approvals(hei_id: str | None = None) -> Fetched:
    """Ask each partner (or the one ``hei_id`` names) whose node the catalogue lists with
    IIAs Approval v2 which of our agreements with it it approved, in batches of its
    ``max-iia-ids``; keep the answers and log each call."""
    result = Fetched()
    try:
        registry = catalogue()
    except RegistryError as error:
        log.warning("EWP approvals not asked: %s", error)
        result.problem = str(error)
        if hei_id:
            result.calls.append(
                ApprovalFetch.objects.create(
                    hei_id=hei_id.lower(), state=ApprovalFetch.State.FAILED, error=str(error)
                )
            )
        return result
    for partner, agreements in _partners(hei_id).items():
        if registry.endpoint(partner, IIAS_APPROVAL, 2) is None:
            result.skipped.append(partner)
            continue
        size = max_iia_ids(registry, partner)
        for start in range(0, len(agreements), size):
            batch = agreements[start : start + size]
            ids = {iias.iia_id(a): a for a in batch}
            call_log = ApprovalFetch(hei_id=partner, asked=len(ids))
            try:
                found, request_id = ask(partner, list(ids))
            except CallError as error:
                call_log.state = ApprovalFetch.State.FAILED
                call_log.error = str(error)[:2000]
                log.warning("EWP approvals of %s: %s", partner, call_log.error)
            else:
                call_log.state = ApprovalFetch.State.DONE
                call_log.request_id = request_id
                call_log.approved = len(found)
                with transaction.atomic():
                    for our_id, agreement in ids.items():
                        _record(agreement, partner, found.get(our_id, ""), request_id)
            call_log.save()
            result.calls.append(call_log)
    return result


# ------------------------------------------------------------------------ the readiness


@dataclass
class Readiness:
    """The approval readiness of one agreement, as the office's panel shows it."""

    our_hash: str
    their_hash: str  # of the last copy received from the partner
    their_copy_at: datetime | None
    partner_approval: PartnerApproval | None
    we_approved_hash: str  # the hash of their copy the office accepted
    differences: list[iia_diff.Difference]
    last_call: ApprovalFetch | None
    problem: str = ""

    @property
    def approved_by_partner(self) -> bool:
        """The partner approved our copy as it is now."""
        held = self.partner_approval
        return bool(self.our_hash and held is not None and held.iia_hash == self.our_hash)

    @property
    def partner_approved_earlier(self) -> bool:
        """The partner approved a copy of ours that has changed since."""
        held = self.partner_approval
        return bool(held is not None and held.iia_hash and not self.approved_by_partner)

    @property
    def we_approved(self) -> bool:
        return bool(self.we_approved_hash and self.we_approved_hash == self.their_hash)

    @property
    def we_approved_earlier(self) -> bool:
        return bool(self.we_approved_hash and not self.we_approved)


def their_copy(
    agreement: Agreement, link: IiaLink
) -> tuple[etree._Element | None, datetime | None]:
    """The partner's copy last received (waiting in the inbox or accepted), else the one the
    office accepted; with when it came."""
    last = (
        Inbound.objects.filter(agreement=agreement, kind=Inbound.Kind.IIA)
        .select_related("source")
        .order_by("-received_at", "-pk")
        .first()
    )
    if last is not None:
        root = xml.parse(last.source.text)
        found = root.findall("i:iia", iia.NS)
        if last.position < len(found):
            return found[last.position], last.received_at
    if link.partner_xml:
        return iia_diff.first_iia(xml.parse(link.partner_xml)), link.partner_updated_at
    return None, None


def readiness(agreement: Agreement, link: IiaLink) -> Readiness:
    """Our hash, the partner's, who approved what, and how the two copies differ."""
    problem = ""
    ours: etree._Element | None = None
    our_hash = ""
    try:
        ours = iia_diff.first_iia(xml.parse(services.export_iia(agreement), ours=True))
        our_hash = iia.iia_hash(ours)
    except EwpError as error:
        problem = str(error)
    try:
        theirs, received_at = their_copy(agreement, link)
    except EwpError:  # a copy kept before a stricter check: shown as none
        theirs, received_at = None, None
    their_hash = xml.text(theirs, "i:iia-hash", iia.NS) if theirs is not None else ""
    try:
        held: PartnerApproval | None = agreement.ewp_approval
    except PartnerApproval.DoesNotExist:
        held = None
    hei_id = (agreement.partner.schac_code or "").strip().lower()
    last_call = ApprovalFetch.objects.filter(hei_id=hei_id).first() if hei_id else None
    differences = iia_diff.compare(ours, theirs) if ours is not None and theirs is not None else []
    return Readiness(
        our_hash=our_hash,
        their_hash=their_hash.lower(),
        their_copy_at=received_at,
        partner_approval=held,
        we_approved_hash=link.partner_hash.lower(),
        differences=differences,
        last_call=last_call,
        problem=problem,
    )


def inbound_differences(inbound: Inbound, agreement: Agreement) -> list[iia_diff.Difference]:
    """How a received copy (an inbox entry) differs from our copy of ``agreement``: the
    same rule as the readiness panel."""
    ours = iia_diff.first_iia(xml.parse(services.export_iia(agreement), ours=True))
    theirs = iia_diff.first_iia(xml.parse(inbound.source.text), inbound.position)
    return iia_diff.compare(ours, theirs)
