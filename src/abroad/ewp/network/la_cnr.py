"""The OMobility LA CNR API v1 (ewp-specs-api-omobility-la-cnr, stable-v1, 1.1.0), both ways.

Sending (our outgoing students): when a learning agreement changes as the receiving HEI sees it
(a version the promoter approved, the host signed or a version returned), the receiving HEI's
LA CNR endpoint is told once the mobility's learning agreement has been left alone for
:data:`cnr.DEBOUNCE`: saving a version enqueues (on commit) the background task
:func:`~abroad.ewp.tasks.send_la_cnr` due then, a further save moves it later (one
notification for a burst), and :func:`run_mobility` sends it if :func:`due_mobilities` says
so; a failed one is enqueued again with the same pauses as the IIA ones, all through the
machinery of :mod:`abroad.ewp.network.cnr` (logged as a :class:`SentCnr` of kind ``la``).
``python -m abroad ewp process-cnrs`` sends everything due at once (:func:`send_due`). A version
only the student signed is not the sending HEI's proposal yet: nothing is sent until the
promoter approves it.

Receiving: an LA CNR is about the *partner's* outgoing students, whose learning agreements we
would host. abroad keeps no incoming mobilities, so there is nothing to fetch: the notification
is answered as the specification asks (HTTP 200 with the empty ``omobility-la-cnr-response``,
the request checked) and written to the log. docs/ewp.md says so.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, Exists, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from lxml import etree

from abroad.ewp import services, tasks
from abroad.ewp.models import SentCnr
from abroad.ewp.network import cnr
from abroad.ewp.network.httpsig import Refused
from abroad.ewp.network.iias import _single, parameters
from abroad.ewp.network.registry import Api, RegistryError, catalogue
from abroad.ewp.network.server import XML_TYPE, Caller, ewp_api, wanted_ids
from abroad.ewp.xml import EwpError
from abroad.mobility.models import LearningAgreement, Mobility

log = logging.getLogger(__name__)

MANIFEST_ENTRY = (
    "https://github.com/erasmus-without-paper/ewp-specs-api-omobility-la-cnr/blob/stable-v1/"
    "manifest-entry.xsd"
)
RESPONSE_NS = (
    "https://github.com/erasmus-without-paper/ewp-specs-api-omobility-la-cnr/tree/stable-v1"
)
VERSION = "1.1.0"
MAX_OMOBILITY_IDS = 50  # the max-omobility-ids of our manifest
LA_CNR = Api("omobility-la-cnr", MANIFEST_ENTRY)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --------------------------------------------------------------------------------- receiving


def response() -> bytes:
    root = etree.Element(f"{{{RESPONSE_NS}}}omobility-la-cnr-response", nsmap={None: RESPONSE_NS})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@ewp_api(methods=("POST",))
def omobility_la_cnr(request: HttpRequest, caller: Caller) -> HttpResponse:
    params = parameters(request)
    sending = (_single(params, "sending_hei_id", required=True) or "").strip().lower()
    if sending not in {h.lower() for h in caller.hei_ids}:
        raise Refused(400, f"sending_hei_id {sending!r} is not one of the HEIs your key covers.")
    ids = [v.strip() for v in wanted_ids(params, "omobility_id", MAX_OMOBILITY_IDS)]
    # abroad keeps no incoming mobilities: nothing to fetch (docs/ewp.md).
    log.info(
        "EWP LA CNR from %s for %s (request %s): abroad keeps no incoming mobilities, not fetched",
        sending,
        " ".join(ids),
        caller.request_id,
    )
    return HttpResponse(response(), content_type=XML_TYPE)


# ----------------------------------------------------------------------------------- sending


def notify(mobility: Mobility) -> SentCnr:
    """Tell the receiving HEI of ``mobility`` that its learning agreement changed (its
    OMobility LA CNR v1), and log it."""
    hei_id = (mobility.host.schac_code or "").strip().lower()
    omobility_id = str(services.mobility_link(mobility).omobility_id)
    sent = SentCnr(
        kind=SentCnr.Kind.LA, mobility=mobility, hei_id=hei_id, omobility_id=omobility_id
    )
    try:
        home = services.home_hei()
    except EwpError as error:
        sent.state = SentCnr.State.FAILED
        sent.error = str(error)[:2000]
        sent.save()
        return sent
    return cnr.deliver(
        sent,
        LA_CNR,
        1,
        [("sending_hei_id", home), ("omobility_id", omobility_id)],
        missing=f"{mobility.host} has no SCHAC code, its id in EWP.",
    )


def changed_at() -> Subquery:
    """When the mobility's learning agreement last changed as the receiving HEI sees it: the
    latest time a version was approved by the promoter, signed by the host or returned."""
    epoch = Value(_EPOCH, output_field=DateTimeField())
    versions = (
        LearningAgreement.objects.filter(mobility=OuterRef("pk"))
        .annotate(
            changed=Greatest(
                Coalesce("promoter_signed_at", epoch),
                Coalesce("host_signed_at", epoch),
                Coalesce("returned_at", epoch),
                output_field=DateTimeField(),
            )
        )
        .order_by("-changed")
        .values("changed")[:1]
    )
    return Subquery(versions, output_field=DateTimeField())


def due_mobilities(
    now: datetime | None = None, limit: int = 100, pks: list[int] | None = None
) -> list[Mobility]:
    """The mobilities whose receiving HEI should be told their learning agreement changed
    (:func:`cnr.due`'s rules); only those with a version the promoter approved (the partner
    saw it), at hosts whose node the catalogue lists with LA CNR v1; of ``pks`` when given."""
    now = now or timezone.now()
    try:
        registry = catalogue()
    except RegistryError as error:
        log.warning("EWP LA CNRs not sent: %s", error)
        return []
    # A mobility the receiving HEI has seen: some version was approved by the promoter (it
    # may be returned since, by the host: they are told that too).
    seen = LearningAgreement.objects.filter(
        mobility=OuterRef("pk"), promoter_signed_at__isnull=False
    )
    candidates = (
        Mobility.objects.filter(Exists(seen))
        .exclude(host__schac_code="")
        .select_related("host", "ewp")
        .annotate(la_changed=changed_at(), **cnr.last_notification("mobility"))
        .filter(cnr.changed_since_notified("la_changed", now))
        .order_by("la_changed", "pk")
    )
    if pks is not None:
        candidates = candidates.filter(pk__in=pks)
    return cnr.due(
        candidates,
        subject="mobility",
        changed="la_changed",
        hei_of=lambda m: (m.host.schac_code or "").strip().lower(),
        api=LA_CNR,
        major=1,
        now=now,
        registry=registry,
        limit=limit,
    )


def send_due(now: datetime | None = None) -> list[SentCnr]:
    """Notify the receiving HEIs of :func:`due_mobilities`; what was sent or failed."""
    return [notify(mobility) for mobility in due_mobilities(now)]


def run_mobility(pk: int) -> str:
    """The task of a changed learning agreement: notify the receiving HEI if it is due; a
    failure is tried again after its pause."""
    found = due_mobilities(pks=[pk])
    if not found:
        return "not due"
    sent = notify(found[0])
    if sent.state == SentCnr.State.FAILED:
        cnr.retry_later(sent, tasks.send_la_cnr, pk)
    return sent.state


def learning_agreement_saved(
    sender: type[LearningAgreement], instance: LearningAgreement, **kwargs: object
) -> None:
    """``post_save`` of a learning agreement version: once the change commits, the task that
    notifies the receiving HEI waits :data:`cnr.DEBOUNCE` (moved later by each further save).
    Nothing while the node has no registry, nor for fixtures loaded raw."""
    if kwargs.get("raw") or not settings.EWP_REGISTRY_URL:
        return
    pk = instance.mobility_id
    transaction.on_commit(
        lambda: tasks.schedule(tasks.send_la_cnr, pk, at=timezone.now() + cnr.DEBOUNCE)
    )
