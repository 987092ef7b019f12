"""The IIAs API v7 of the node (ewp-specs-api-iias, stable-v7): ``index`` and ``get``.

Parameters as v7 has them: ``index`` takes ``receiving_academic_year_id`` (repeatable,
``2026/2027``) and ``modified_since`` (an ``xs:dateTime``), ``get`` takes ``iia_id``
(repeatable, at most :data:`MAX_IIA_IDS`). v7 removed ``hei_id`` and ``partner_hei_id``; we
still accept them from clients used to v6: a ``hei_id`` must then be ours (else 400), a
``partner_hei_id`` only narrows the index.

A caller sees only the agreements it is party to: those whose partner's SCHAC code is one of
the HEIs the registry binds the caller's key to (:attr:`Caller.hei_ids`). Other agreements are
not listed by ``index`` and their ids are left out of ``get`` silently, exactly as unknown ids
are (the specification's rule, so a caller learns nothing of agreements with others). Only
Erasmus+ agreements are IIAs; drafts are served too (the partner reads a draft to approve it).

``get`` answers with the document the office downloads (:func:`services.export_iias`, one
rule for both), so the ``iia-hash`` a partner computes is the one the office sees. An
agreement that cannot be written as a valid IIA (a broad ISCED-F field, studies with no
language: the checks before sending) is left out of both endpoints and logged: nothing invalid
leaves the node.

What they cost follows what is asked: ``index`` builds each listed agreement's :class:`iia.Iia`
but renders and checks each distinct one once per process (:func:`_problems`); ``get`` finds
the ids asked by the stored ids' index and the caller's agreements' primary keys, and builds
those alone (docs/performance.md, "The EWP node's IIAs API").
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from abroad.catalogue.enums import Programme
from abroad.catalogue.models import Agreement, Offer
from abroad.catalogue.queries import by_schac_codes
from abroad.ewp import iia, presend, services, xml
from abroad.ewp.network.client import CallError, call, failure
from abroad.ewp.network.httpsig import Refused
from abroad.ewp.network.registry import Api
from abroad.ewp.network.server import (
    Caller,
    ewp_api,
    render_ids,
    serve,
    served_hei,
    wanted_ids,
)
from abroad.ewp.xml import EwpError

log = logging.getLogger(__name__)

MANIFEST_ENTRY = (
    "https://github.com/erasmus-without-paper/ewp-specs-api-iias/blob/stable-v7/manifest-entry.xsd"
)
VERSION = "7.0.0"
MAX_IIA_IDS = 50  # the max-iia-ids of our manifest
IIAS_GET = Api("iias", MANIFEST_ENTRY, "get-url")
IIAS_INDEX = Api("iias", MANIFEST_ENTRY, "index-url")
INDEX_NS = (
    "https://github.com/erasmus-without-paper/ewp-specs-api-iias/blob/stable-v7/"
    "endpoints/index-response.xsd"
)
IIA_INDEX = xml.Kind(
    "iia-index",
    INDEX_NS,
    "iias-index-response",
    "ewp-specs-api-iias/endpoints/index-response.xsd",
    "stable-v7",
)
_YEAR = re.compile(r"^(\d{4})/(\d{4})$")


# ----------------------------------------------------------------------------- who sees what


def visible_agreements(hei_ids: Iterable[str]) -> QuerySet[Agreement]:
    """The agreements a caller speaking for ``hei_ids`` is party to, with what rendering them
    reads (the partner and our EWP identity; the offers are prefetched by the callers)."""
    return (
        Agreement.objects.filter(by_schac_codes(hei_ids, "partner__"), programme=Programme.ERASMUS)
        .select_related("partner", "ewp")
        .order_by("pk")
    )


@lru_cache(maxsize=16384)
def _problems(built: iia.Iia) -> tuple[str, ...]:
    """What keeps ``built`` from being served (the checks before sending on its rendered
    document), remembered per IIA: the document is a function of the :class:`iia.Iia` alone,
    so any change it would show (an offer, the partner's code, our HEI, the partner's copy)
    is another key, and an unchanged agreement is not rendered, hashed and parsed again."""
    return tuple(presend.problems(xml.parse(iia.render([built]), ours=True)))


def servable(agreements: Iterable[Agreement]) -> list[Agreement]:
    """Those that can be written as IIAs a partner accepts (offers prefetched): built, and
    passing the checks before sending (:mod:`abroad.ewp.presend`); the others are logged.
    Building is cheap; the checks on the rendered document run once per distinct IIA
    (:func:`_problems`)."""
    found = []
    home = services.home_hei()
    for agreement in agreements:
        try:
            built = services.agreement_iia(agreement, home)
        except EwpError as error:
            log.error("EWP IIA %s not served: %s", agreement.code, error)
            continue
        problems = _problems(built)
        if problems:
            log.error("EWP IIA %s not served: %s", agreement.code, " ".join(problems))
            continue
        found.append(agreement)
    return found


def iia_id(agreement: Agreement) -> str:
    """Our iia-id of the agreement, as ``get`` and the download name it."""
    return str(agreement.iia_id)


# ------------------------------------------------------------------------------ parameters


def parameters(request: HttpRequest) -> QueryDict:
    """The query (GET) or the form body (POST, ``application/x-www-form-urlencoded`` only;
    an empty POST, which asks with no parameter, may come without a type)."""
    if request.method == "POST":
        if not request.body:
            return QueryDict()
        if (request.content_type or "") != "application/x-www-form-urlencoded":
            raise Refused(415, "POST the parameters as application/x-www-form-urlencoded.")
        return request.POST
    return request.GET


def _single(params: QueryDict, name: str, *, required: bool) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:
        raise Refused(400, f"Give {name} once.")
    if not values:
        if required:
            raise Refused(400, f"The {name} parameter is required.")
        return None
    return values[0]


def _our_hei(params: QueryDict) -> None:
    """IIAs v7 removed ``hei_id`` (a node serves its own agreements): v7 clients send none.
    One given by an older habit must name our HEI (400 otherwise), never another's."""
    hei_id = _single(params, "hei_id", required=False)
    if hei_id is None:
        return
    home = served_hei("IIAs not served")
    if hei_id.strip().lower() != home:
        raise Refused(400, f"This node does not cover the HEI {hei_id!r}.")


