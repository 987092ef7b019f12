"""Issue 14, "Done means", the echo part: two abroad nodes on loopback find each other through
a registry catalogue served by the test and exchange Echo calls with real HTTP and real
signatures; A fetches from B's IIAs API the agreements it is party to, and no other; every
kind of bad request is refused with the status the specification names, and nothing is
stored.

Node A is pytest-django's ``live_server`` (this process, the test database); node B is
``python -m abroad runserver`` in a subprocess with its own SQLite file, HEI and key files.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from lxml import etree

from abroad.ewp import xml
from abroad.ewp.models import Inbound, SeenRequest
from abroad.ewp.network import client, httpsig, keys
from abroad.ewp.network.server import COMMON
from tests.ewp.conftest import SCHEMAS
from tests.ewp.network.conftest import Registry, add_binary, catalogue_from, keyless_host

pytestmark = [pytest.mark.integration]

A, B = "a.example.eu", "b.example.eu"
ROOT = Path(__file__).resolve().parents[3]
READY_WITHIN = 240  # seconds: a busy machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class NodeB:
    url: str
    data: Path
    environment: dict[str, str]
    manifest: bytes

    def key(self, role: str) -> keys.KeyPair:
        return keys.load(self.data / "ewp" / f"{role}-key.pem")

    def seen(self) -> int:
        with sqlite3.connect(self.data / "abroad.sqlite3") as connection:
            return int(connection.execute("select count(*) from ewp_seenrequest").fetchone()[0])

    def command(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "abroad", *args],
            env=self.environment,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=READY_WITHIN,
        )


@pytest.fixture(scope="module")
def shared_registry() -> Iterator[Registry]:
    served = Registry()
    yield served
    served.close()


@pytest.fixture(scope="module")
def node_b(shared_registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeB]:
    if not (SCHEMAS / "ewp-specs-api-registry").is_dir():
        pytest.skip(f"no EWP schemas at {SCHEMAS}")
    data = tmp_path_factory.mktemp("node-b")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ABROAD_")}
    environment.update(
        ABROAD_DATA_DIR=str(data),
        ABROAD_EWP_HEI_ID=B,
        ABROAD_EWP_SCHEMA_DIR=str(SCHEMAS),
        ABROAD_EWP_REGISTRY_URL=shared_registry.url,
        ABROAD_EWP_REGISTRY_REFRESH_SECONDS="0",
        ABROAD_EWP_ADMIN_EMAIL="ewp-admin@b.example.eu",
        ABROAD_SITE_URL=url,
    )
    node = NodeB(url, data, environment, b"")
    for step in (("migrate", "--noinput", "-v", "0"), ("ewp", "keys")):
        done = node.command(*step)
        assert done.returncode == 0, done.stderr
    server = subprocess.Popen(
        [sys.executable, "-m", "abroad", "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=environment,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        node.manifest = wait_for(f"{url}/ewp/manifest.xml", server)
        yield node
    finally:
        server.kill()
        server.wait(timeout=60)
        if server.stderr:
            server.stderr.close()


def wait_for(url: str, server: subprocess.Popen[bytes]) -> bytes:
    """The page's body once the server answers it; polls until READY_WITHIN."""
    deadline = time.monotonic() + READY_WITHIN
    while True:
        if server.poll() is not None:
            errors = server.stderr.read().decode() if server.stderr else ""
            pytest.fail(f"node B stopped: {errors[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return bytes(answer.read())
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                pytest.fail(f"node B did not answer {url} within {READY_WITHIN} s")
            time.sleep(0.2)  # the next poll


@dataclass
class Nodes:
    a_url: str
    b: NodeB
    registry: Registry
    a_manifest: bytes


@pytest.fixture
def nodes(
    live_server: Any,
    node_b: NodeB,
    shared_registry: Registry,
    node_keys: dict[str, Path],
    settings: Any,
) -> Nodes:
    settings.EWP_HEI_ID = A
    settings.SITE_URL = live_server.url
    settings.EWP_ADMIN_EMAIL = "ewp-admin@a.example.eu"
    settings.EWP_REGISTRY_URL = shared_registry.url
    settings.EWP_REGISTRY_REFRESH_SECONDS = 0
    with urllib.request.urlopen(f"{live_server.url}/ewp/manifest.xml", timeout=30) as answer:
        a_manifest = answer.read()
    shared_registry.catalogue = catalogue_from([a_manifest, node_b.manifest])
    return Nodes(live_server.url, node_b, shared_registry, a_manifest)


def raw(
    url: str, *, method: str = "GET", body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(
        url, data=body if method != "GET" else None, method=method, headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.read(), {k.lower(): v for k, v in answer.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, error.read(), {k.lower(): v for k, v in error.headers.items()}


def signed(
    url: str,
    key: keys.KeyPair,
    *,
    method: str = "GET",
    body: bytes = b"",
    date: str | None = None,
    key_id: str | None = None,
    request_id: str | None = None,
) -> dict[str, str]:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    extra = {"Content-Type": "application/x-www-form-urlencoded"} if method == "POST" else {}
    return httpsig.sign_request(
        key.private,
        key_id or key.key_id,
        method=method,
        target=target,
        host=parts.netloc,
        body=body,
        extra=extra,
        date=date,
        request_id=request_id,
    )


def developer_message(body: bytes) -> str:
    root = etree.fromstring(body)
    errors = list(xml._schema(SCHEMAS, "ewp-specs-architecture/common-types.xsd").iter_errors(root))
    assert errors == []
    assert root.tag == f"{{{COMMON}}}error-response"
    return xml.text(root, f"{{{COMMON}}}developer-message")


def test_echo_both_ways_with_real_signatures(nodes: Nodes) -> None:
    # A calls B's Echo (found in the catalogue) and checks B's response signature.
    answer = client.echo(B, ["ciao", "zażółć", ""])
    assert answer.status == 200
    assert answer.hei_ids == [A]  # B knows who called from the key alone
    assert answer.echoes == ["ciao", "zażółć", ""]
    assert answer.key_id == nodes.b.key("server").key_id
    posted = client.echo(B, ["by", "post"], method="POST")
    assert posted.echoes == ["by", "post"]

    # B calls A's Echo from its command line, and checks A's response signature.
    done = nodes.b.command("ewp", "echo", A, "hello", "world", "--post")
    assert done.returncode == 0, done.stderr
    assert "our HEIs as they see them: b.example.eu" in done.stdout
    assert "echo: hello\necho: world" in done.stdout
    assert f"signed by server key {keys.current('server').key_id}" in done.stdout
    done = nodes.b.command("ewp", "echo", A)
    assert done.returncode == 0, done.stderr
    assert SeenRequest.objects.count() == 2  # A remembers the two request ids
    assert nodes.b.seen() == 2


def test_bad_requests_are_refused_as_the_specification_says_and_nothing_is_stored(
    nodes: Nodes,
) -> None:
    echo = f"{nodes.a_url}/ewp/echo?echo=x"
    b_client = nodes.b.key("client")
    stranger = keys.KeyPair(keys.generate())
    long_ago = httpsig.http_date(datetime.now(UTC) - timedelta(minutes=10))
    soon = httpsig.http_date(datetime.now(UTC) + timedelta(minutes=10))

    # A host in the catalogue with a client key but no HEI.
    orphan = keys.KeyPair(keys.generate())
    host, sha, text = keyless_host(orphan)
    catalogue = catalogue_from([nodes.a_manifest, nodes.b.manifest], [host])
    nodes.registry.catalogue = add_binary(catalogue, sha, text)

    def refused(status: int, headers: dict[str, str], **kwargs: Any) -> str:
        code, body, answered = raw(echo, headers=headers, **kwargs)
        assert code == status, body
        assert "signature" in answered  # refusals are signed too
        return developer_message(body)

    # No signature at all: 401, with the challenge and Want-Digest.
    code, body, answered = raw(echo)
    assert code == 401
    assert answered["www-authenticate"] == 'Signature realm="EWP"'
    assert answered["want-digest"] == "SHA-256"
    assert "HTTP Signature" in developer_message(body)
    # A key the registry does not list: 403.
    assert "not a client key" in refused(403, signed(echo, stranger))
    # B's server key is not a client key: 403.
    assert "not a client key" in refused(403, signed(echo, nodes.b.key("server")))
    # A key listed by a host that covers no HEI: 403.
    assert "no HEI" in refused(403, signed(echo, orphan))
    # B's key id, signed by someone else's key (a key of another HEI): 400.
    assert "signature is not valid" in refused(400, signed(echo, stranger, key_id=b_client.key_id))
    # Signed for one query, sent with another: 400.
    headers = signed(echo, b_client)
    code, body, _ = raw(echo.replace("echo=x", "echo=y"), headers=headers)
    assert code == 400
    assert "signature is not valid" in developer_message(body)
    # A tampered body (digest mismatch): 400.
    headers = signed(echo, b_client, method="POST", body=b"echo=a")
    assert "Digest" in refused(400, headers, method="POST", body=b"echo=b")
    # The body's type, changed after signing: 400.
    headers = signed(echo, b_client, method="POST", body=b"echo=a")
    headers["Content-Type"] = "text/plain"
    assert "signature is not valid" in refused(400, headers, method="POST", body=b"echo=a")
    # Dates outside the allowed skew: 400.
    assert "seconds away" in refused(400, signed(echo, b_client, date=long_ago))
    assert "seconds away" in refused(400, signed(echo, b_client, date=soon))
    # A request id that is not a canonical UUID: 400.
    assert "UUID" in refused(400, signed(echo, b_client, request_id="not-a-uuid"))
    # The signature must cover the required headers: 401 (not the EWP method).
    headers = signed(echo, b_client)
    headers["Authorization"] = headers["Authorization"].replace(" digest", "")
    refused(401, headers)
    assert SeenRequest.objects.count() == 0
    assert Inbound.objects.count() == 0

    # A replayed request: the first is answered, the same one again is refused with 400.
    headers = signed(echo, b_client)
    code, body, _ = raw(echo, headers=headers)
    assert code == 200, body
    assert "already used" in refused(400, headers)
    assert SeenRequest.objects.count() == 1


def test_node_b_refuses_unsigned_and_replayed_requests(nodes: Nodes) -> None:
    echo = f"{nodes.b.url}/ewp/echo"
    before = nodes.b.seen()
    code, body, _ = raw(echo)
    assert code == 401
    assert developer_message(body)
    headers = signed(echo, keys.current("client"), method="POST", body=b"echo=once")
    assert raw(echo, method="POST", body=b"echo=once", headers=headers)[0] == 200
    code, body, _ = raw(echo, method="POST", body=b"echo=once", headers=headers)
    assert code == 400
    assert "already used" in developer_message(body)
    code, body, _ = raw(echo, method="POST", body=b"echo=twice", headers=headers)
    assert code == 400
    assert "Digest" in developer_message(body)
    assert nodes.b.seen() == before + 1


def test_our_client_refuses_answers_whose_signature_does_not_hold(nodes: Nodes) -> None:
    from abroad.ewp.network.registry import catalogue

    url = f"{nodes.b.url}/ewp/echo"
    status, body, headers, sent = client.send(url, params=[("echo", "x")])
    good = client.verified(url, status, body, headers, sent, catalogue())
    assert good.key_id == nodes.b.key("server").key_id
    assert "original-date" in good.headers
    assert "server" not in good.headers
    assert "date" not in good.headers  # sent, not signed

    def refused(match: str, **changes: Any) -> None:
        arguments: dict[str, Any] = (
            dict(
                url=url, status=status, body=body, headers=headers, sent=sent, registry=catalogue()
            )
            | changes
        )
        with pytest.raises(client.CallError, match=match):
            client.verified(**arguments)

    refused("Digest", body=body.replace(b">x<", b">y<"))
    refused("X-Request-Id", sent=sent | {"X-Request-Id": httpsig.new_request_id()})
    refused("not signed", headers={k: v for k, v in headers.items() if k != "signature"})
    tampered = dict(headers)
    tampered["x-request-signature"] = "AAAA"
    refused("X-Request-Signature", headers=tampered)
    # The same answer, claimed for another URL of another host: the key is not bound to it.
    refused("does not bind", url=f"{nodes.a_url}/ewp/echo")
    # The registry no longer lists B's server key.
    without = catalogue_from([nodes.a_manifest])
    from abroad.ewp.network.registry import read

    refused("does not bind", registry=read(without))


B_AGREEMENTS = """
from abroad.catalogue.models import Agreement, Institution, Offer
from abroad.ewp.network.iias import iia_id
for code, schac in (("B-A-1", "a.example.eu"), ("B-C-1", "c.example.eu")):
    partner, _ = Institution.objects.get_or_create(
        schac_code=schac, defaults={"name": schac, "country": "IT", "city": "Milano"}
    )
    agreement, _ = Agreement.objects.get_or_create(
        code=code,
        defaults={"partner": partner, "programme": "erasmus", "start_year": 2026,
                  "end_year": 2028, "status": "active"},
    )
    if not agreement.offers.exists():
        Offer.objects.create(agreement=agreement, isced_code="0715", level_bachelor=True,
                             seats=2, months=5, language="en", language_level="B2")
    print(code, iia_id(agreement))
"""


def test_a_fetches_the_agreements_it_is_party_to_from_b(nodes: Nodes) -> None:
    from abroad.ewp.network import iias

    done = nodes.b.command("shell", "-c", B_AGREEMENTS)
    assert done.returncode == 0, done.stderr
    ids = dict(line.split() for line in done.stdout.splitlines() if line.startswith("B-"))

    # A asks B's index (found in the catalogue): B lists only its agreement with A.
    answer = client.call(B, iias.IIAS_INDEX, 7, params=[("hei_id", B)])
    assert answer.status == 200, answer.body
    assert answer.key_id == nodes.b.key("server").key_id
    root = etree.fromstring(answer.body)
    assert [n.text for n in root.iterfind(f"{{{iias.INDEX_NS}}}iia-id")] == [ids["B-A-1"]]

    # A gets both ids: B's agreement with C is left out, silently.
    found = iias.fetch(B, [ids["B-A-1"], ids["B-C-1"]])
    assert len(found) == 1
    ours = found[0]
    assert [(p.hei_id, p.iia_id, p.iia_code) for p in ours.partners] == [
        (B, ids["B-A-1"], "B-A-1"),
        (A, "", ""),
    ]
    assert ours.iia_hash == ours.computed_hash  # B's hash is the one the specification gives
    assert [(c.sending_hei, c.receiving_hei, c.isced_codes) for c in ours.conditions] == [
        (B, A, ("0715",))
    ]
    assert iias.fetch(B, [ids["B-C-1"]]) == []

    # A wrong hei_id: B refuses it with 400 (signed), and our fetch reports it.
    wrong = client.call(B, iias.IIAS_GET, 7, params=[("hei_id", A), ("iia_id", ids["B-A-1"])])
    assert wrong.status == 400
    assert "does not cover" in developer_message(wrong.body)


B_INBOX = """
from abroad.ewp.models import Inbound, PendingCnr
for n in PendingCnr.objects.all():
    print("cnr", n.hei_id, n.iia_id, n.state, n.attempts)
for i in Inbound.objects.all():
    print("inbox", i.kind, i.state, i.summary)
"""


def test_a_tells_b_an_agreement_changed_and_b_fetches_it_into_its_inbox(nodes: Nodes) -> None:
    from abroad.ewp.models import SentCnr
    from abroad.ewp.network import cnr
    from abroad.ewp.network.iias import iia_id
    from tests.ewp.network.test_iias import make_agreement
    from tests.factories import InstitutionFactory

    partner_b = InstitutionFactory.create(name="Node B", country="NL", schac_code=B)
    agreement = make_agreement(partner_b, code="A-B-1")

    # A notifies B's IIA CNR (found in the catalogue): B answers at once, signed.
    sent = cnr.notify(agreement)
    assert sent.state == SentCnr.State.SENT, sent.error
    assert sent.request_id
    done = nodes.b.command("shell", "-c", B_INBOX)
    assert done.returncode == 0, done.stderr
    assert f"cnr {A} {iia_id(agreement)} pending 0" in done.stdout
    assert "inbox" not in done.stdout  # nothing fetched during the request

    # B processes it: fetches A's IIA (A's get, signed both ways) into its inbox.
    done = nodes.b.command("ewp", "process-cnrs")
    assert done.returncode == 0, done.stderr
    assert f"fetched {A} {iia_id(agreement)}" in done.stdout
    done = nodes.b.command("shell", "-c", B_INBOX)
    assert f"cnr {A} {iia_id(agreement)} done 1" in done.stdout
    assert f"inbox iia pending IIA A-B-1 from {A}, item 1" in done.stdout


def b_answers(omobility_id: str, *, approve: bool, comment: str = "", proposal: str = "") -> str:
    """What B runs, as the receiving HEI: fetch A's learning agreement with A's get (signed
    both ways, checked against the schema), answer its changes proposal with A's update."""
    return f"""
import datetime as dt
from abroad.ewp import las, xml
from abroad.ewp.network import las as node
data = node.fetch_document("{A}", "{A}", ["{omobility_id}"])
[la] = las.parse(data)
print("got", la.omobility_id, la.sending_hei, la.receiving_hei)
proposal = {proposal!r} or la.changes_proposal.proposal_id
print("proposal", proposal)
request = las.render_update(las.Update(
    sending_hei="{A}", approve={approve!r}, omobility_id=la.omobility_id, proposal_id=proposal,
    comment={comment!r}, signer_name="Bea Host", signer_position="Coordinator",
    signer_email="bea@{B}", signed_at=dt.datetime(2027, 3, 1, 9, 30, tzinfo=dt.UTC),
))
print("answer", node.send_update("{A}", request))
"""


def test_a_learning_agreement_goes_from_a_to_b_and_b_approves_then_comments(
    nodes: Nodes,
) -> None:
    from django.utils import timezone

    from abroad.ewp import services
    from abroad.ewp.models import SentCnr
    from abroad.ewp.network import la_cnr
    from abroad.mobility.enums import LearningAgreementState
    from tests.ewp.network.test_las import proposed, received_by
    from tests.ewp.test_las import change
    from tests.factories import InstitutionFactory

    InstitutionFactory.create(
        name="Home A", country="IT", schac_code=A, is_home=True, erasmus_code="I  A01"
    )
    partner_b = InstitutionFactory.create(name="Node B", country="NL", schac_code=B)
    mobility = received_by(partner_b)
    first = proposed(mobility)
    omobility_id = services.omobility_id(mobility)

    # A tells B's LA CNR (found in the catalogue) that the learning agreement changed: B
    # answers at once, signed (it hosts no incoming side either: it logs it).
    seen = nodes.b.seen()
    sent = la_cnr.notify(mobility)
    assert sent.state == SentCnr.State.SENT, sent.error
    assert nodes.b.seen() == seen + 1

    # B, the receiving HEI, fetches it with A's get and approves the proposal with A's update.
    done = nodes.b.command("shell", "-c", b_answers(omobility_id, approve=True))
    assert done.returncode == 0, done.stderr
    assert f"got {omobility_id} {A} {B}" in done.stdout
    assert f"proposal {omobility_id}-v{first.number}" in done.stdout
    assert f"answer Version {first.number} is signed by the host (Bea Host, Coordinator)." in (
        done.stdout
    )
    first.refresh_from_db()
    assert first.state == LearningAgreementState.SIGNED
    assert first.host_signer == "Bea Host, Coordinator"

    # A second version, approved at A; B comments it: back to the student with the comment.
    second = change(mobility, first)
    assert second.promoter_signed_at is not None
    assert second.promoter_signed_at <= timezone.now()
    done = nodes.b.command(
        "shell", "-c", b_answers(omobility_id, approve=False, comment="Course X is full.")
    )
    assert done.returncode == 0, done.stderr
    assert f"proposal {omobility_id}-v{second.number}" in done.stdout
    assert "went back to the student" in done.stdout
    second.refresh_from_db()
    assert second.state == LearningAgreementState.RETURNED
    assert "Course X is full." in second.comment
    assert "Bea Host" in second.comment
    first.refresh_from_db()
    assert first.state == LearningAgreementState.SIGNED  # the signed version stays

    # Approving the returned version all the same: A refuses it (409), and B's client says so.
    stale = f"{omobility_id}-v{second.number}"
    done = nodes.b.command("shell", "-c", b_answers(omobility_id, approve=True, proposal=stale))
    assert done.returncode != 0
    assert "answered 409" in done.stderr
    assert "No changes proposal is waiting" in done.stderr
    second.refresh_from_db()
    assert second.state == LearningAgreementState.RETURNED


def b_reads_the_nomination(omobility_id: str) -> str:
    """What B runs, as the receiving HEI: read A's nomination with A's OMobilities get v3
    (signed both ways, checked against the schema) and approve it with A's update."""
    return f"""
from abroad.ewp.network import omobilities as node
[found] = node.fetch("{A}", ["{omobility_id}"])
print("got", found.omobility_id, found.sending_hei, found.receiving_hei, found.status)
print("student", found.family_name, found.birth_date, found.nationality)
request = node.render_update(found.omobility_id, found.proposal_id, approve=True)
print("answer", node.send_update("{A}", request))
[after] = node.fetch("{A}", ["{omobility_id}"])
print("now", after.status)
"""


def test_a_nomination_goes_from_a_to_b_and_b_approves_it(nodes: Nodes) -> None:
    from abroad.ewp import services
    from abroad.mobility.enums import MobilityState
    from tests.ewp.conftest import nominee_details
    from tests.factories import InstitutionFactory
    from tests.mobility.factories import MobilityFactory

    InstitutionFactory.create(
        name="Home A", country="IT", schac_code=A, is_home=True, erasmus_code="I  A01"
    )
    partner_b = InstitutionFactory.create(name="Node B", country="NL", schac_code=B)
    mobility = MobilityFactory.create(
        offer__agreement__partner=partner_b, host=partner_b, state=MobilityState.NOMINATED
    )
    nominee_details(mobility.student)
    omobility_id = services.omobility_id(mobility)

    done = nodes.b.command("shell", "-c", b_reads_the_nomination(omobility_id))
    assert done.returncode == 0, done.stderr
    assert f"got {omobility_id} {A} {B} pending" in done.stdout
    assert f"student {mobility.student.last_name} 2003-04-05 IT" in done.stdout
    assert "is recorded as accepted by Node B" in done.stdout
    assert "now approved" in done.stdout
    mobility.refresh_from_db()
    assert mobility.state == MobilityState.ACCEPTED
