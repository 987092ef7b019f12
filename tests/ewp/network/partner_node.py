"""A partner's node for the tests of what we fetch and send: a small HTTP server in a thread
that the test catalogue lists (with the APIs a subclass names and its server key) and that
signs its answers as a real node does; ``down`` closes every connection unanswered, ``status``
answers with another status (503: a node that is up but cannot serve). And
:func:`partner_catalogue`, the set-up those tests share: our node's settings, and a catalogue
with our manifest, the partner's host (Delft) and Warsaw (on the network, serving nothing)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple

import pytest
from django.test import Client
from lxml import etree

from abroad.ewp.network import httpsig, keys
from abroad.ewp.network.registry import REGISTRY
from tests.ewp.network.conftest import Registry, catalogue_from, with_partner
from tests.ewp.network.test_iias import DELFT, HOME, WARSAW, Partners


class Request(NamedTuple):
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class PartnerNode:
    """Answers every request with :meth:`content` (``document`` unless a subclass says
    otherwise) and ``status``, signed with its server key; keeps the requests it answered."""

    def __init__(self, server_key: keys.KeyPair | None = None) -> None:
        self.key = server_key or keys.KeyPair(keys.generate())
        self.document = b""
        self.down = False
        self.status = 200
        self.requests: list[Request] = []
        node = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                if node.down:
                    self.close_connection = True
                    return
                node.requests.append(Request(method, self.path, headers, body))
                content = node.content(self.path)
                signature = httpsig.parse_parameters(headers["authorization"], scheme="Signature")
                signed = httpsig.sign_response(
                    node.key.private,
                    node.key.key_id,
                    body=content,
                    request_id=headers.get("x-request-id"),
                    request_signature=signature.signature,
                )
                self.send_response(node.status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(content)))
                for name, value in signed.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(content)

            def do_GET(self) -> None:
                self.answer("GET")

            def do_POST(self) -> None:
                self.answer("POST")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def content(self, path: str) -> bytes:
        return self.document

    def entries(self, apis: etree._Element) -> None:
        """Add the node's manifest entries to ``apis``."""

    def apis(self) -> etree._Element:
        """Its ``apis-implemented``, as the registry copies it from its manifest."""
        apis = etree.Element(f"{{{REGISTRY}}}apis-implemented")
        self.entries(apis)
        return apis

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def partner_catalogue(
    client: Client, registry: Registry, settings: Any, node: PartnerNode
) -> Partners:
    """Our node's settings (HEI, no client retries) and the catalogue: our manifest, Delft
    served by ``node``, Warsaw; the partners' client keys."""
    settings.EWP_HEI_ID = HOME
    settings.EWP_ADMIN_EMAIL = "ewp-admin@abroad.example.eu"
    settings.EWP_HTTP_RETRIES = 0
    settings.EWP_HTTP_TIMEOUT_SECONDS = 10
    partners = Partners()
    ours = catalogue_from([client.get("/ewp/manifest.xml").content])
    with_delft = with_partner(
        ours, partners.pairs[DELFT], [DELFT], server=node.key, apis=node.apis()
    )
    registry.catalogue = with_partner(with_delft, partners.pairs[WARSAW], [WARSAW])
    return partners


@pytest.fixture
def database_queue(settings: Any) -> None:
    """The queue of a real installation (django-tasks' database backend), not the tests'
    immediate one; ask for it before the world, so that the world's own changes queue too."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
