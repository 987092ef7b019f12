"""The OMobilities API v3 of the node (the registry's vendored ewp-specs-api-omobilities
v3.0.0): ``index``, ``get`` and ``update``, for our outgoing students (we are the sending HEI).

A caller sees only the mobilities whose receiving HEI is one of the HEIs the registry binds its
key to (:attr:`Caller.hei_ids`); others are not listed by ``index`` and are left out of ``get``
silently, exactly as unknown ids are. The document is the one the office downloads
(:func:`services.export_nominations`, one rule for both), validated before it leaves. A
mobility that cannot be nominated through EWP (a short network programme, or one lacking what
v3 requires: date of birth, nationality, gender, e-mail, EQF level, four-digit ISCED-F codes;
:func:`nominations.missing`) is left out of both endpoints and logged, as the IIAs are.

Parameters: ``index`` takes ``receiving_hei_id`` (repeatable, narrows the list to those of the
caller's HEIs), ``receiving_academic_year_id`` (``2026/2027``) and ``modified_since`` (the
mobilities whose nomination changed after it: :func:`changed_since`); ``get`` takes
``omobility_id`` (repeatable, at most :data:`MAX_OMOBILITY_IDS`). A ``sending_hei_id`` (v2's
habit) must name our HEI.

``update`` (POST, an ``omobilities-update-request`` as XML): the receiving HEI approves the
nomination whose ``proposal-id`` it names: recorded with the mobility service that records
the host's acceptance (:func:`abroad.mobility.services.set_state`, the office's rule: applied
to the host, then accepted). A stale ``proposal-id`` is answered 409. A rejection is answered
and logged: abroad keeps no rejected nomination (the office withdraws the mobility).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext as _

from abroad.catalogue.queries import by_schac_codes
from abroad.ewp import nominations, services, xml
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
from abroad.ewp.nominations import VENDORED, VendoredKind
from abroad.ewp.xml import EwpError
from abroad.mobility import services as mobility_services
from abroad.mobility.enums import MobilityState
from abroad.mobility.models import Mobility
from abroad.mobility.services import MobilityError

log = logging.getLogger(__name__)

MANIFEST_ENTRY = (
    "https://github.com/erasmus-without-paper/ewp-specs-api-omobilities/blob/stable-v3/"
    "manifest-entry.xsd"
)
VERSION = "3.0.0"
MAX_OMOBILITY_IDS = 50  # the max-omobility-ids of our manifest
OMOBILITIES_GET = Api("omobilities", MANIFEST_ENTRY, "get-url")
OMOBILITIES_INDEX = Api("omobilities", MANIFEST_ENTRY, "index-url")
OMOBILITIES_UPDATE = Api("omobilities", MANIFEST_ENTRY, "update-url")
_BASE = "https://github.com/erasmus-without-paper/ewp-specs-api-omobilities/blob/stable-v3"
_FOLDER = f"{VENDORED}/ewp-specs-api-omobilities-v3.0.0/endpoints"


def _kind(key: str, name: str, root: str) -> VendoredKind:
    return VendoredKind(
        key,
        f"{_BASE}/endpoints/{name}.xsd",
        root,
        f"{_FOLDER}/{name}.xsd",
        "stable-v3",
        f"ewp-specs-api-omobilities/stable-v3/endpoints/{name}.xsd",
    )


INDEX = _kind("omobilities-index", "index-response", "omobilities-index-response")
UPDATE_REQUEST = _kind("omobilities-update", "update-request", "omobilities-update-request")
UPDATE_RESPONSE = _kind(
    "omobilities-update-response", "update-response", "omobilities-update-response"
)
XML_BODIES = ("application/xml", "text/xml")


# ----------------------------------------------------------------------------- who sees what


def visible_mobilities(hei_ids: Iterable[str]) -> QuerySet[Mobility]:
    """Our outgoing mobilities whose receiving HEI is one of ``hei_ids``, with what the
    nomination reads (a fixed number of queries)."""
    return services.nomination_queryset().filter(by_schac_codes(hei_ids, "host__"))


def changed_since(since: datetime) -> Q:
    """The mobilities whose nomination (and learning agreement's mobility data) changed after
    ``since``: the mobility saved (its dates, state, kind...: ``Mobility.updated_at``), the
    nominee's details (``NomineeDetails.updated_at``), or the partner's copy of the agreement
    accepted (their iia-id, which the nomination names). One condition, in the index's one
    query; docs/ewp.md names what does not count."""
    return (
        Q(updated_at__gt=since)
        | Q(student__nominee_details__updated_at__gt=since)
        | Q(offer__agreement__ewp__partner_updated_at__gt=since)
    )


def servable(mobilities: Iterable[Mobility]) -> list[nominations.Nominee]:
    """The nominees that can be written as valid v3 nominations; the others are logged."""
    home = services.home_hei()
    found = []
    for mobility in mobilities:
        reason = nominations.not_nominable(mobility)
        try:
            nominee = None if reason else services.nominee(mobility, home)
        except EwpError as error:
            reason = str(error)
            nominee = None
        reason = reason or (nominations.missing(nominee) if nominee else None)
        if reason or nominee is None:
            log.error("EWP nomination of mobility %s not served: %s", mobility.pk, reason)
            continue
        found.append(nominee)
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
    # A mobility whose identity is not stored yet has a derived id: matched over the
    # caller's mobilities (one query), as the LAs API does.
    found = {services.omobility_id(m): m for m in visible_mobilities(caller.hei_ids)}
    return list(dict.fromkeys(found[i] for i in ids if i in found))


# ------------------------------------------------------------------------------ parameters


def _our_hei(params: QueryDict) -> None:
    value = _single(params, "sending_hei_id", required=False)
    if value is None:
        return
    home = served_hei("OMobilities not served")
    if value.strip().lower() != home:
        raise Refused(400, f"This node does not cover the sending HEI {value!r}.")


@dataclass(frozen=True)
class IndexQuery:
    receiving_hei_ids: tuple[str, ...]
    year: int | None
    modified_since: datetime | None


def index_query(params: QueryDict) -> IndexQuery:
    _our_hei(params)
    year = _single(params, "receiving_academic_year_id", required=False)
    return IndexQuery(
        receiving_hei_ids=tuple(v.strip().lower() for v in params.getlist("receiving_hei_id")),
        year=_years([year])[0] if year is not None else None,
        modified_since=_since(_single(params, "modified_since", required=False)),
    )


def index_ids(caller: Caller, query: IndexQuery) -> list[str]:
    heis = [h.lower() for h in caller.hei_ids]
    if query.receiving_hei_ids:
        heis = [h for h in heis if h in query.receiving_hei_ids]
    mobilities = visible_mobilities(heis)
    if query.year is not None:
        mobilities = mobilities.filter(academic_year=query.year)
    if query.modified_since is not None:
        mobilities = mobilities.filter(changed_since(query.modified_since))
    return [n.omobility_id for n in servable(mobilities.order_by("pk"))]


# ------------------------------------------------------------------------------------ views


@ewp_api(methods=("GET", "POST"))
def index(request: HttpRequest, caller: Caller) -> HttpResponse:
    query = index_query(parameters(request))
    return serve(
        "OMobilities index",
        "The index could not be written.",
        lambda: render_ids(INDEX, index_ids(caller, query)),
    )


@ewp_api(methods=("GET", "POST"))
def get(request: HttpRequest, caller: Caller) -> HttpResponse:
    params = parameters(request)
    _our_hei(params)
    wanted = wanted_ids(params, "omobility_id", MAX_OMOBILITY_IDS)
    return serve(
        "OMobilities get",
        "The nominations could not be written as valid ones.",
        lambda: services.emitted(
            nominations.OMOBILITIES_GET,
            nominations.render(servable(by_omobility_id(caller, wanted))),
        ),
    )


@dataclass(frozen=True)
class Answer:
    approve: bool
    omobility_id: str
    proposal_id: str
    comment: str


def parse_update(data: bytes) -> Answer:
    """An ``omobilities-update-request`` (validated against the v3 schema)."""
    root = xml.read(UPDATE_REQUEST, data)
    ns = {"u": UPDATE_REQUEST.namespace}
    action = root[0]
    return Answer(
        approve=xml.local(action) == "approve-proposal-v1",
        omobility_id=xml.text(action, "u:omobility-id", ns),
        proposal_id=xml.text(action, "u:proposal-id", ns),
        comment=xml.text(action, "u:comment", ns),
    )


def current_proposal(nominee: nominations.Nominee) -> str:
    """The ``proposal-id`` of the nomination we serve now."""
    [found] = nominations.parse(nominations.render([nominee]))
    return found.proposal_id


def accept(mobility: Mobility) -> str:
    """Record the host's acceptance with the office's rule: a nominated student is applied to
    the host first, then accepted; one accepted already (or further on) stays as it is."""
    flow = mobility_services.FLOW
    target = flow.index(MobilityState.ACCEPTED)
    while mobility.state in flow and flow.index(mobility.state) < target:
        following = flow[flow.index(mobility.state) + 1]
        mobility = mobility_services.set_state(mobility=mobility, state=following, actor=None)
    return _("The nomination of %(student)s is recorded as accepted by %(host)s.") % {
        "student": mobility.student,
        "host": mobility.host,
    }


@ewp_api(methods=("POST",))
def update(request: HttpRequest, caller: Caller) -> HttpResponse:
    if (request.content_type or "").lower() not in XML_BODIES:
        raise Refused(415, "POST the omobilities-update-request as text/xml.")
    try:
        answer = parse_update(request.body)
    except EwpError as error:
        raise Refused(400, f"The update request cannot be read: {error}") from None
    found = by_omobility_id(caller, [answer.omobility_id])
    if not found:
        # Unknown, or a mobility the caller does not receive: the same answer.
        raise Refused(400, f"You receive no mobility {answer.omobility_id!r} of ours.")
    servable_now = servable(found)
    if not servable_now:
        raise Refused(409, "This nomination is not served any more.")
    current = current_proposal(servable_now[0])
    if answer.proposal_id != current:
        raise Refused(409, f"{answer.proposal_id!r} is not the current proposal ({current!r} is).")
    mobility = found[0]
    if not answer.approve:
        log.warning(
            "EWP nomination of mobility %s rejected by %s (request %s): %s",
            mobility.pk,
            " ".join(caller.hei_ids),
            caller.request_id,
            answer.comment,
        )
        message = _("Your rejection is received; the office will contact you.")
    else:
        if mobility.state == MobilityState.WITHDRAWN:
            raise Refused(409, "This mobility was withdrawn.")
        try:
            with transaction.atomic():
                message = accept(mobility)
        except MobilityError as error:
            raise Refused(409, str(error)) from None
    return xml_response(render_update_response(UPDATE_RESPONSE, message))


# ----------------------------------------------------------------------------------- client
#
# The receiving HEI's side, for tests and tools (abroad keeps no incoming mobilities): read a
# partner's nominations, approve or reject one.


def fetch(hei_id: str, omobility_ids: list[str]) -> list[nominations.Nomination]:
    """``hei_id``'s OMobilities get v3 answer for ``omobility_ids``, verified and valid."""
    answer = call(hei_id, OMOBILITIES_GET, 3, params=[("omobility_id", i) for i in omobility_ids])
    if answer.status != 200:
        raise failure("OMobilities", hei_id, answer)
    try:
        return nominations.parse(answer.body)
    except EwpError as error:
        raise CallError(str(error)) from None


def render_update(
    omobility_id: str, proposal_id: str, *, approve: bool, comment: str = ""
) -> bytes:
    """An ``omobilities-update-request`` approving or rejecting (with ``comment``) a
    nomination, checked against the schema."""
    root = xml.new_document(UPDATE_REQUEST)
    action = xml.element(root, "approve-proposal-v1" if approve else "reject-proposal-v1")
    xml.element(action, "omobility-id", omobility_id)
    xml.element(action, "proposal-id", proposal_id)
    if not approve:
        xml.element(action, "comment", comment)
    return services.emitted(UPDATE_REQUEST, xml.serialize(root))


def send_update(hei_id: str, document: bytes) -> str:
    """Send an update request to ``hei_id``'s OMobilities update; its message, or CallError
    with its refusal."""
    answer = call(
        hei_id,
        OMOBILITIES_UPDATE,
        3,
        method="POST",
        data=document,
        content_type="text/xml; charset=utf-8",
    )
    if answer.status != 200:
        raise failure("OMobilities update", hei_id, answer)
    try:
        root = xml.read(UPDATE_RESPONSE, answer.body)
    except EwpError as error:
        raise CallError(str(error)) from None
    return " ".join(
        (n.text or "").strip() for n in root.iterfind(f"{{{COMMON}}}success-user-message")
    )
