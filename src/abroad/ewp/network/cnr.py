"""The IIA CNR API v3 of the node (ewp-specs-api-iia-cnr, stable-v3), both ways, as background
work (:mod:`abroad.ewp.tasks`, run by ``python -m abroad db_worker``).

Receiving: ``/ewp/iia-cnr`` (POST, ``iia_id``: the caller's id of an agreement it changed) is
answered at once with the empty ``iia-cnr-response`` and recorded as a
:class:`~abroad.ewp.models.PendingCnr`; when the request's transaction commits, the task
:func:`~abroad.ewp.tasks.process_cnr` is enqueued, which fetches the partner's agreement with
its IIAs get v7 and hands the document to :func:`services.receive_iias`, so it waits in the
office's inbox exactly as an upload does. A partner that cannot be reached (or serves an
invalid document) leaves the notification waiting with the error (the inbox page shows it);
the task is enqueued again for after a pause that doubles each time, and the notification is
given up after :data:`MAX_ATTEMPTS`. A fetch that fails with an error of ours (not the
partner's: a key file missing, a fault) counts the same way, with the reason. The same
machinery processes the ToR CNRs (:class:`PendingCnr` of kind ``tor``:
:mod:`abroad.ewp.network.tors`). After a partner's IIA
CNR we also ask its IIAs Approval API what it approved (IIAs v7 partners announce an approval
with an IIA CNR), and when the copy it serves is the one we approved and no notification of
ours has said so since, we tell it again (:func:`approval_unannounced`).

Sending: :func:`notify` tells the partner of one of our agreements (its IIA CNR endpoint found
in the registry catalogue) that it changed, signed, with the client's timeouts and retries,
and logs the outcome as a :class:`~abroad.ewp.models.SentCnr`. Saving an Erasmus+ agreement
enqueues (on commit) :func:`~abroad.ewp.tasks.send_iia_cnr` due :data:`DEBOUNCE` later; a
further save meanwhile moves that task later instead of adding one, so a burst of edits is
one notification (:func:`due_agreements` decides, for partners whose node serves IIA CNR v3);
a failed one is enqueued again with the same back-off as received ones.

``python -m abroad ewp process-cnrs`` runs the same service functions at once for everything
due (:func:`process_pending`, :func:`send_due`), and the ``ewp.cnrs`` job of
``run-scheduled`` (:func:`sweep`) hands the worker any notification whose task was lost.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import F, Model, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks.base import Task
from lxml import etree

from abroad.catalogue.enums import Programme
from abroad.catalogue.models import Agreement, Institution
from abroad.catalogue.queries import by_schac_codes
from abroad.ewp import iia, services, tasks, xml
from abroad.ewp.models import IiaLink, Inbound, PendingCnr, SentCnr
from abroad.ewp.network import iias, tors
from abroad.ewp.network.client import CallError, call, message
from abroad.ewp.network.httpsig import Refused
from abroad.ewp.network.registry import Api, Catalogue, RegistryError, catalogue
from abroad.ewp.network.server import XML_TYPE, Caller, ewp_api
from abroad.ewp.xml import EwpError

log = logging.getLogger(__name__)

MANIFEST_ENTRY = (
    "https://github.com/erasmus-without-paper/ewp-specs-api-iia-cnr/blob/stable-v3/"
    "manifest-entry.xsd"
)
RESPONSE_NS = "https://github.com/erasmus-without-paper/ewp-specs-api-iia-cnr/tree/stable-v3"
VERSION = "3.0.0"
IIA_CNR = Api("iia-cnr", MANIFEST_ENTRY)
MAX_ATTEMPTS = 10
FIRST_PAUSE = timedelta(minutes=1)  # then 2, 4, ... minutes
LONGEST_PAUSE = timedelta(hours=6)
DEBOUNCE = timedelta(minutes=2)  # an agreement left alone this long is notified
M = TypeVar("M", bound=Model)
_PRINTABLE = re.compile(r"^[\x20-\x7e]{1,64}$")  # ewp:AsciiPrintableIdentifier, our column


# --------------------------------------------------------------------------------- receiving


def response() -> bytes:
    root = etree.Element(f"{{{RESPONSE_NS}}}iia-cnr-response", nsmap={None: RESPONSE_NS})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _partner_heis(caller: Caller) -> list[str]:
    """The caller's HEIs the notification is about: those that are partners in our
    catalogue (a host may cover several HEIs), else all of them."""
    heis = [h.lower() for h in caller.hei_ids]
    codes = Institution.objects.filter(by_schac_codes(heis)).values_list("schac_code", flat=True)
    known = {(code or "").lower() for code in codes}
    return [h for h in heis if h in known] or heis


@transaction.atomic
def record(caller: Caller, iia_id: str) -> list[PendingCnr]:
    """The notification, waiting to be processed (enqueued for the worker on commit): one per
    partner HEI; a notification for the same agreement still waiting is brought forward
    instead of repeated."""
    now = timezone.now()
    found = []
    for hei_id in _partner_heis(caller):
        waiting = PendingCnr.objects.filter(
            kind=PendingCnr.Kind.IIA, hei_id=hei_id, iia_id=iia_id, state=PendingCnr.State.PENDING
        ).first()
        if waiting is not None:
            waiting.next_try_at = now
            waiting.request_id = caller.request_id
            waiting.save(update_fields=["next_try_at", "request_id"])
            found.append(waiting)
            continue
        found.append(
            PendingCnr.objects.create(
                hei_id=hei_id, iia_id=iia_id, request_id=caller.request_id, next_try_at=now
            )
        )
    tasks.process_on_commit([pending.pk for pending in found])
    return found


@ewp_api(methods=("POST",))
def iia_cnr(request: HttpRequest, caller: Caller) -> HttpResponse:
    params = iias.parameters(request)
    values = params.getlist("iia_id")
    if not values:
        raise Refused(400, "The iia_id parameter is required.")
    if len(values) > 1:
        raise Refused(400, "Give iia_id once.")
    iia_id = values[0].strip()
    if not _PRINTABLE.match(iia_id):
        raise Refused(400, "iia_id is not an identifier (1 to 64 printable ASCII characters).")
    record(caller, iia_id)
    return HttpResponse(response(), content_type=XML_TYPE)


# -------------------------------------------------------------------------------- processing


def pause(attempts: int) -> timedelta:
    """How long to wait after ``attempts`` failed tries."""
    return min(LONGEST_PAUSE, FIRST_PAUSE * 2 ** max(0, attempts - 1))


def approved_copy(cnr: PendingCnr, data: bytes) -> IiaLink | None:
    """Our link to the agreement whose copy the partner serves in ``data`` if it is the copy
    we approved (the same ``iia-hash`` as the one the office accepted)."""
    hashes = {
        one.iia_hash.lower()
        for one in iia.parse(data)
        if one.iia_hash and any(p.iia_id == cnr.iia_id for p in one.partners)
    }
    links = IiaLink.objects.filter(
        by_schac_codes([cnr.hei_id], "agreement__partner__"), partner_iia_id=cnr.iia_id
    ).select_related("agreement")
    return next((link for link in links if link.partner_hash.lower() in hashes), None)


def approval_unannounced(link: IiaLink) -> bool:
    """No notification of ours reached the partner since the office approved its copy."""
    return not SentCnr.objects.filter(
        kind=SentCnr.Kind.IIA,
        agreement=link.agreement,
        state=SentCnr.State.SENT,
        sent_at__gte=link.partner_updated_at or link.agreement.updated_at,
    ).exists()


def fetch_iia(cnr: PendingCnr) -> str:
    """Fetch the partner's agreement an IIA CNR names and put it in the inbox; the outcome.
    The copy we approved already is not put in the inbox again: the partner is told of our
    approval once more when no notification of ours has said so since."""
    data = iias.fetch_document(cnr.hei_id, [cnr.iia_id])
    if data is None:
        return _("%(hei)s serves no agreement %(iia_id)s with us (deleted, or not with us).") % {
            "hei": cnr.hei_id,
            "iia_id": cnr.iia_id,
        }
    link = approved_copy(cnr, data)
    if link is not None:
        outcome = _("We approved this copy already (%(code)s).") % {"code": link.agreement.code}
        if approval_unannounced(link):
            pk = link.agreement_id
            transaction.on_commit(lambda: tasks.schedule(tasks.send_iia_cnr, pk, True))
            outcome += " " + _("Our approval is notified to the partner again.")
        return outcome
    if Inbound.objects.filter(
        source__sha256=hashlib.sha256(xml.stored(data).encode("utf-8")).hexdigest(),
        state=Inbound.State.PENDING,
    ).exists():
        return _("The same copy is already waiting in the inbox.")
    received = services.receive_iias(
        data=data, file_name=f"EWP {cnr.hei_id} {cnr.iia_id}.xml", actor=None
    )
    return "; ".join(
        _("%(summary)s (inbox #%(number)s)") % {"summary": i.summary, "number": i.pk}
        for i in received
    )


def process(cnr: PendingCnr) -> PendingCnr:
    """Fetch what the notification names once (the partner's agreement, or the transcript
    of one of our students: :func:`tors.fetch_into_inbox`) and put it in the inbox; on
    failure keep the notification waiting, with the error and the time of the next try."""
    now = timezone.now()
    cnr.attempts += 1
    try:
        # A savepoint: what a failed fetch wrote is undone, and the notification is still
        # saved with its error (also after a database error, on PostgreSQL).
        with transaction.atomic():
            if cnr.kind == PendingCnr.Kind.TOR:
                cnr.outcome = tors.fetch_into_inbox(cnr)
            else:
                cnr.outcome = fetch_iia(cnr)
    except (CallError, EwpError) as error:
        failed(cnr, str(error), now)
        log.warning("EWP %s CNR %s %s: %s", cnr.kind, cnr.hei_id, cnr.subject_id, cnr.last_error)
    except Exception as error:
        # An error of ours, not the partner's (a key file missing, a bug): counted as a
        # partner's error is, so that it is tried again after the same pauses and given up
        # after MAX_ATTEMPTS, never handed to the worker for ever; the office sees the reason.
        reason = _("An error of this node, not of the partner: %(error)s") % {
            "error": f"{type(error).__name__}: {error}"
        }
        failed(cnr, reason, now)
        log.exception("EWP %s CNR %s %s failed here", cnr.kind, cnr.hei_id, cnr.subject_id)
    else:
        cnr.state = PendingCnr.State.DONE
        cnr.done_at = now
        cnr.last_error = ""
        if cnr.kind == PendingCnr.Kind.IIA:
            hei_id = cnr.hei_id
            transaction.on_commit(lambda: tasks.schedule(tasks.ask_approvals, hei_id))
    cnr.save()
    return cnr


def failed(cnr: PendingCnr, reason: str, now: datetime) -> None:
    """A try of ``cnr`` failed for ``reason``: it waits for its next try, or after
    :data:`MAX_ATTEMPTS` it is given up (failed, shown with the reason in the inbox)."""
    cnr.last_error = reason[:2000]
    if cnr.attempts >= MAX_ATTEMPTS:
        cnr.state = PendingCnr.State.FAILED
        cnr.done_at = now
    else:
        cnr.next_try_at = now + pause(cnr.attempts)


def process_one(pk: int, now: datetime | None = None) -> PendingCnr | None:
    """Process the notification ``pk`` if it is waiting and its time has come, in its own
    transaction; None when not (done, given up, not due, or another process holds it)."""
    now = now or timezone.now()
    with transaction.atomic():
        cnr = (
            PendingCnr.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, state=PendingCnr.State.PENDING, next_try_at__lte=now)
            .first()
        )
        if cnr is None:
            return None
        return process(cnr)


def run_received(pk: int) -> str:
    """The task of a received notification: process it once; still waiting, enqueue the next
    try for its time."""
    cnr = process_one(pk)
    if cnr is None:
        return "not due"
    if cnr.state == PendingCnr.State.PENDING:
        tasks.schedule(tasks.process_cnr, cnr.pk, at=cnr.next_try_at)
    return cnr.state


@dataclass
class Processed:
    done: list[PendingCnr] = field(default_factory=list)
    waiting: list[PendingCnr] = field(default_factory=list)
    failed: list[PendingCnr] = field(default_factory=list)


def process_pending(now: datetime | None = None, limit: int = 200) -> Processed:
    """Process the notifications whose time has come (oldest first), each in its own
    transaction; a row another process is working on is skipped."""
    now = now or timezone.now()
    due = list(
        PendingCnr.objects.filter(state=PendingCnr.State.PENDING, next_try_at__lte=now)
        .order_by("next_try_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    result = Processed()
    for pk in due:
        cnr = process_one(pk, now)
        if cnr is None:
            continue
        if cnr.state == PendingCnr.State.DONE:
            result.done.append(cnr)
        elif cnr.state == PendingCnr.State.FAILED:
            result.failed.append(cnr)
        else:
            result.waiting.append(cnr)
    return result


# ----------------------------------------------------------------------------------- sending
#
# The sending machinery is one for every kind of change notification (IIA CNR v3 here, OMobility
# LA CNR v1 in :mod:`abroad.ewp.network.la_cnr`): :func:`deliver` makes the call and logs it as a
# :class:`SentCnr` of its kind; :func:`due` picks the rows changed since their last notification
# and left alone for :data:`DEBOUNCE`, or whose last notification failed and whose pause is over.


def deliver(
    sent: SentCnr, api: Api, major: int, params: list[tuple[str, str]], *, missing: str = ""
) -> SentCnr:
    """Send one notification (a signed POST to ``sent.hei_id``'s endpoint of ``api``, found in
    the registry catalogue, with the client's timeout and retries) and log it in ``sent``.
    ``missing``: why the partner has no HEI id, when it has none."""
    try:
        if not sent.hei_id:
            raise CallError(missing or "The partner has no SCHAC code, its id in EWP.")
        answer = call(sent.hei_id, api, major, method="POST", params=params)
    except CallError as error:
        sent.state = SentCnr.State.FAILED
        sent.error = str(error)[:2000]
    else:
        sent.status = answer.status
        sent.request_id = answer.request_id
        if answer.status == 200:
            sent.state = SentCnr.State.SENT
        else:
            sent.state = SentCnr.State.FAILED
            sent.error = f"HTTP {answer.status}: {message(answer.body)}"[:2000]
    sent.save()
    return sent


def notify(agreement: Agreement) -> SentCnr:
    """Tell the partner of ``agreement`` that it changed (its IIA CNR v3), and log it."""
    hei_id = (agreement.partner.schac_code or "").strip().lower()
    iia_id = iias.iia_id(agreement)
    sent = SentCnr(kind=SentCnr.Kind.IIA, agreement=agreement, hei_id=hei_id, iia_id=iia_id)
    return deliver(
        sent,
        IIA_CNR,
        3,
        [("iia_id", iia_id)],
        missing=f"{agreement.partner} has no SCHAC code, its id in EWP.",
    )


def last_notification(subject: str) -> dict[str, Subquery]:
    """Annotations of each row's last notification (``last_sent``, ``last_state``): ``subject``
    is the :class:`SentCnr` field naming the row (``agreement``, ``mobility``)."""
    last = SentCnr.objects.filter(**{subject: OuterRef("pk")}).order_by("-sent_at", "-pk")
    return {
        "last_sent": Subquery(last.values("sent_at")[:1]),
        "last_state": Subquery(last.values("state")[:1]),
    }


def changed_since_notified(changed: str, now: datetime) -> Q:
    """The rows (annotated with :func:`last_notification`) whose time ``changed`` says they
    are due: changed since the last notification (or never notified) and left alone since;
    or unchanged since a notification that failed (tried again after its pause: :func:`due`)."""
    return (
        (Q(last_sent__isnull=True) | Q(**{f"{changed}__gt": F("last_sent")}))
        & Q(**{f"{changed}__lte": now - DEBOUNCE})
    ) | (Q(last_state=SentCnr.State.FAILED) & Q(**{f"{changed}__lte": F("last_sent")}))


def _waiting_to_retry(
    logged: QuerySet[SentCnr], last_sent: datetime | None, changed: datetime, now: datetime
) -> bool:
    """The row's last notification failed, unchanged since: has it failed :data:`MAX_ATTEMPTS`
    times in a row, or is its pause not over?"""
    if last_sent is None or changed > last_sent:
        return False
    failures = failures_in_a_row(logged)
    return failures >= MAX_ATTEMPTS or now < last_sent + pause(failures)


def failures_in_a_row(logged: QuerySet[SentCnr]) -> int:
    """How many of the notifications ``logged`` failed since the last one sent."""
    last_ok = (
        logged.filter(state=SentCnr.State.SENT)
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    failed = logged.filter(state=SentCnr.State.FAILED)
    if last_ok is not None:
        failed = failed.filter(sent_at__gt=last_ok)
    return failed.count()


def due(
    candidates: Iterable[M],
    *,
    subject: str,
    changed: str,
    hei_of: Callable[[M], str],
    api: Api,
    major: int,
    now: datetime,
    registry: Catalogue,
    limit: int,
) -> list[M]:
    """Of ``candidates`` (filtered with :func:`changed_since_notified` on the time ``changed``),
    those to notify now: only partners whose node the catalogue lists with ``api`` v``major``
    (asked once per HEI); a failed one only when its pause is over."""
    found: list[M] = []
    served: dict[str, bool] = {}
    for row in candidates:
        hei_id = hei_of(row)
        if hei_id not in served:
            served[hei_id] = registry.endpoint(hei_id, api, major) is not None
        if not served[hei_id]:
            continue  # not on the network: the office uses files with this partner
        logged = SentCnr.objects.filter(**{subject: row})
        if _waiting_to_retry(logged, getattr(row, "last_sent", None), getattr(row, changed), now):
            continue
        found.append(row)
        if len(found) >= limit:
            break
    return found


def due_agreements(
    now: datetime | None = None, limit: int = 100, pks: list[int] | None = None
) -> list[Agreement]:
    """The Erasmus+ agreements whose partner should be told they changed: saved since the
    last notification (or never notified) and left alone for :data:`DEBOUNCE`; or whose last
    notification failed, once its pause is over (up to :data:`MAX_ATTEMPTS` failures in a
    row). Only partners whose node the catalogue lists with IIA CNR v3; of ``pks`` only when
    given."""
    now = now or timezone.now()
    try:
        registry = catalogue()
    except RegistryError as error:
        log.warning("EWP IIA CNRs not sent: %s", error)
        return []
    candidates = (
        Agreement.objects.filter(programme=Programme.ERASMUS)
        .exclude(partner__schac_code="")
        .select_related("partner")
        .annotate(**last_notification("agreement"))
        .filter(changed_since_notified("updated_at", now))
        .order_by("updated_at", "pk")
    )
    if pks is not None:
        candidates = candidates.filter(pk__in=pks)
    return due(
        candidates,
        subject="agreement",
        changed="updated_at",
        hei_of=lambda a: (a.partner.schac_code or "").strip().lower(),
        api=IIA_CNR,
        major=3,
        now=now,
        registry=registry,
        limit=limit,
    )


def send_due(now: datetime | None = None) -> list[SentCnr]:
    """Notify the partners of :func:`due_agreements`; what was sent or failed."""
    return [notify(agreement) for agreement in due_agreements(now)]


def retry_later(sent: SentCnr, job: Task, pk: int) -> None:
    """After a failed notification, enqueue ``job(pk)`` for when its pause is over (not after
    :data:`MAX_ATTEMPTS` failures in a row: the office sees them given up)."""
    logged = SentCnr.objects.filter(kind=sent.kind)
    if sent.kind == SentCnr.Kind.LA:
        logged = logged.filter(mobility=sent.mobility)
    else:
        logged = logged.filter(agreement=sent.agreement)
    failures = failures_in_a_row(logged)
    if failures < MAX_ATTEMPTS:
        tasks.schedule(job, pk, at=sent.sent_at + pause(failures))


def run_agreement(pk: int, *, force: bool = False) -> str:
    """The task of a changed agreement: notify its partner if it is due (:func:`due_agreements`,
    or at once with ``force``: our approval to announce); a failure is tried again later."""
    if force:
        agreement = Agreement.objects.select_related("partner").filter(pk=pk).first()
        found = [agreement] if agreement is not None else []
    else:
        found = due_agreements(pks=[pk])
    if not found:
        return "not due"
    sent = notify(found[0])
    if sent.state == SentCnr.State.FAILED:
        retry_later(sent, tasks.send_iia_cnr, pk)
    return sent.state


def agreement_saved(sender: type[Agreement], instance: Agreement, **kwargs: object) -> None:
    """``post_save`` of an agreement: once the change commits, the task that notifies its
    partner waits :data:`DEBOUNCE` (moved later by each further save). Nothing while the node
    has no registry to find partners in, nor for fixtures loaded raw."""
    if kwargs.get("raw") or not settings.EWP_REGISTRY_URL:
        return
    if instance.programme != Programme.ERASMUS:
        return
    pk = instance.pk
    transaction.on_commit(
        lambda: tasks.schedule(tasks.send_iia_cnr, pk, at=timezone.now() + DEBOUNCE)
    )


# ------------------------------------------------------------------------------ the sweep


def sweep(now: datetime) -> dict[str, int]:
    """The ``ewp.cnrs`` job of ``run-scheduled``: hand the worker every received notification
    that is due and that no task waits for (the process stopped between the commit and the
    enqueueing, or the backend could not defer its next try), and every agreement and
    learning agreement whose notification is due with no task waiting for it."""
    from abroad.ewp.network import la_cnr

    received = 0
    for pk in PendingCnr.objects.filter(
        state=PendingCnr.State.PENDING, next_try_at__lte=now
    ).values_list("pk", flat=True)[:500]:
        if not tasks.waiting(tasks.process_cnr, pk):
            tasks.schedule(tasks.process_cnr, pk)
            received += 1
    agreements = mobilities = 0
    if not settings.EWP_REGISTRY_URL:  # no node: nothing to send
        return {"received": received, "agreements": agreements, "mobilities": mobilities}
    for agreement in due_agreements(now):
        if not tasks.waiting(tasks.send_iia_cnr, agreement.pk):
            tasks.schedule(tasks.send_iia_cnr, agreement.pk)
            agreements += 1
    for mobility in la_cnr.due_mobilities(now):
        if not tasks.waiting(tasks.send_la_cnr, mobility.pk):
            tasks.schedule(tasks.send_la_cnr, mobility.pk)
            mobilities += 1
    return {"received": received, "agreements": agreements, "mobilities": mobilities}
