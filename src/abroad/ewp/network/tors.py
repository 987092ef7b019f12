"""Transcripts of records over the network: the ToR CNR API v2 we serve, and our client of the
partners' IMobility ToRs API v3 (the registry's vendored v2.0.0 and v3.0.0 schemas).

We are the sending HEI: the receiving HEI (the partner) issues the transcript of OUR student and
serves it with its IMobility ToRs ``get``; it tells us with a ToR CNR. ``/ewp/imobility-tor-cnr``
(POST: ``receiving_hei_id``, one of the caller's HEIs, and ``omobility_id``, repeatable, at most
:data:`MAX_OMOBILITY_IDS`; a ``sending_hei_id``, if given, must be ours) is answered at once
with the empty ``imobility-tor-cnr-response`` and recorded as a
:class:`~abroad.ewp.models.PendingCnr` of kind ``tor``, one per mobility of ours the caller
receives (others are ignored, as unknown ids are). The background task
:func:`~abroad.ewp.tasks.process_cnr`, enqueued when the request commits (or ``python -m
abroad ewp process-cnrs``), then fetches the transcript with a signed call verified as every
answer is (:func:`fetch_document`) and hands the document to :func:`services.import_tors`,
exactly as an uploaded ToR file goes: entered into the recognition of the mobility, or kept
as refused with the reason. A partner that is down leaves the notification waiting, tried
again with the pauses of :mod:`abroad.ewp.network.cnr`.
"""

from __future__ import annotations

import hashlib
import logging

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from abroad.ewp import nominations, services, tasks, xml
from abroad.ewp.models import Inbound, PendingCnr
from abroad.ewp.network.client import CallError, call, failure
from abroad.ewp.network.httpsig import Refused
from abroad.ewp.network.iias import _single, parameters
from abroad.ewp.network.omobilities import by_omobility_id
from abroad.ewp.network.registry import Api
from abroad.ewp.network.server import XML_TYPE, Caller, ewp_api, served_hei, wanted_ids
from abroad.ewp.xml import EwpError

log = logging.getLogger(__name__)

CNR_MANIFEST_ENTRY = (
    "https://github.com/erasmus-without-paper/ewp-specs-api-imobility-tor-cnr/blob/stable-v2/"
    "manifest-entry.xsd"
)
CNR_RESPONSE_NS = (
    "https://github.com/erasmus-without-paper/ewp-specs-api-imobility-tor-cnr/tree/stable-v2"
)
CNR_VERSION = "2.0.0"
MAX_OMOBILITY_IDS = 50  # the max-omobility-ids of our manifest entry
TORS_MANIFEST_ENTRY = (
    "https://github.com/erasmus-without-paper/ewp-specs-api-imobility-tors/blob/stable-v3/"
    "manifest-entry.xsd"
)
TOR_CNR = Api("imobility-tor-cnr", CNR_MANIFEST_ENTRY)
TORS_GET = Api("imobility-tors", TORS_MANIFEST_ENTRY, "get-url")


# --------------------------------------------------------------------------------- receiving


def response() -> bytes:
    root = etree.Element(
        f"{{{CNR_RESPONSE_NS}}}imobility-tor-cnr-response", nsmap={None: CNR_RESPONSE_NS}
    )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@transaction.atomic
def record(caller: Caller, hei_id: str, omobility_ids: list[str]) -> list[PendingCnr]:
    """One waiting notification per mobility of ours that ``hei_id`` receives (enqueued for
    the worker on commit); one for the same mobility still waiting is brought forward instead
    of repeated."""
    now = timezone.now()
    found = []
    for mobility in by_omobility_id(caller, omobility_ids):
        if (mobility.host.schac_code or "").lower() != hei_id:
            continue
        omobility_id = services.omobility_id(mobility)
        waiting = PendingCnr.objects.filter(
            kind=PendingCnr.Kind.TOR,
            hei_id=hei_id,
            omobility_id=omobility_id,
            state=PendingCnr.State.PENDING,
        ).first()
        if waiting is not None:
            waiting.next_try_at = now
            waiting.request_id = caller.request_id
            waiting.save(update_fields=["next_try_at", "request_id"])
            found.append(waiting)
            continue
        found.append(
            PendingCnr.objects.create(
                kind=PendingCnr.Kind.TOR,
                hei_id=hei_id,
                omobility_id=omobility_id,
                request_id=caller.request_id,
                next_try_at=now,
            )
        )
    tasks.process_on_commit([pending.pk for pending in found])
    return found


@ewp_api(methods=("POST",))
def tor_cnr(request: HttpRequest, caller: Caller) -> HttpResponse:
    params = parameters(request)
    receiving = (_single(params, "receiving_hei_id", required=True) or "").strip().lower()
    if receiving not in {h.lower() for h in caller.hei_ids}:
        raise Refused(
            400, f"receiving_hei_id {receiving!r} is not one of the HEIs your key covers."
        )
    sending = _single(params, "sending_hei_id", required=False)
    if sending is not None:
        home = served_hei("ToR CNR refused")
        if sending.strip().lower() != home:
            raise Refused(400, f"This node does not cover the sending HEI {sending!r}.")
    ids = [v.strip() for v in wanted_ids(params, "omobility_id", MAX_OMOBILITY_IDS)]
    record(caller, receiving, ids)
    return HttpResponse(response(), content_type=XML_TYPE)


# -------------------------------------------------------------------------------- processing


def fetch_document(hei_id: str, omobility_ids: list[str]) -> bytes | None:
    """``hei_id``'s IMobility ToRs get v3 answer for ``omobility_ids``, verified and valid
    (v3, or v2 from an older node); None when it serves no transcript of them yet."""
    answer = call(
        hei_id,
        TORS_GET,
        3,
        params=[("receiving_hei_id", hei_id), *[("omobility_id", i) for i in omobility_ids]],
    )
    if answer.status != 200:
        raise failure("IMobility ToRs", hei_id, answer)
    try:
        root = xml.parse(answer.body)
        v3 = etree.QName(root).namespace == nominations.TORS_V3
        root = xml.read(nominations.TORS_GET_V3 if v3 else xml.TORS_GET, answer.body)
    except EwpError as error:
        raise CallError(str(error)) from None
    if not len(root):
        return None
    return answer.body


def fetch_into_inbox(cnr: PendingCnr) -> str:
    """Fetch the transcript a ToR CNR names and put it in the inbox as an upload; the outcome.
    CallError or EwpError when it cannot be fetched (the notification waits)."""
    data = fetch_document(cnr.hei_id, [cnr.omobility_id])
    if data is None:
        return _("%(hei)s serves no transcript of %(omobility_id)s yet.") % {
            "hei": cnr.hei_id,
            "omobility_id": cnr.omobility_id,
        }
    digest = hashlib.sha256(xml.stored(data).encode("utf-8")).hexdigest()
    if Inbound.objects.filter(source__sha256=digest, kind=Inbound.Kind.TOR).exists():
        return _("The same transcript is already in the inbox.")
    received = services.import_tors(
        data=data, file_name=f"EWP {cnr.hei_id} {cnr.omobility_id}.xml", actor=None
    )
    return "; ".join(
        _("%(summary)s (inbox #%(number)s)") % {"summary": i.summary, "number": i.pk}
        for i in received
    )
