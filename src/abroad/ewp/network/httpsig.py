"""The EWP profile of HTTP signatures (draft-cavage-http-signatures-07), both ways.

ewp-specs-sec-cliauth-httpsig: a request carries ``Date`` (or ``Original-Date``), a
``Digest`` (SHA-256 of the body, base64), an ``X-Request-Id`` (a canonical UUID) and an
``Authorization: Signature keyId=...,algorithm="rsa-sha256",headers="...",signature=...``
covering at least ``(request-target) host date|original-date digest x-request-id``.
ewp-specs-sec-srvauth-httpsig: the response carries the same date and digest, the request's
``X-Request-Id`` and ``X-Request-Signature`` (the signature of the request), signed in a
``Signature`` header. ``keyId`` is the lower-case hex SHA-256 of the binary public key.

Pure functions on header mappings: the server side (:mod:`.server`) and the client
(:mod:`.client`) bring the keys from the files and the registry catalogue. No library
implements this profile (docs/ewp.md, "Why our own HTTP signatures"); this is a small one on
``cryptography``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ALGORITHM = "rsa-sha256"
REQUEST_HEADERS = ("(request-target)", "host", "date", "digest", "x-request-id")
RESPONSE_HEADERS = ("original-date", "digest", "x-request-id", "x-request-signature")
_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*"([^"]*)"\s*(?:,|$)')
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_KEY_ID = re.compile(r"^[0-9a-f]{64}$")


class Refused(Exception):
    """A signature check failed: ``status`` is the HTTP status the specification names for
    a request (400, 401 or 403), the message is for the developer on the other side."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Parameters:
    key_id: str
    algorithm: str
    headers: tuple[str, ...]
    signature: str


def http_date(moment: datetime | None = None) -> str:
    return format_datetime(moment or datetime.now(UTC), usegmt=True)