def _years(values: list[str]) -> list[int]:
    years = []
    for value in values:
        match = _YEAR.match(value)
        if match is None or int(match[2]) != int(match[1]) + 1:
            raise Refused(
                400, f"receiving_academic_year_id {value!r} is not an academic year (2026/2027)."
            )
        years.append(int(match[1]))
    return years


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        found = parse_datetime(value.strip())
    except ValueError:
        found = None
    if found is None:
        raise Refused(400, f"modified_since {value!r} is not an xs:dateTime.")
    return found if timezone.is_aware(found) else found.replace(tzinfo=UTC)


@dataclass(frozen=True)
class IndexQuery:
    partner_hei_ids: tuple[str, ...]
    years: tuple[int, ...]
    modified_since: datetime | None


def index_query(params: QueryDict) -> IndexQuery:
    """The index's parameters, checked (400 for what the specification refuses)."""
    _our_hei(params)
    return IndexQuery(
        partner_hei_ids=tuple(v.strip().lower() for v in params.getlist("partner_hei_id")),
        years=tuple(_years(params.getlist("receiving_academic_year_id"))),
        modified_since=_since(_single(params, "modified_since", required=False)),
    )


# ---------------------------------------------------------------------------------- queries


def index_ids(caller: Caller, query: IndexQuery) -> list[str]:
    """The iia-ids ``index`` lists for ``caller``: a fixed number of queries."""
    heis = [h.lower() for h in caller.hei_ids]
    if query.partner_hei_ids:
        heis = [h for h in heis if h in query.partner_hei_ids]
    agreements = visible_agreements(heis)
    if query.years:
        # Our cooperation conditions (the offers) run over the agreement's years; an
        # agreement without offers has no condition valid in any year.
        covering = Q(pk__in=[])
        for year in query.years:
            covering |= Q(start_year__lte=year, end_year__gte=year)
        offered = Exists(Offer.objects.filter(agreement=OuterRef("pk")))
        agreements = agreements.filter(covering, offered)
    if query.modified_since is not None:
        since = query.modified_since
        # What changes the document: the agreement, its partner (the SCHAC code), the
        # partner's copy accepted (their iia-id and code). An offer changed on its own admin
        # page does not touch the agreement's time yet (docs/ewp.md says so).
        agreements = agreements.filter(
            Q(updated_at__gt=since)
            | Q(partner__updated_at__gt=since)
            | Q(ewp__partner_updated_at__gt=since)
        )
    return [iia_id(a) for a in servable(agreements.prefetch_related("offers"))]


def get_agreements(caller: Caller, wanted: list[str]) -> list[Agreement]:
    """The caller's agreements among the iia-ids ``wanted``, in the order asked; the ids it
    may not see, unknown or not ours, are left out."""
    ids = []
    for value in wanted:
        try:
            ids.append(uuid.UUID(value.strip()))
        except ValueError:
            continue  # not one of our ids
    if not ids:
        return []
    # Every agreement's id is stored on it (indexed): only the asked ones are read.
    matched = visible_agreements(caller.hei_ids).filter(iia_id__in=ids)
    by_id = {a.iia_id: a for a in matched.prefetch_related("offers")}
    found = list(dict.fromkeys(by_id[i] for i in ids if i in by_id))
    return servable(found)


# ------------------------------------------------------------------------------------ views


@ewp_api(methods=("GET", "POST"))
def index(request: HttpRequest, caller: Caller) -> HttpResponse:
    query = index_query(parameters(request))
    return serve(
        "IIAs index",
        "The index could not be written.",
        lambda: render_ids(IIA_INDEX, index_ids(caller, query), "iia-id"),
    )


@ewp_api(methods=("GET", "POST"))
def get(request: HttpRequest, caller: Caller) -> HttpResponse:
    params = parameters(request)
    _our_hei(params)
    wanted = wanted_ids(params, "iia_id", MAX_IIA_IDS)
    return serve(
        "IIAs get",
        "The agreements could not be written as valid IIAs.",
        lambda: services.export_iias(get_agreements(caller, wanted)),
    )


# ----------------------------------------------------------------------------------- client


def fetch_document(hei_id: str, iia_ids: list[str]) -> bytes | None:
    """``hei_id``'s IIAs get v7 answer for ``iia_ids``, verified and valid; None when it
    serves none of them (deleted, or not with us)."""
    answer = call(hei_id, IIAS_GET, 7, params=[("iia_id", i) for i in iia_ids])
    if answer.status != 200:
        raise failure("IIAs", hei_id, answer)
    try:
        root = xml.read(xml.IIA_GET, answer.body)
    except EwpError as error:
        raise CallError(str(error)) from None
    if root.find("i:iia", iia.NS) is None:
        return None
    return answer.body


def fetch(hei_id: str, iia_ids: list[str]) -> list[iia.Iia]:
    """Call ``hei_id``'s IIAs get v7 for ``iia_ids`` and read its verified, valid answer."""
    data = fetch_document(hei_id, iia_ids)
    return [] if data is None else iia.parse(data)
