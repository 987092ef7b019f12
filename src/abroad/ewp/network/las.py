"""The OMobility LAs API v1 of the node (ewp-specs-api-omobility-las, stable-v1, 1.2.0):
``index``, ``get``, ``update`` and ``stats`` (the EWP stats portal only) for the learning
agreements of our outgoing students (we are the sending HEI; abroad keeps no incoming
mobilities).

Parameters: ``sending_hei_id`` (once, required) must be our HEI, else 400. ``index`` also takes
``receiving_hei_id`` (repeatable: narrows the list), ``receiving_academic_year_id`` (once,
``2026/2027``), ``global_id`` (once: the student's European Student Identifier) and
``modified_since`` (once, an ``xs:dateTime``); ``get`` takes ``omobility_id`` (repeatable, at
most :data:`MAX_OMOBILITY_IDS`).

A caller sees only the mobilities whose receiving HEI (``Mobility.host``) is one of the HEIs
the registry binds its key to (:attr:`Caller.hei_ids`): others are not listed by ``index`` and
their ids are left out of ``get`` silently, as unknown ids are. Only mobilities with a version
the promoter approved are served (a version only the student signed is not the sending HEI's
proposal yet: :func:`abroad.ewp.las.sendable`); one that cannot be written as a valid learning
agreement (no planned dates, no contact at the host...) is left out of both and logged.

``update`` (POST, the ``omobility-las-update-request`` as the XML body) is the receiving HEI
answering the version it sees as the ``changes-proposal``: an approval records the host's
signature on that version, a comment returns it to the student with the comment, exactly as an
update-request the office uploads (:func:`services.apply_la_update`, kept in the inbox). An
update for a mobility the caller does not receive, or not for our HEI, is 400 (nothing is said
of others' mobilities); one naming a version that is not the proposal waiting is 409.

Every document is checked before it leaves (:func:`services.emitted`: the checks before
sending, then the schema).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from lxml import etree

from abroad.catalogue.queries import by_schac_codes
from abroad.ewp import las, presend, services, xml
from abroad.ewp.models import Inbound
from abroad.ewp.network import omobilities
from abroad.ewp.network.client import CallError, call, failure
from abroad.ewp.network.httpsig import Refused
from abroad.ewp.network.iias import _since, _single, _years, parameters
from abroad.ewp.network.registry import Api
from abroad.ewp.network.server import (
    COMMON,
    Caller,
    ewp_api,
    render_ids,
    render_update_response,
    serve,
    served_hei,
    wanted_ids,
    xml_response,
)
from abroad.ewp.xml import EwpError
from abroad.mobility.enums import LearningAgreementState
from abroad.mobility.models import Component, LearningAgreement, Mobility

log = logging.getLogger(__name__)

MANIFEST_ENTRY = (
    "https://github.com/erasmus-without-paper/ewp-specs-api-omobility-las/blob/stable-v1/"
    "manifest-entry.xsd"
)
VERSION = "1.2.0"
MAX_OMOBILITY_IDS = 50  # the max-omobility-ids of our manifest
LAS_GET = Api("omobility-las", MANIFEST_ENTRY, "get-url")
LAS_INDEX = Api("omobility-las", MANIFEST_ENTRY, "index-url")
LAS_UPDATE = Api("omobility-las", MANIFEST_ENTRY, "update-url")
STATS_PORTAL = "stats.erasmuswithoutpaper.eu"  # the only caller of ``stats``
_BASE = "https://github.com/erasmus-without-paper/ewp-specs-api-omobility-las/blob/stable-v1"
INDEX_NS = f"{_BASE}/endpoints/index-response.xsd"
UPDATE_RESPONSE_NS = f"{_BASE}/endpoints/update-response.xsd"
STATS_NS = f"{_BASE}/endpoints/stats-response.xsd"
LA_INDEX = xml.Kind(
    "la-index",
    INDEX_NS,
    "omobility-las-index-response",
    "ewp-specs-api-omobility-las/endpoints/index-response.xsd",
    "stable-v1",
)
LA_UPDATE_RESPONSE = xml.Kind(
    "la-update-response",
    UPDATE_RESPONSE_NS,
    "omobility-las-update-response",
    "ewp-specs-api-omobility-las/endpoints/update-response.xsd",
    "stable-v1",
)
LA_STATS = xml.Kind(
    "la-stats",
    STATS_NS,
    "las-outgoing-stats-response",
    "ewp-specs-api-omobility-las/endpoints/stats-response.xsd",
    "stable-v1",
)
SENT_STATES = (LearningAgreementState.APPROVED, LearningAgreementState.SIGNED)
XML_BODIES = ("application/xml", "text/xml")
_ESI = re.compile(r"^urn:schac:personalUniqueCode:int:esi:([^:]+):(.+)$", re.IGNORECASE)


# ----------------------------------------------------------------------------- who sees what


def sendable_versions() -> QuerySet[LearningAgreement]:
    return LearningAgreement.objects.filter(mobility=OuterRef("pk"), state__in=SENT_STATES)


def visible_mobilities(hei_ids: Iterable[str]) -> QuerySet[Mobility]:
    """The mobilities a caller speaking for ``hei_ids`` receives, with a version to send; with
    what the identity needs (the versions are prefetched by :func:`with_versions`)."""
    return (
        Mobility.objects.filter(by_schac_codes(hei_ids, "host__"), Exists(sendable_versions()))
        .select_related("host", "ewp")
        .order_by("pk")
    )


def with_versions(mobilities: Iterable[Mobility]) -> list[Mobility]:
    """The mobilities with what rendering reads, in a fixed number of queries: the student,
    the agreement's contact, every version (oldest first) with its promoter and components
    (``mobility.ewp_versions``)."""
    found = list(mobilities)
    versions = (
        LearningAgreement.objects.select_related("promoter")
        .prefetch_related(
            Prefetch("components", queryset=Component.objects.order_by("table", "position", "pk"))
        )
        .order_by("number")
    )
    rows = (
        Mobility.objects.filter(pk__in=[m.pk for m in found])
        .select_related("student", "host", "ewp", "offer__agreement")
        .prefetch_related(
            Prefetch("learning_agreements", queryset=versions, to_attr="ewp_versions")
        )
    )
    by_pk = {m.pk: m for m in rows}
    return [by_pk[m.pk] for m in found if m.pk in by_pk]


def _la_element(mobility: Mobility) -> etree._Element:
    """The mobility's ``la``, checked before sending (EwpError otherwise)."""
    versions: list[LearningAgreement] = mobility.ewp_versions  # type: ignore[attr-defined]
    data = las.render(mobility, versions, services.parties(mobility, versions))
    root = xml.parse(data, ours=True)
    problems = presend.problems(root)
    if problems:
        raise EwpError(" ".join(problems))
    node = root.find("la:la", las.NS)
    if node is None:  # pragma: no cover - render always writes one
        raise EwpError("no la element")
    return node


