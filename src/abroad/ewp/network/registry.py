"""The EWP registry's catalogue (ewp-specs-api-registry v1): who serves which HEI, which
keys to trust.

It is read from ``ABROAD_EWP_REGISTRY_URL``, validated against the registry's catalogue.xsd
from the schema folder, kept in :class:`~abroad.ewp.models.RegistryCatalogue` (one copy for
every process) and asked again with ``If-None-Match`` once older than
``ABROAD_EWP_REGISTRY_REFRESH_SECONDS``. When the registry cannot be reached, the copy we
have is used (and the failure logged); without any copy, :class:`RegistryError`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from lxml import etree

from abroad.ewp import xml
from abroad.ewp.models import RegistryCatalogue
from abroad.ewp.network.keys import fingerprint

log = logging.getLogger(__name__)

REGISTRY = "https://github.com/erasmus-without-paper/ewp-specs-api-registry/tree/stable-v1"
SCHEMA = "ewp-specs-api-registry/catalogue.xsd"
NS = {"r": REGISTRY}


class RegistryError(Exception):
    """The catalogue is not configured, cannot be fetched, or is not valid."""


@dataclass(frozen=True)
class Api:
    """An API as the manifests name it: the namespace of its manifest entry and its name."""

    name: str
    namespace: str
    url_element: str = "url"


ECHO_V2 = Api(
    "echo",
    "https://github.com/erasmus-without-paper/ewp-specs-api-echo/blob/stable-v2/manifest-entry.xsd",
)
DISCOVERY_V6 = Api(
    "discovery",
    "https://github.com/erasmus-without-paper/ewp-specs-api-discovery/blob/stable-v6/manifest-entry.xsd",
)


@dataclass(frozen=True)
class Endpoint:
    hei_id: str
    api: Api
    version: str
    url: str


class Catalogue:
    """A parsed, valid catalogue, answering the questions a node asks."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self._binaries: dict[str, bytes] = {}
        for node in root.iterfind("r:binaries/r:rsa-public-key", NS):
            try:
                data = base64.b64decode("".join((node.text or "").split()), validate=True)
            except (ValueError, binascii.Error):
                continue
            # The attribute is the registry's word; the content is what we check against.
            if fingerprint(data) == node.get("sha-256", "").lower():
                self._binaries[fingerprint(data)] = data

    def hosts(self) -> list[etree._Element]:
        return list(self.root.iterfind("r:host", NS))

    @staticmethod
    def heis_of(host: etree._Element) -> list[str]:
        return [
            (node.text or "").strip()
            for node in host.iterfind("r:institutions-covered/r:hei-id", NS)
            if (node.text or "").strip()
        ]

    @staticmethod
    def _has_key(host: etree._Element, section: str, key_id: str) -> bool:
        return any(
            node.get("sha-256", "").lower() == key_id
            for node in host.iterfind(f"r:{section}/r:rsa-public-key", NS)
        )

    def public_key(self, key_id: str) -> bytes | None:
        return self._binaries.get(key_id.lower())

    def client_key(self, key_id: str) -> tuple[bytes, list[str]] | None:
        """The public key a client signs with, and the HEIs it may speak for (the hosts that
        list it among their client credentials); None when no host lists it."""
        key_id = key_id.lower()
        hosts = [h for h in self.hosts() if self._has_key(h, "client-credentials-in-use", key_id)]
        data = self.public_key(key_id)
        if not hosts or data is None:
            return None
        heis: list[str] = []
        for host in hosts:
            heis.extend(hei for hei in self.heis_of(host) if hei not in heis)
        return data, heis

    def server_key(self, key_id: str, url: str) -> bytes | None:
        """The public key a server signed its response with, when the host serving ``url``
        lists it among its server credentials."""
        key_id = key_id.lower()
        for host in self.hosts():
            if not self._has_key(host, "server-credentials-in-use", key_id):
                continue
            apis = host.find("r:apis-implemented", NS)
            if apis is not None and any(
                (node.text or "").strip() == url for node in apis.iter() if len(node) == 0
            ):
                return self.public_key(key_id)
        return None

    def endpoint(self, hei_id: str, api: Api, major: int) -> Endpoint | None:
        """Where ``api`` in version ``major``.x is served for ``hei_id`` (the highest version
        when several hosts or entries serve it)."""
        found: list[tuple[tuple[int, ...], Endpoint]] = []
        for host in self.hosts():
            if hei_id not in self.heis_of(host):
                continue
            apis = host.find("r:apis-implemented", NS)
            if apis is None:
                continue
            for entry in apis.iterfind(f"{{{api.namespace}}}{api.name}"):
                version = entry.get("version", "")
                numbers = tuple(int(p) for p in version.split(".") if p.isdigit())
                url = xml.text(entry.find(f"{{{api.namespace}}}{api.url_element}"))
                if numbers[:1] == (major,) and url:
                    found.append((numbers, Endpoint(hei_id, api, version, url)))
        return max(found, key=lambda pair: pair[0])[1] if found else None

    def covers(self, hei_id: str) -> bool:
        """Some node of the network serves ``hei_id`` (a host lists it among the institutions
        it covers): the partner is reachable through EWP."""
        wanted = hei_id.strip().lower()
        return any(wanted in (h.lower() for h in self.heis_of(host)) for host in self.hosts())

    def hei_ids(self) -> list[str]:
        return [node.get("id", "") for node in self.root.iterfind("r:institutions/r:hei", NS)]