def digest(body: bytes) -> str:
    """The ``Digest`` header of ``body``: ``SHA-256=<base64>``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def new_request_id() -> str:
    return str(uuid.uuid4())


def parse_parameters(value: str, *, scheme: str | None) -> Parameters:
    """The parameters of an ``Authorization: Signature ...`` (``scheme`` "Signature") or a
    ``Signature`` header (``scheme`` None). Refused with 400 when malformed."""
    text = value.strip()
    if scheme is not None:
        if not text.lower().startswith(scheme.lower() + " "):
            raise Refused(401, f"The Authorization header does not use the {scheme} scheme.")
        text = text[len(scheme) + 1 :]
    found: dict[str, str] = {}
    position = 0
    while position < len(text):
        match = _PARAM.match(text, position)
        if not match:
            raise Refused(400, "The signature parameters cannot be parsed.")
        found[match.group(1)] = match.group(2)
        position = match.end()
    missing = [name for name in ("keyId", "signature") if name not in found]
    if missing:
        raise Refused(400, f"The signature has no {', '.join(missing)} parameter.")
    headers = tuple(found.get("headers", "date").lower().split())
    return Parameters(
        key_id=found["keyId"],
        algorithm=found.get("algorithm", "").lower(),
        headers=headers,
        signature=found["signature"],
    )


def signing_string(
    names: tuple[str, ...],
    headers: Mapping[str, str],
    *,
    method: str = "",
    target: str = "",
) -> bytes:
    """The cavage signing string: one ``name: value`` line per signed header, in order;
    ``headers`` maps lower-case names to values."""
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
            continue
        if name not in headers:
            raise Refused(400, f"The signed header {name} is missing.")
        lines.append(f"{name}: {headers[name].strip()}")
    return "\n".join(lines).encode("utf-8")


def sign(key: rsa.RSAPrivateKey, text: bytes) -> str:
    return base64.b64encode(key.sign(text, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def verify(public_der: bytes, text: bytes, signature: str) -> bool:
    try:
        public = serialization.load_der_public_key(public_der)
        raw = base64.b64decode(signature, validate=True)
    except (ValueError, binascii.Error):
        return False
    if not isinstance(public, rsa.RSAPublicKey):
        return False
    try:
        public.verify(raw, text, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def header_value(parameters: Parameters) -> str:
    return (
        f'keyId="{parameters.key_id}",algorithm="{parameters.algorithm}",'
        f'headers="{" ".join(parameters.headers)}",signature="{parameters.signature}"'
    )


def sha256_of(value: str) -> str | None:
    """The base64 SHA-256 value of a ``Digest`` header, which may list several algorithms."""
    for part in value.split(","):
        name, _sep, encoded = part.strip().partition("=")
        if name.strip().lower() == "sha-256":
            return encoded.strip()
    return None


def check_digest(headers: Mapping[str, str], body: bytes) -> None:
    given = sha256_of(headers.get("digest", ""))
    if given is None:
        raise Refused(400, "The Digest header has no SHA-256 value.")
    if given != digest(body).split("=", 1)[1]:
        raise Refused(400, "The Digest header does not match the body.")


def check_dates(names: tuple[str, ...], headers: Mapping[str, str], skew: int) -> None:
    """Every signed date (and any unsigned one present) within ``skew`` seconds of our clock."""
    now = datetime.now(UTC)
    for name in ("date", "original-date"):
        if name not in headers:
            if name in names:
                raise Refused(400, f"The signed header {name} is missing.")
            continue
        try:
            moment = parsedate_to_datetime(headers[name])
        except (TypeError, ValueError):
            raise Refused(400, f"The {name} header cannot be parsed.") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if abs((now - moment).total_seconds()) > skew:
            raise Refused(
                400,
                f"The {name} header is more than {skew} seconds away from our clock.",
            )


def check_request_parameters(parameters: Parameters) -> None:
    if parameters.algorithm != ALGORITHM:
        raise Refused(401, f"The signature algorithm must be {ALGORITHM}.")
    covered = set(parameters.headers)
    required = {"(request-target)", "host", "digest", "x-request-id"}
    if not required <= covered or not covered & {"date", "original-date"}:
        raise Refused(
            401,
            "The signature must cover (request-target), host, date or original-date, digest "
            "and x-request-id.",
        )
    if not _KEY_ID.match(parameters.key_id.lower()):
        raise Refused(400, "The keyId is not a hex SHA-256 fingerprint.")


def check_request_id(headers: Mapping[str, str]) -> str:
    value = headers.get("x-request-id", "").strip()
    if not _UUID.match(value.lower()):
        raise Refused(400, "The X-Request-Id header is not a UUID in canonical form.")
    return value.lower()


# ---------------------------------------------------------------------------------------------
# Signing (both sides)


def sign_request(
    key: rsa.RSAPrivateKey,
    key_id: str,
    *,
    method: str,
    target: str,
    host: str,
    body: bytes,
    extra: Mapping[str, str] | None = None,
    date: str | None = None,
    request_id: str | None = None,
) -> dict[str, str]:
    """The headers that sign a request (``target``: path and query, as sent)."""
    headers = {
        "host": host,
        "date": date or http_date(),
        "digest": digest(body),
        "x-request-id": request_id or new_request_id(),
        **{name.lower(): value for name, value in (extra or {}).items()},
    }
    # The body's type decides how the server reads it: signed too when there is one.
    names = REQUEST_HEADERS + (("content-type",) if "content-type" in headers else ())
    text = signing_string(names, headers, method=method, target=target)
    parameters = Parameters(key_id, ALGORITHM, names, sign(key, text))
    return {
        "Host": headers["host"],
        "Date": headers["date"],
        "Digest": headers["digest"],
        "X-Request-Id": headers["x-request-id"],
        "Accept-Signature": ALGORITHM,
        "Want-Digest": "SHA-256",
        "Authorization": "Signature " + header_value(parameters),
        **(extra or {}),
    }


def sign_response(
    key: rsa.RSAPrivateKey,
    key_id: str,
    *,
    body: bytes,
    request_id: str | None,
    request_signature: str | None,
) -> dict[str, str]:
    """The headers that sign a response: the date, the digest, the request's id and
    signature when it had them. ``Original-Date`` is signed, ``Date`` only sent: a server
    such as gunicorn may add its own ``Date``, which would break a signed one."""
    now = http_date()
    headers = {"original-date": now, "date": now, "digest": digest(body)}
    if request_id:
        headers["x-request-id"] = request_id
    if request_signature:
        headers["x-request-signature"] = request_signature
    names = tuple(name for name in RESPONSE_HEADERS if name in headers)
    text = signing_string(names, headers)
    parameters = Parameters(key_id, ALGORITHM, names, sign(key, text))
    named = {
        "original-date": "Original-Date",
        "date": "Date",
        "digest": "Digest",
        "x-request-id": "X-Request-Id",
        "x-request-signature": "X-Request-Signature",
    }
    return {named[name]: value for name, value in headers.items()} | {
        "Signature": header_value(parameters)
    }


def check_response(
    headers: Mapping[str, str],
    body: bytes,
    *,
    request_id: str,
    request_signature: str,
    skew: int,
) -> Parameters:
    """The checks of ewp-specs-sec-srvauth-httpsig that need no key: the parameters, the
    dates, the request id and signature echoed, the digest. The caller then checks the key
    (:func:`verify_response_signature`). Any failure is a :class:`Refused`."""
    if "signature" not in headers:
        raise Refused(0, "The response is not signed (no Signature header).")
    parameters = parse_parameters(headers["signature"], scheme=None)
    if parameters.algorithm != ALGORITHM:
        raise Refused(0, f"The response's signature algorithm is not {ALGORITHM}.")
    covered = set(parameters.headers)
    if not {"digest", "x-request-id", "x-request-signature"} <= covered or not covered & {
        "date",
        "original-date",
    }:
        raise Refused(0, "The response's signature does not cover the required headers.")
    if not _KEY_ID.match(parameters.key_id):
        raise Refused(0, "The response's keyId is not a lower-case hex SHA-256 fingerprint.")
    check_dates(parameters.headers, {k: v for k, v in headers.items() if k in covered}, skew)
    if headers.get("x-request-id", "").lower() != request_id.lower():
        raise Refused(0, "The response's X-Request-Id is not the one we sent.")
    if headers.get("x-request-signature", "") != request_signature:
        raise Refused(0, "The response's X-Request-Signature is not our request's signature.")
    check_digest(headers, body)
    return parameters


def verify_response_signature(
    parameters: Parameters, headers: Mapping[str, str], public_der: bytes
) -> None:
    if not verify(public_der, signing_string(parameters.headers, headers), parameters.signature):
        raise Refused(0, "The response's signature is not valid.")