def servable(mobilities: Iterable[Mobility]) -> list[tuple[Mobility, etree._Element]]:
    """Those that can be written as learning agreements a partner accepts, with their ``la``;
    the others are logged (the office sees the reason on the mobility's download)."""
    found = []
    for mobility in with_versions(mobilities):
        try:
            found.append((mobility, _la_element(mobility)))
        except EwpError as error:
            log.error("EWP LA of mobility %s not served: %s", mobility.pk, error)
    return found


def by_omobility_id(caller: Caller, wanted: Iterable[str]) -> list[Mobility]:
    """The caller's mobilities among the omobility-ids ``wanted``, in the order asked; ids it
    may not see, unknown or not ours, are left out."""
    ids = []
    for value in wanted:
        try:
            ids.append(str(uuid.UUID(value.strip())))
        except ValueError:
            continue  # not one of our ids
    by_id = {services.omobility_id(m): m for m in visible_mobilities(caller.hei_ids)}
    return list(dict.fromkeys(by_id[i] for i in ids if i in by_id))


# ------------------------------------------------------------------------------ parameters


def our_hei(params: QueryDict) -> str:
    """``sending_hei_id``: required, once, and our HEI (we serve our outgoing students)."""
    value = _single(params, "sending_hei_id", required=True) or ""
    home = served_hei("LAs not served")
    if value.strip().lower() != home:
        raise Refused(400, f"This node does not cover the sending HEI {value!r}.")
    return home


@dataclass(frozen=True)
class IndexQuery:
    receiving_hei_ids: tuple[str, ...]
    year: int | None
    global_id: str
    modified_since: datetime | None


def index_query(params: QueryDict) -> IndexQuery:
    our_hei(params)
    year = _single(params, "receiving_academic_year_id", required=False)
    return IndexQuery(
        receiving_hei_ids=tuple(v.strip().lower() for v in params.getlist("receiving_hei_id")),
        year=_years([year])[0] if year is not None else None,
        global_id=(_single(params, "global_id", required=False) or "").strip(),
        modified_since=_since(_single(params, "modified_since", required=False)),
    )


# ---------------------------------------------------------------------------------- queries


