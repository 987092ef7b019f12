"""A federation's aggregate (IDEM, eduGAIN) fetched over HTTP: used only when signed at its
root by the federation's certificate; a bad fetch keeps the last good copy."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from tests.identity.conftest import ROSSI, SamlSite, signed_in
from tests.identity.idp import IdentityProvider, keypair, signed_aggregate

from abroad.identity.federation import MetadataRefused, check_signed

pytestmark = pytest.mark.integration


class Published:
    """What the federation's web server answers at /metadata.xml."""

    def __init__(self) -> None:
        self.document = b""
        self.status = 200


@pytest.fixture
def federation_server() -> Iterator[tuple[str, Published]]:
    published = Published()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(published.status)
            self.send_header("Content-Type", "application/samlmetadata+xml")
            self.end_headers()
            self.wfile.write(published.document)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/metadata.xml", published
    server.shutdown()
    server.server_close()


@pytest.fixture
def federation_keys(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "federation"
    folder.mkdir()
    return keypair(folder, "federation-signer")


def test_a_signed_aggregate_is_checked_and_used(
    saml_site: SamlSite,
    other_idp: IdentityProvider,
    federation_server: tuple[str, Published],
    federation_keys: tuple[Path, Path],
    settings: Any,
    tmp_path: Path,
) -> None:
    url, published = federation_server
    member = other_idp
    published.document = signed_aggregate([member], *federation_keys)
    settings.DATA_DIR = tmp_path / "data"
    settings.SAML_IDP_METADATA_URL = url
    settings.SAML_IDP_METADATA_CERT = str(federation_keys[1])
    assert "University of Milan" in Client().get("/accounts/login/").content.decode()
    client = Client()
    response = saml_site.sign_in(client, ROSSI, idp=member)
    assert response.status_code == 302, response.content.decode()
    assert signed_in(client) is not None
    assert (tmp_path / "data" / "saml" / "federation-metadata.xml").exists()


def test_a_bad_aggregate_keeps_the_last_good_copy(
    saml_site: SamlSite,
    federation_server: tuple[str, Published],
    federation_keys: tuple[Path, Path],
    settings: Any,
    tmp_path: Path,
) -> None:
    from abroad.identity import federation

    url, published = federation_server
    member = IdentityProvider(saml_site.folder, entity_id="https://idp.unimi.example/idp")
    published.document = signed_aggregate([member], *federation_keys)
    settings.DATA_DIR = tmp_path / "data"
    settings.SAML_IDP_METADATA_URL = url
    settings.SAML_IDP_METADATA_CERT = str(federation_keys[1])
    good = federation.refresh()
    assert good is not None
    kept = good.read_bytes()
    published.document = kept.replace(b"idp.unimi.example", b"idp.evil.example")
    assert federation.refresh() == good
    assert good.read_bytes() == kept
    published.status = 500
    assert federation.refresh() == good


def test_no_good_copy_ever_means_no_federation(
    federation_server: tuple[str, Published],
    federation_keys: tuple[Path, Path],
    settings: Any,
    tmp_path: Path,
) -> None:
    from abroad.identity import federation

    url, published = federation_server
    published.document = b"<md:EntitiesDescriptor xmlns:md='urn:oasis:names:tc:SAML:2.0:metadata'/>"
    settings.DATA_DIR = tmp_path / "data"
    settings.SAML_IDP_METADATA_URL = url
    settings.SAML_IDP_METADATA_CERT = str(federation_keys[1])
    assert federation.refresh() is None


@pytest.mark.parametrize("forgery", ["unsigned", "other key", "tampered", "not metadata"])
def test_only_metadata_signed_by_the_federation_is_accepted(
    tmp_path: Path, federation_keys: tuple[Path, Path], forgery: str
) -> None:
    """pysaml2's own loader accepts an unsigned aggregate even with a certificate given."""
    member = IdentityProvider(tmp_path, entity_id="https://idp.unimi.example/idp")
    good = signed_aggregate([member], *federation_keys)
    check_signed(good, str(federation_keys[1]))
    if forgery == "unsigned":
        document = member.metadata().encode()
    elif forgery == "other key":
        other = tmp_path / "other"
        other.mkdir()
        document = signed_aggregate([member], *keypair(other, "impostor"))
    elif forgery == "tampered":
        document = good.replace(b"idp.unimi.example", b"idp.evil.example")
    else:
        document = b"<html><body>Not found</body></html>"
    with pytest.raises(MetadataRefused):
        check_signed(document, str(federation_keys[1]))