def read(data: bytes) -> Catalogue:
    """A catalogue from its XML; refused (RegistryError) when not valid against catalogue.xsd."""
    try:
        root = xml.parse(data, ours=True)
    except xml.EwpError as error:
        raise RegistryError(f"The registry catalogue is not XML: {error}") from None
    if root.tag != f"{{{REGISTRY}}}catalogue":
        raise RegistryError("This is not an EWP registry catalogue.")
    try:
        schema = xml._schema(xml.schema_dir(), SCHEMA)
    except xml.EwpError as error:
        raise RegistryError(str(error)) from None
    errors = []
    for problem in schema.iter_errors(root):
        errors.append(f"{problem.reason or problem.message} ({problem.path})")
        if len(errors) >= 5:
            break
    if errors:
        raise RegistryError("The registry catalogue is not valid: " + "; ".join(errors))
    return Catalogue(root)


_parsed: dict[str, Catalogue] = {}


def _catalogue_of(row: RegistryCatalogue) -> Catalogue:
    """The parsed catalogue of ``row``, parsed once per process (the real catalogue is some
    megabytes: its text is read from the database only when this process has not parsed it)."""
    if row.sha256 not in _parsed:
        _parsed.clear()  # row.xml: a deferred field, read now
        _parsed[row.sha256] = Catalogue(xml.parse(row.xml.encode("utf-8"), ours=True))
    return _parsed[row.sha256]


def refresh(*, force: bool = False) -> RegistryCatalogue:
    """Ask the registry for its catalogue (with the ETag we have, unless ``force``) and keep
    what it answers; the copy we have when it cannot be reached."""
    url = settings.EWP_REGISTRY_URL
    if not url:
        raise RegistryError("The EWP registry is not configured (ABROAD_EWP_REGISTRY_URL).")
    row = RegistryCatalogue.objects.filter(url=url).first()
    request = urllib.request.Request(url, headers={"Accept": "application/xml"})
    if row is not None and row.etag and not force:
        request.add_header("If-None-Match", row.etag)
    now = timezone.now()
    try:
        with urllib.request.urlopen(request, timeout=settings.EWP_HTTP_TIMEOUT_SECONDS) as answer:
            data = answer.read()
            etag = answer.headers.get("ETag", "") or ""
    except urllib.error.HTTPError as error:
        if error.code == 304 and row is not None:
            row.checked_at = now
            row.save(update_fields=["checked_at"])
            return row
        return _unreachable(row, f"HTTP {error.code}")
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        return _unreachable(row, str(error))
    read(data)  # refuses an invalid catalogue; the copy we have stays
    sha = hashlib.sha256(data).hexdigest()
    row, _created = RegistryCatalogue.objects.update_or_create(
        url=url,
        defaults={
            "etag": etag[:200],
            "xml": data.decode("utf-8"),
            "sha256": sha,
            "fetched_at": now,
            "checked_at": now,
        },
    )
    return row


def _unreachable(row: RegistryCatalogue | None, reason: str) -> RegistryCatalogue:
    if row is None:
        raise RegistryError(f"The EWP registry cannot be reached: {reason}")
    log.warning("EWP registry unreachable (%s); using the copy of %s", reason, row.fetched_at)
    # Asked again after the refresh interval, not on every request meanwhile.
    row.checked_at = timezone.now()
    row.save(update_fields=["checked_at"])
    return row


def stored() -> Catalogue | None:
    """The catalogue we hold, as it is: never asked of the registry (for the office's pages,
    which must not wait on the network); None when none was read yet or none is configured."""
    url = settings.EWP_REGISTRY_URL
    row = RegistryCatalogue.objects.filter(url=url).defer("xml").first() if url else None
    return _catalogue_of(row) if row is not None else None


def catalogue() -> Catalogue:
    """The catalogue, refreshed when older than the refresh interval."""
    url = settings.EWP_REGISTRY_URL
    row = RegistryCatalogue.objects.filter(url=url).defer("xml").first() if url else None
    stale = timedelta(seconds=settings.EWP_REGISTRY_REFRESH_SECONDS)
    if row is None or timezone.now() - row.checked_at > stale:
        row = refresh()
    return _catalogue_of(row)