def index_mobilities(caller: Caller, query: IndexQuery) -> QuerySet[Mobility]:
    heis = [h.lower() for h in caller.hei_ids]
    if query.receiving_hei_ids:
        heis = [h for h in heis if h in query.receiving_hei_ids]
    mobilities = visible_mobilities(heis)
    if query.year is not None:
        mobilities = mobilities.filter(academic_year=query.year)
    if query.global_id:
        match = _ESI.match(query.global_id)
        if match is None or match[1].lower() != services.home_hei():
            return mobilities.none()
        number = match[2]
        mobilities = mobilities.filter(
            Q(student__student_number=number)
            | (Q(student__student_number="") & Q(student__username=number))
        )
    if query.modified_since is not None:
        since = query.modified_since
        # What changes the document as a partner sees it: a version created, approved by the
        # promoter, signed by the host or returned; the mobility it is for (its dates, the
        # student's details: as the nominations' index counts them). docs/ewp.md names what
        # does not count.
        changed = LearningAgreement.objects.filter(mobility=OuterRef("pk")).filter(
            Q(created_at__gt=since)
            | Q(promoter_signed_at__gt=since)
            | Q(host_signed_at__gt=since)
            | Q(returned_at__gt=since)
        )
        mobilities = mobilities.filter(Exists(changed) | omobilities.changed_since(since))
    return mobilities


def index_ids(caller: Caller, query: IndexQuery) -> list[str]:
    """The omobility-ids ``index`` lists for ``caller``: a fixed number of queries."""
    return [services.omobility_id(m) for m, _la in servable(index_mobilities(caller, query))]


# ------------------------------------------------------------------------------------ views


def render_get(elements: list[etree._Element]) -> bytes:
    root = xml.new_document(xml.LA_GET)
    for node in elements:
        root.append(node)
    return services.emitted(xml.LA_GET, xml.serialize(root))


@ewp_api(methods=("GET", "POST"))
def index(request: HttpRequest, caller: Caller) -> HttpResponse:
    query = index_query(parameters(request))
    return serve(
        "LAs index",
        "The index could not be written.",
        lambda: render_ids(LA_INDEX, index_ids(caller, query)),
    )


@ewp_api(methods=("GET", "POST"))
def get(request: HttpRequest, caller: Caller) -> HttpResponse:
    params = parameters(request)
    our_hei(params)
    wanted = wanted_ids(params, "omobility_id", MAX_OMOBILITY_IDS)
    return serve(
        "LAs get",
        "The learning agreements could not be written as valid ones.",
        lambda: render_get([node for _m, node in servable(by_omobility_id(caller, wanted))]),
    )


@ewp_api(methods=("POST",))
def update(request: HttpRequest, caller: Caller) -> HttpResponse:
    kind = (request.content_type or "").lower()
    if kind not in XML_BODIES:
        raise Refused(415, "POST the omobility-las-update-request as text/xml.")
    try:
        answer = las.parse_update(request.body)
    except EwpError as error:
        raise Refused(400, f"The update request cannot be read: {error}") from None
    home = served_hei("LAs update refused")
    if answer.sending_hei.strip().lower() != home:
        raise Refused(400, f"This node does not cover the sending HEI {answer.sending_hei!r}.")
    found = by_omobility_id(caller, [answer.omobility_id])
    if not found:
        # Unknown, or a mobility the caller does not receive: the same answer.
        raise Refused(400, f"You receive no mobility {answer.omobility_id!r} of ours.")
    mobility = with_versions(found)[0]
    waiting = las.waiting_proposal(mobility.ewp_versions)  # type: ignore[attr-defined]
    current = las.proposal_id(answer.omobility_id, waiting) if waiting else ""
    if answer.proposal_id != current:
        raise Refused(
            409,
            f"{answer.proposal_id!r} is not the changes proposal waiting for your answer "
            f"({current!r} is)."
            if current
            else "No changes proposal is waiting for your answer.",
        )
    hei = next(iter(caller.hei_ids), "")
    inbound = services.apply_la_update(
        data=request.body, file_name=f"EWP {hei} {answer.proposal_id}.xml", actor=None
    )
    if inbound.state != Inbound.State.APPLIED:
        raise Refused(409, inbound.message)  # it changed meanwhile
    try:
        return xml_response(render_update_response(LA_UPDATE_RESPONSE, inbound.message))
    except EwpError as error:  # pragma: no cover - a fixed, valid document
        log.error("EWP LAs update answered without message: %s", error)
        return xml_response(xml.serialize(xml.new_document(LA_UPDATE_RESPONSE)))


