"""The client side of the node: call a partner's API for a HEI, found in the registry
catalogue, with our client key's signature, and accept the answer only when its signature
is valid with a server key the catalogue binds to the host serving that URL
(ewp-specs-sec-srvauth-httpsig). Calls have a timeout (``ABROAD_EWP_HTTP_TIMEOUT_SECONDS``)
and are tried again, with growing pauses, when the partner cannot be reached or answers
502/503/504 (``ABROAD_EWP_HTTP_RETRIES``, ``ABROAD_EWP_HTTP_RETRY_SECONDS``).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from lxml import etree

from abroad.ewp import xml
from abroad.ewp.network import httpsig, keys
from abroad.ewp.network.httpsig import Refused
from abroad.ewp.network.registry import ECHO_V2, Api, Catalogue, RegistryError, catalogue
from abroad.ewp.network.server import skew

RETRY_STATUSES = {502, 503, 504}  # a partner's server or proxy that is down for a moment
ECHO_RESPONSE = "https://github.com/erasmus-without-paper/ewp-specs-api-echo/tree/stable-v2"


class CallError(Exception):
    """A call that could not be made, or whose answer we do not accept; the message says why."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]
    request_id: str
    key_id: str  # the server key that signed the answer


def send(
    url: str,
    *,
    method: str = "GET",
    params: list[tuple[str, str]] | None = None,
    key: keys.KeyPair | None = None,
    extra_headers: dict[str, str] | None = None,
    data: bytes | None = None,
    content_type: str = "",
) -> tuple[int, bytes, dict[str, str], dict[str, str]]:
    """A signed request; the status, body and (lower-case) headers of the answer, and the
    headers we sent. ``data`` (with its ``content_type``) is a POST body of its own, such as
    an XML document, instead of the form-encoded ``params``. No check of the answer: see
    :func:`call`."""
    key = key or keys.current("client")
    parts = urlsplit(url)
    encoded = urlencode(params or [])
    body = b""
    target = parts.path or "/"
    query = "&".join(p for p in (parts.query, encoded if method == "GET" else "") if p)
    if query:
        target += "?" + query
    headers_extra = dict(extra_headers or {})
    if method != "GET" and data is not None:
        body = data
        headers_extra.setdefault("Content-Type", content_type or "application/xml")
    elif method != "GET":
        body = encoded.encode("ascii")
        headers_extra.setdefault("Content-Type", "application/x-www-form-urlencoded")
    sent = httpsig.sign_request(
        key.private,
        key.key_id,
        method=method,
        target=target,
        host=parts.netloc,
        body=body,
        extra=headers_extra,
    )
    request = urllib.request.Request(
        f"{parts.scheme}://{parts.netloc}{target}",
        data=body if method != "GET" else None,
        method=method,
        headers=sent,
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.EWP_HTTP_TIMEOUT_SECONDS) as answer:
            return answer.status, answer.read(), _lower(answer.headers), sent
    except urllib.error.HTTPError as error:
        return error.code, error.read(), _lower(error.headers), sent
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise CallError(f"{url} cannot be reached: {error}") from None


def _lower(headers: object) -> dict[str, str]:
    items = headers.items() if hasattr(headers, "items") else []
    found: dict[str, str] = {}
    for name, value in items:
        name = name.lower()
        found[name] = f"{found[name]}, {value}" if name in found else value
    return found


def verified(
    url: str,
    status: int,
    body: bytes,
    headers: dict[str, str],
    sent: dict[str, str],
    registry: Catalogue,
) -> Answer:
    """The answer, when its signature checks out; CallError otherwise."""
    request_id = sent["X-Request-Id"]
    request_signature = httpsig.parse_parameters(
        sent["Authorization"], scheme="Signature"
    ).signature
    try:
        parameters = httpsig.check_response(
            headers, body, request_id=request_id, request_signature=request_signature, skew=skew()
        )
        public = registry.server_key(parameters.key_id, url)
        if public is None:
            raise Refused(0, "The response is signed with a key the registry does not bind to it.")
        httpsig.verify_response_signature(parameters, headers, public)
    except Refused as refused:
        raise CallError(f"{url}: {refused.message}") from None
    signed = set(parameters.headers)
    kept = {
        name: value for name, value in headers.items() if name in signed or name == "content-type"
    }
    return Answer(status, body, kept, request_id, parameters.key_id)


def call(
    hei_id: str,
    api: Api,
    major: int,
    *,
    method: str = "GET",
    params: list[tuple[str, str]] | None = None,
    data: bytes | None = None,
    content_type: str = "",
) -> Answer:
    try:
        registry = catalogue()
    except RegistryError as error:
        raise CallError(str(error)) from None
    endpoint = registry.endpoint(hei_id, api, major)
    if endpoint is None:
        raise CallError(f"The registry lists no {api.name} v{major} for {hei_id}.")
    attempts = 1 + max(0, int(settings.EWP_HTTP_RETRIES))
    problem = CallError(endpoint.url)
    for attempt in range(attempts):
        if attempt:
            time.sleep(settings.EWP_HTTP_RETRY_SECONDS * 2 ** (attempt - 1))
        try:
            # Each attempt is a new request: a new X-Request-Id, signed again.
            status, body, headers, sent = send(
                endpoint.url, method=method, params=params, data=data, content_type=content_type
            )
        except CallError as error:
            problem = error
            continue
        if status not in RETRY_STATUSES or attempt == attempts - 1:
            return verified(endpoint.url, status, body, headers, sent, registry)
    raise CallError(f"{problem} (after {attempts} attempts)")


@dataclass(frozen=True)
class EchoResult:
    status: int
    hei_ids: list[str]
    echoes: list[str]
    request_id: str
    key_id: str


def echo(hei_id: str, values: list[str], *, method: str = "GET") -> EchoResult:
    """Call the Echo API v2 of ``hei_id`` and read its verified answer."""
    answer = call(hei_id, ECHO_V2, 2, method=method, params=[("echo", v) for v in values])
    if answer.status != 200:
        raise CallError(
            f"The Echo API of {hei_id} answered {answer.status}: {message(answer.body)}"
        )
    try:
        root = xml.parse(answer.body)
    except xml.EwpError as error:
        raise CallError(str(error)) from None
    ns = {"e": ECHO_RESPONSE}
    return EchoResult(
        answer.status,
        [xml.text(n) for n in root.iterfind("e:hei-id", ns)],
        [n.text or "" for n in root.iterfind("e:echo", ns)],
        answer.request_id,
        answer.key_id,
    )


def failure(api: str, hei_id: str, answer: Answer) -> CallError:
    """The error for a partner's answer other than 200, with its message."""
    return CallError(f"The {api} API of {hei_id} answered {answer.status}: {message(answer.body)}")


def message(body: bytes) -> str:
    """The text of a partner's answer (an error response's developer message), for a log."""
    try:
        root = etree.fromstring(body)
    except etree.XMLSyntaxError:
        return body[:200].decode("utf-8", "replace")
    return " ".join(t.strip() for t in root.itertext() if t.strip())
