"""The Echo API through Django's test client: a signed POST needs no CSRF token, a signed-in
person without a signature is refused like anyone else, the XML answer passes the security
middleware untouched (its signature still holds)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from abroad.ewp.network import httpsig, keys, registry
from abroad.ewp.network.client import CallError
from abroad.ewp.network.client import echo as echo_client
from tests.ewp.network.conftest import Registry, catalogue_from
from tests.factories import UserFactory

pytestmark = pytest.mark.integration


@pytest.fixture
def signed_catalogue(
    client: Client, registry: Registry, node_keys: dict[str, Path], settings: Any
) -> None:
    settings.EWP_HEI_ID = "polimi.it"
    settings.EWP_ADMIN_EMAIL = "ewp-admin@abroad.example.eu"
    registry.catalogue = catalogue_from([client.get("/ewp/manifest.xml").content])


def sign(method: str, target: str, body: bytes = b"") -> dict[str, str]:
    key = keys.current("client")
    headers = httpsig.sign_request(
        key.private, key.key_id, method=method, target=target, host="testserver", body=body
    )
    return {name: value for name, value in headers.items() if name != "Host"}


@pytest.mark.django_db
def test_a_signed_post_needs_no_csrf_token_and_its_answer_is_signed(signed_catalogue: None) -> None:
    strict = Client(enforce_csrf_checks=True)
    body = b"echo=uno&echo=due"
    headers = sign("POST", "/ewp/echo", body)
    response = strict.post(
        "/ewp/echo", body, content_type="application/x-www-form-urlencoded", headers=headers
    )
    assert response.status_code == 200
    assert b"<echo>uno</echo><echo>due</echo>" in response.content
    assert b"<hei-id>polimi.it</hei-id>" in response.content
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    answer = {name.lower(): value for name, value in response.items()}
    parameters = httpsig.check_response(
        answer,
        response.content,
        request_id=headers["X-Request-Id"],
        request_signature=httpsig.parse_parameters(
            headers["Authorization"], scheme="Signature"
        ).signature,
        skew=300,
    )
    public = registry.catalogue().public_key(parameters.key_id)
    assert public is not None
    assert parameters.key_id == keys.current("server").key_id
    httpsig.verify_response_signature(parameters, answer, public)  # the middleware kept it


@pytest.mark.django_db
def test_a_post_in_another_encoding_is_refused_with_415(signed_catalogue: None) -> None:
    body = b'{"echo": "x"}'
    response = Client().post(
        "/ewp/echo", body, content_type="application/json", headers=sign("POST", "/ewp/echo", body)
    )
    assert response.status_code == 415


@pytest.mark.django_db
def test_other_methods_are_refused_with_405(signed_catalogue: None) -> None:
    response = Client().put("/ewp/echo", b"", headers=sign("PUT", "/ewp/echo"))
    assert response.status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["student", "office", "admin"])
def test_a_signed_in_person_without_a_signature_is_refused(
    client: Client, signed_catalogue: None, role: str
) -> None:
    client.force_login(UserFactory.create(role=role))
    response = client.get("/ewp/echo?echo=x")
    assert response.status_code == 401
    assert b"developer-message" in response.content


def test_the_digest_of_an_empty_body_is_the_known_one() -> None:
    assert httpsig.digest(b"") == "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    assert httpsig.sha256_of("MD5=abc, sha-256=xyz") == "xyz"
    assert httpsig.sha256_of("MD5=abc") is None


def test_signature_parameters_are_read_as_the_draft_writes_them() -> None:
    parameters = httpsig.parse_parameters(
        'Signature keyId="ab",algorithm="rsa-sha256",headers="(request-target) host",'
        'signature="c2ln"',
        scheme="Signature",
    )
    assert parameters == httpsig.Parameters(
        "ab", "rsa-sha256", ("(request-target)", "host"), "c2ln"
    )
    with pytest.raises(httpsig.Refused) as refused:
        httpsig.parse_parameters('Signature keyId="ab"', scheme="Signature")
    assert refused.value.status == 400
    with pytest.raises(httpsig.Refused):
        httpsig.parse_parameters("Signature keyId=ab, garbage", scheme="Signature")


@pytest.mark.django_db
def test_echo_to_a_hei_the_registry_does_not_list_is_an_error(signed_catalogue: None) -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match=r"lists no echo v2 for nobody\.example\.com"):
        call_command("ewp", "echo", "nobody.example.com", "x")


class Flaky:
    """A partner's server that answers 503, unsigned, to everything; counts the requests."""

    def __init__(self) -> None:
        self.request_ids: list[str] = []
        flaky = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                flaky.request_ids.append(self.headers.get("X-Request-Id", ""))
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.django_db
def test_a_partner_down_is_tried_again_then_reported(
    client: Client, registry: Registry, node_keys: dict[str, Path], settings: Any
) -> None:
    flaky = Flaky()
    try:
        settings.EWP_HEI_ID = "flaky.example.eu"
        settings.EWP_ADMIN_EMAIL = "ewp-admin@flaky.example.eu"
        settings.SITE_URL = flaky.url  # the manifest names the flaky server's echo
        settings.EWP_HTTP_RETRIES = 2
        settings.EWP_HTTP_RETRY_SECONDS = 0
        registry.catalogue = catalogue_from([client.get("/ewp/manifest.xml").content])
        with pytest.raises(CallError, match="not signed"):  # the last 503, unsigned
            echo_client("flaky.example.eu", ["x"])
        assert len(flaky.request_ids) == 3
        assert len(set(flaky.request_ids)) == 3  # each attempt a new, signed request
    finally:
        flaky.close()
    with pytest.raises(CallError, match=r"cannot be reached.*after 3 attempts"):
        echo_client("flaky.example.eu", ["x"])  # nobody listens any more