# ------------------------------------------------------------------------------------ stats


@dataclass
class YearStats:
    total: int = 0
    not_modified_after_approval: int = 0
    modified_after_approval: int = 0
    latest_approved: int = 0
    latest_rejected: int = 0
    latest_awaiting: int = 0


def stats() -> dict[int, YearStats]:
    """Our outgoing learning agreements by academic year, as the stats endpoint counts them
    (one query): those with a version the promoter approved (the receiving HEI saw it); the
    latest such version signed by the host (approved), returned (rejected) or waiting; only
    one version, signed (not modified after approval), or versions after a signed one."""
    rows = (
        LearningAgreement.objects.filter(promoter_signed_at__isnull=False)
        .order_by("mobility_id", "number")
        .values_list("mobility_id", "mobility__academic_year", "number", "state")
    )
    by_mobility: dict[int, tuple[int, list[tuple[int, str]]]] = {}
    for mobility_id, year, number, state in rows:
        by_mobility.setdefault(mobility_id, (year, []))[1].append((number, state))
    found: dict[int, YearStats] = {}
    for year, versions in by_mobility.values():
        counts = found.setdefault(year, YearStats())
        counts.total += 1
        signed = [n for n, state in versions if state == LearningAgreementState.SIGNED]
        latest_number, latest_state = versions[-1]
        if signed and len(versions) == 1:
            counts.not_modified_after_approval += 1
        elif signed and latest_number > signed[0]:
            counts.modified_after_approval += 1
        if latest_state == LearningAgreementState.SIGNED:
            counts.latest_approved += 1
        elif latest_state == LearningAgreementState.RETURNED:
            counts.latest_rejected += 1
        elif latest_state == LearningAgreementState.APPROVED:
            counts.latest_awaiting += 1
    return dict(sorted(found.items()))


def render_stats(found: dict[int, YearStats]) -> bytes:
    root = xml.new_document(LA_STATS)
    for year, counts in found.items():
        node = xml.element(root, "academic-year-la-stats")
        xml.element(node, "receiving-academic-year-id", f"{year}/{year + 1}")
        xml.element(node, "la-outgoing-total", counts.total)
        xml.element(
            node, "la-outgoing-not-modified-after-approval", counts.not_modified_after_approval
        )
        xml.element(node, "la-outgoing-modified-after-approval", counts.modified_after_approval)
        xml.element(node, "la-outgoing-latest-version-approved", counts.latest_approved)
        xml.element(node, "la-outgoing-latest-version-rejected", counts.latest_rejected)
        xml.element(node, "la-outgoing-latest-version-awaiting", counts.latest_awaiting)
    return services.emitted(LA_STATS, xml.serialize(root))


@ewp_api(methods=("GET",))
def stats_view(request: HttpRequest, caller: Caller) -> HttpResponse:
    if STATS_PORTAL not in {h.lower() for h in caller.hei_ids}:
        raise Refused(403, "The statistics are for the EWP stats portal only.")
    return xml_response(render_stats(stats()))


# ----------------------------------------------------------------------------------- client


def fetch_document(hei_id: str, sending_hei_id: str, omobility_ids: list[str]) -> bytes:
    """``hei_id``'s OMobility LAs get v1 answer for ``omobility_ids`` (of ``sending_hei_id``),
    verified and valid."""
    answer = call(
        hei_id,
        LAS_GET,
        1,
        params=[("sending_hei_id", sending_hei_id), *(("omobility_id", i) for i in omobility_ids)],
    )
    if answer.status != 200:
        raise failure("OMobility LAs", hei_id, answer)
    try:
        xml.read(xml.LA_GET, answer.body)
    except EwpError as error:
        raise CallError(str(error)) from None
    return answer.body


def send_update(hei_id: str, document: bytes) -> str:
    """Send an ``omobility-las-update-request`` (checked first) to ``hei_id``'s LAs update;
    the partner's message, or CallError with its refusal."""
    try:
        xml.validate(xml.LA_UPDATE_REQUEST, xml.parse(document, ours=True))
    except EwpError as error:
        raise CallError(str(error)) from None
    answer = call(
        hei_id, LAS_UPDATE, 1, method="POST", data=document, content_type="text/xml; charset=utf-8"
    )
    if answer.status != 200:
        raise failure("OMobility LAs update", hei_id, answer)
    try:
        root = xml.read(LA_UPDATE_RESPONSE, answer.body)
    except EwpError as error:
        raise CallError(str(error)) from None
    return " ".join(
        (n.text or "").strip() for n in root.iterfind(f"{{{COMMON}}}success-user-message")
    )
