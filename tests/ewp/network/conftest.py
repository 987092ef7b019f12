"""The node's tests: key files in a temporary folder, a registry catalogue built from
manifests (as the registry builds it) and served by a small HTTP server in a thread."""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from abroad.ewp.network import keys

MANIFEST = "https://github.com/erasmus-without-paper/ewp-specs-api-discovery/tree/stable-v6"
REGISTRY = "https://github.com/erasmus-without-paper/ewp-specs-api-registry/tree/stable-v1"
COMMON = "https://github.com/erasmus-without-paper/ewp-specs-architecture/blob/stable-v1/common-types.xsd"


def key_files(folder: Path) -> dict[str, Path]:
    """Fresh client and server keys in ``folder``."""
    found = {}
    for role in keys.ROLES:
        target = folder / f"{role}-key.pem"
        keys.write(target, keys.generate())
        found[role] = target
    return found


@pytest.fixture
def node_keys(tmp_path: Path, settings: Any) -> dict[str, Path]:
    files = key_files(tmp_path / "keys")
    settings.EWP_CLIENT_KEY = str(files["client"])
    settings.EWP_SERVER_KEY = str(files["server"])
    return files


def catalogue_from(
    manifests: list[bytes], extra_hosts: list[etree._Element] | None = None
) -> bytes:
    """The catalogue the registry would publish for these manifests (ewp-specs-api-registry):
    each host with its APIs, the HEI ids it covers, the SHA-256 of its keys; the HEIs and
    the keys' binaries at the end."""
    m, r = {"m": MANIFEST, "r": REGISTRY}, REGISTRY
    root = etree.Element(f"{{{r}}}catalogue", nsmap={None: r, "ewp": COMMON})
    heis: list[etree._Element] = []
    binaries: dict[str, str] = {}
    for data in manifests:
        source = etree.fromstring(data).find("m:host", m)
        assert source is not None
        host = etree.SubElement(root, f"{{{r}}}host")
        for child in source:
            if etree.QName(child).namespace == COMMON:
                host.append(child.__copy__())
        apis = source.find("r:apis-implemented", m)
        if apis is not None:
            host.append(apis.__copy__())
        covered = etree.SubElement(host, f"{{{r}}}institutions-covered")
        for hei in source.iterfind("m:institutions-covered/r:hei", m):
            etree.SubElement(covered, f"{{{r}}}hei-id").text = hei.get("id")
            heis.append(hei.__copy__())
        for role in ("client", "server"):
            section = etree.SubElement(host, f"{{{r}}}{role}-credentials-in-use")
            for key in source.iterfind(f"m:{role}-credentials-in-use/m:rsa-public-key", m):
                text = "".join((key.text or "").split())
                sha = hashlib.sha256(base64.b64decode(text)).hexdigest()
                etree.SubElement(section, f"{{{r}}}rsa-public-key").set("sha-256", sha)
                binaries[sha] = text
    for host in extra_hosts or []:
        root.append(host)
    institutions = etree.SubElement(root, f"{{{r}}}institutions")
    for hei in heis:
        institutions.append(hei)
    found = etree.SubElement(root, f"{{{r}}}binaries")
    for sha, text in binaries.items():
        node = etree.SubElement(found, f"{{{r}}}rsa-public-key")
        node.set("sha-256", sha)
        node.text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def keyless_host(pair: keys.KeyPair, *, client: bool = True) -> tuple[etree._Element, str, str]:
    """A host that lists ``pair`` among its client (or server) keys and covers no HEI; and
    the key's sha and base64, for the binaries."""
    r = REGISTRY
    host = etree.Element(f"{{{r}}}host")
    etree.SubElement(host, f"{{{COMMON}}}admin-email").text = "nobody@example.com"
    section = etree.SubElement(
        host, f"{{{r}}}{'client' if client else 'server'}-credentials-in-use"
    )
    etree.SubElement(section, f"{{{r}}}rsa-public-key").set("sha-256", pair.key_id)
    return host, pair.key_id, pair.public_base64


def add_binary(catalogue: bytes, sha: str, text: str) -> bytes:
    root = etree.fromstring(catalogue)
    binaries = root.find(f"{{{REGISTRY}}}binaries")
    assert binaries is not None
    node = etree.SubElement(binaries, f"{{{REGISTRY}}}rsa-public-key")
    node.set("sha-256", sha)
    node.text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


class Registry:
    """A registry that serves one catalogue with an ETag and counts what it is asked."""

    def __init__(self) -> None:
        self.catalogue = b""
        self.requests: list[dict[str, str]] = []
        self.down = False
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                registry.requests.append({k.lower(): v for k, v in self.headers.items()})
                if registry.down:
                    self.send_response(503)
                    self.end_headers()
                    return
                etag = '"' + hashlib.sha256(registry.catalogue).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(registry.catalogue)))
                self.end_headers()
                self.wfile.write(registry.catalogue)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/catalogue-v1.xml"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def registry(settings: Any) -> Iterator[Registry]:
    served = Registry()
    settings.EWP_REGISTRY_URL = served.url
    try:
        yield served
    finally:
        served.close()


def with_partner(
    catalogue: bytes,
    pair: keys.KeyPair,
    hei_ids: list[str],
    *,
    server: keys.KeyPair | None = None,
    apis: etree._Element | None = None,
) -> bytes:
    """``catalogue`` with one more host: a partner's, signing with ``pair`` as its client key
    and covering ``hei_ids`` (listed among the institutions too), its key in the binaries;
    with ``apis`` (an ``apis-implemented`` element) and its ``server`` key when given."""
    r = REGISTRY
    root = etree.fromstring(catalogue)
    host = etree.Element(f"{{{r}}}host")
    etree.SubElement(host, f"{{{COMMON}}}admin-email").text = f"ewp@{hei_ids[0]}"
    if apis is not None:
        host.append(apis)
    covered = etree.SubElement(host, f"{{{r}}}institutions-covered")
    for hei_id in hei_ids:
        etree.SubElement(covered, f"{{{r}}}hei-id").text = hei_id
    section = etree.SubElement(host, f"{{{r}}}client-credentials-in-use")
    etree.SubElement(section, f"{{{r}}}rsa-public-key").set("sha-256", pair.key_id)
    if server is not None:
        section = etree.SubElement(host, f"{{{r}}}server-credentials-in-use")
        etree.SubElement(section, f"{{{r}}}rsa-public-key").set("sha-256", server.key_id)
    hosts = root.findall(f"{{{r}}}host")
    hosts[-1].addnext(host)
    institutions = root.find(f"{{{r}}}institutions")
    assert institutions is not None
    for hei_id in hei_ids:
        hei = etree.SubElement(institutions, f"{{{r}}}hei")
        hei.set("id", hei_id)
        etree.SubElement(hei, f"{{{r}}}name").text = hei_id
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    if server is not None:
        data = add_binary(data, server.key_id, server.public_base64)
    return add_binary(data, pair.key_id, pair.public_base64)
