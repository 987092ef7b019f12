"""The server side of the node: every API view under /ewp/ is wrapped in :func:`ewp_api`,
which refuses what ewp-specs-sec-cliauth-httpsig refuses (with the status and the
``error-response`` it names), passes the caller to the view, and signs the answer
(ewp-specs-sec-srvauth-httpsig).

Refused requests store nothing; an accepted request's X-Request-Id is kept
(:class:`~abroad.ewp.models.SeenRequest`) for the allowed clock skew, and the same id again
is refused. The Host header is checked by Django against ``ALLOWED_HOSTS`` before any view.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from lxml import etree

from abroad.ewp import services, xml
from abroad.ewp.models import SeenRequest
from abroad.ewp.network import httpsig, keys
from abroad.ewp.network.httpsig import Refused
from abroad.ewp.network.registry import RegistryError, catalogue
from abroad.ewp.xml import EwpError

log = logging.getLogger(__name__)

COMMON = "https://github.com/erasmus-without-paper/ewp-specs-architecture/blob/stable-v1/common-types.xsd"
XML_TYPE = "application/xml; charset=utf-8"


@dataclass(frozen=True)
class Caller:
    """Who signed an accepted request: its key and the HEIs the registry binds it to."""

    key_id: str
    hei_ids: tuple[str, ...]
    request_id: str
    signature: str


def skew() -> int:
    return max(300, int(settings.EWP_CLOCK_SKEW_SECONDS))


def _headers(request: HttpRequest) -> dict[str, str]:
    found = {name.lower(): value for name, value in request.headers.items()}
    found["host"] = request.get_host()  # checked against ALLOWED_HOSTS
    return found


def authenticate(request: HttpRequest) -> Caller:
    """The caller of a signed request, or :class:`Refused`; records the request id last."""
    headers = _headers(request)
    authorization = headers.get("authorization", "")
    if not authorization.lower().startswith("signature "):
        raise Refused(401, "This endpoint needs HTTP Signature client authentication.")
    parameters = httpsig.parse_parameters(authorization, scheme="Signature")
    httpsig.check_request_parameters(parameters)
    try:
        found = catalogue().client_key(parameters.key_id)
    except RegistryError as error:
        log.error("EWP request refused: %s", error)
        raise Refused(500, "The registry catalogue is not available to this node.") from None
    if found is None:
        raise Refused(403, "The keyId is not a client key in the registry catalogue.")
    public_der, hei_ids = found
    if not hei_ids:
        raise Refused(403, "The registry binds this client key to no HEI.")
    httpsig.check_dates(parameters.headers, headers, skew())
    request_id = httpsig.check_request_id(headers)
    text = httpsig.signing_string(
        parameters.headers, headers, method=request.method or "", target=request.get_full_path()
    )
    if not httpsig.verify(public_der, text, parameters.signature):
        raise Refused(400, "The request's signature is not valid.")
    httpsig.check_digest(headers, request.body)
    _remember(request_id, parameters.key_id.lower())
    return Caller(parameters.key_id.lower(), tuple(hei_ids), request_id, parameters.signature)


def _remember(request_id: str, key_id: str) -> None:
    now = timezone.now()
    SeenRequest.objects.filter(seen_at__lt=now - timedelta(seconds=2 * skew())).delete()
    try:
        with transaction.atomic():
            SeenRequest.objects.create(request_id=request_id, key_id=key_id, seen_at=now)
    except IntegrityError:
        raise Refused(400, "This X-Request-Id was already used: the request is refused.") from None


def error_response(status: int, message: str) -> HttpResponse:
    root = etree.Element(f"{{{COMMON}}}error-response", nsmap={None: COMMON})
    etree.SubElement(root, f"{{{COMMON}}}developer-message").text = message
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    response = HttpResponse(body, status=status, content_type=XML_TYPE)
    if status == 401:
        response["WWW-Authenticate"] = 'Signature realm="EWP"'
        response["Want-Digest"] = "SHA-256"
    return response


def sign(response: HttpResponse, request: HttpRequest, caller: Caller | None) -> HttpResponse:
    """Sign ``response`` with our server key (every response, asked for or not)."""
    try:
        key = keys.current("server")
    except keys.KeyFileError as error:
        log.error("EWP response unsigned: %s", error)
        return response
    request_id = caller.request_id if caller else None
    if request_id is None:
        given = request.headers.get("X-Request-Id", "")
        request_id = given if given and len(given) <= 64 else None
    headers = httpsig.sign_response(
        key.private,
        key.key_id,
        body=response.content,
        request_id=request_id,
        request_signature=caller.signature if caller else None,
    )
    for name, value in headers.items():
        response[name] = value
    return response


View = Callable[..., HttpResponse]


def ewp_api(methods: tuple[str, ...] = ("GET", "POST")) -> Callable[[View], View]:
    """Wrap an API view ``view(request, caller, ...)``: signed requests only, signed answers,
    no CSRF token (the signature authenticates the request)."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            caller = None
            try:
                caller = authenticate(request)
                if request.method not in methods:
                    raise Refused(405, f"Use {' or '.join(methods)}.")
                response = view(request, caller, *args, **kwargs)
            except Refused as refused:
                response = error_response(refused.status, refused.message)
            return sign(response, request, caller)

        return wrapped

    return decorate


# ------------------------------------------------------------------- what every API reads


def wanted_ids(params: QueryDict, name: str, most: int) -> list[str]:
    """The repeated id parameter ``name`` (``iia_id``, ``omobility_id``): at least one, at
    most ``most`` (the manifest's ``max-iia-ids``, ``max-omobility-ids``); 400 otherwise."""
    wanted = params.getlist(name)
    if not wanted:
        raise Refused(400, f"Give at least one {name}.")
    if len(wanted) > most:
        limit = f"max-{name.replace('_', '-')}s"
        raise Refused(400, f"Give at most {most} {name} values ({limit}).")
    return wanted


def served_hei(what: str) -> str:
    """Our HEI id, which every endpoint compares callers' parameters with; 500 (logged as
    ``what``) when the node has none configured."""
    try:
        return services.home_hei()
    except EwpError as error:
        log.error("EWP %s: %s", what, error)
        raise Refused(500, "This node has no HEI id configured.") from None


# ------------------------------------------------------------------- what every API answers


def xml_response(body: bytes) -> HttpResponse:
    return HttpResponse(body, content_type=XML_TYPE)


def serve(what: str, refusal: str, build: Callable[[], bytes]) -> HttpResponse:
    """The document ``build`` writes; a document that cannot be written valid (EwpError) is
    logged as ``what`` not served and answered 500 with ``refusal``."""
    try:
        return xml_response(build())
    except EwpError as error:
        log.error("EWP %s not served: %s", what, error)
        raise Refused(500, refusal) from None


def render_ids(kind: xml.Kind, ids: list[str], element: str = "omobility-id") -> bytes:
    """An index response of ``kind``: one ``element`` per id, checked against its schema."""
    root = xml.new_document(kind)
    for value in ids:
        xml.element(root, element, value)
    return services.emitted(kind, xml.serialize(root))


def render_update_response(kind: xml.Kind, message: str) -> bytes:
    """An update response of ``kind`` with its ``success-user-message``."""
    root = xml.new_document(kind, {"ewp": COMMON})
    xml.element(root, f"{{{COMMON}}}success-user-message", message)
    return services.emitted(kind, xml.serialize(root))
