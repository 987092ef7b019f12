"""Transcripts of records over the network: the ToR CNR v2 we serve, and our signed call to
the receiving HEI's IMobility ToRs v3 ``get``. Delft's node is a small HTTP server in a thread
that the test catalogue lists (its ToRs get v3, its server key): it signs its answers as a real
node does. A notification is answered at once, then processed: the transcript lands in the
inbox and in the recognition exactly as an uploaded ToR file; a partner that is down is tried
again."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from lxml import etree

from abroad.catalogue.models import Institution
from abroad.ewp import services, xml
from abroad.ewp.models import Inbound, PendingCnr
from abroad.ewp.network import cnr, tors
from abroad.mobility.models import Mobility
from abroad.recognition.enums import TranscriptState
from abroad.recognition.models import Transcript
from abroad.recognition.services import ensure_standard_scales
from tests.ewp.network.conftest import Registry
from tests.ewp.network.partner_node import PartnerNode, partner_catalogue
from tests.ewp.network.test_iias import DELFT, WARSAW, Partners
from tests.ewp.test_nominations import tor_v3
from tests.factories import InstitutionFactory
from tests.recognition.factories import EndedMobilityFactory, signed_agreement

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

VENDORED = (
    "ewp-registry-service-vendored/src/main/resources/schemas/"
    "ewp-specs-api-imobility-tor-cnr-v2.0.0"
)
CNR = "/ewp/imobility-tor-cnr"


class TorNode(PartnerNode):
    """Delft's node: answers its IMobility ToRs get v3 with ``document``."""

    def entries(self, apis: etree._Element) -> None:
        ns = tors.TORS_MANIFEST_ENTRY
        entry = etree.SubElement(apis, f"{{{ns}}}imobility-tors", nsmap={"t3": ns})
        entry.set("version", "3.0.0")
        etree.SubElement(entry, f"{{{ns}}}get-url").text = f"{self.url}/tors/get"
        etree.SubElement(entry, f"{{{ns}}}index-url").text = f"{self.url}/tors/index"
        etree.SubElement(entry, f"{{{ns}}}max-omobility-ids").text = "10"


@dataclass
class World:
    partners: Partners
    node: TorNode
    mobility: Mobility
    omobility_id: str


@pytest.fixture
def world(
    client: Client,
    registry: Registry,
    node_keys: dict[str, Path],
    settings: Any,
    home: Institution,
    ewp_schemas: Path,
) -> Iterator[World]:
    ensure_standard_scales()
    node = TorNode()
    partners = partner_catalogue(client, registry, settings, node)
    # Delft, on the French grading scale (the standard scales a data migration adds)
    host = InstitutionFactory.create(name="TU Delft", country="FR", schac_code=DELFT)
    mobility: Mobility = EndedMobilityFactory.create(offer__agreement__partner=host, host=host)
    signed_agreement(
        mobility,
        a=[("MA101", "Analyse", 6), ("PH201", "Physique", 5)],
        b=[("051234", "Analisi", 6), ("051235", "Fisica", 5)],
    )
    omobility_id = services.omobility_id(mobility)
    node.document = tor_v3(omobility_id, [("MA101", "Analyse", "6", "14")])
    try:
        yield World(partners, node, mobility, omobility_id)
    finally:
        node.close()


def notify_us(world: World, params: list[tuple[str, str]], hei: str = DELFT) -> Any:
    return world.partners.post(hei, CNR, params)


def test_a_tor_cnr_is_answered_at_once_and_recorded(world: World, ewp_schemas: Path) -> None:
    params = [("receiving_hei_id", DELFT), ("omobility_id", world.omobility_id)]
    response = notify_us(world, params)
    assert response.status_code == 200, response.content
    assert "Signature" in response
    root = etree.fromstring(response.content)
    schema = xml._schema(ewp_schemas, f"{VENDORED}/response.xsd")
    assert list(schema.iter_errors(root)) == []
    pending = PendingCnr.objects.get()
    assert (pending.kind, pending.hei_id, pending.omobility_id) == (
        "tor",
        DELFT,
        world.omobility_id,
    )
    assert pending.state == PendingCnr.State.PENDING
    assert world.node.requests == []  # nothing fetched during the request
    assert Inbound.objects.count() == 0
    # again while it waits: still one
    assert notify_us(world, params).status_code == 200
    assert PendingCnr.objects.count() == 1


def test_the_tor_cnr_is_processed_into_the_inbox_and_the_recognition(world: World) -> None:
    params = [("receiving_hei_id", DELFT), ("omobility_id", world.omobility_id)]
    assert notify_us(world, params).status_code == 200
    out = StringIO()
    call_command("ewp", "process-cnrs", stdout=out)
    assert f"fetched {DELFT} {world.omobility_id}" in out.getvalue()
    method, path, headers, _body = world.node.requests[0]
    assert method == "GET"
    assert ("omobility_id", world.omobility_id) in parse_qsl(urlsplit(path).query)
    assert headers["authorization"].startswith("Signature ")
    inbound = Inbound.objects.get()
    assert inbound.kind == Inbound.Kind.TOR
    assert inbound.state == Inbound.State.APPLIED, inbound.message
    assert inbound.mobility == world.mobility
    assert inbound.source.text.encode("utf-8") == world.node.document
    transcript = Transcript.objects.get(mobility=world.mobility)
    assert transcript.state == TranscriptState.ENTERED
    assert ("MA101", "14") in {(e.code, e.grade) for e in transcript.entries.all()}
    done = PendingCnr.objects.get()
    assert done.state == PendingCnr.State.DONE
    assert f"inbox #{inbound.pk}" in done.outcome
    # The same transcript notified again: nothing new in the inbox.
    assert notify_us(world, params).status_code == 200
    [again] = cnr.process_pending().done
    assert "already in the inbox" in again.outcome
    assert Inbound.objects.count() == 1


def test_a_partner_down_leaves_it_waiting_and_it_is_retried(world: World) -> None:
    world.node.down = True
    params = [("receiving_hei_id", DELFT), ("omobility_id", world.omobility_id)]
    assert notify_us(world, params).status_code == 200
    result = cnr.process_pending()
    [waiting] = result.waiting
    assert waiting.attempts == 1
    assert "cannot be reached" in waiting.last_error
    assert Inbound.objects.count() == 0
    assert cnr.process_pending().waiting == []  # its pause is not over
    world.node.down = False
    result = cnr.process_pending(now=waiting.next_try_at + timedelta(seconds=1))
    assert [c.omobility_id for c in result.done] == [world.omobility_id]
    assert Inbound.objects.get().state == Inbound.State.APPLIED


def test_a_tor_cnr_for_mobilities_the_caller_does_not_receive_records_nothing(
    world: World,
) -> None:
    # Warsaw names our mobility at Delft, or an unknown one: answered, nothing recorded.
    params = [("receiving_hei_id", WARSAW), ("omobility_id", world.omobility_id)]
    assert notify_us(world, params, hei=WARSAW).status_code == 200
    unknown = [("receiving_hei_id", DELFT), ("omobility_id", "not-ours")]
    assert notify_us(world, unknown).status_code == 200
    assert PendingCnr.objects.count() == 0


def test_wrong_tor_cnrs_are_refused(world: World) -> None:
    ok = ("omobility_id", world.omobility_id)
    # unsigned: 401
    response = Client().post(
        CNR, f"receiving_hei_id={DELFT}", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 401
    # a receiving HEI the key does not cover, none, no id, too many ids, another sending HEI
    for params in (
        [("receiving_hei_id", WARSAW), ok],
        [ok],
        [("receiving_hei_id", DELFT)],
        [("receiving_hei_id", DELFT), *[("omobility_id", str(i)) for i in range(51)]],
        [("receiving_hei_id", DELFT), ("sending_hei_id", "other.edu"), ok],
    ):
        assert notify_us(world, params).status_code == 400, params
    # GET: 405
    target = f"{CNR}?receiving_hei_id={DELFT}"
    assert (
        Client().get(target, headers=world.partners.sign(DELFT, "GET", target)).status_code == 405
    )
    assert PendingCnr.objects.count() == 0


def test_the_office_sees_the_tor_notification_and_its_error_in_the_inbox(world: World) -> None:
    from tests.factories import UserFactory

    world.node.down = True
    params = [("receiving_hei_id", DELFT), ("omobility_id", world.omobility_id)]
    assert notify_us(world, params).status_code == 200
    cnr.process_pending()
    office = Client()
    office.force_login(UserFactory.create(role="office"))
    page = office.get("/ewp/inbox/").content.decode()
    assert "Transcript of records (ToR CNR)" in page
    assert world.omobility_id in page
    assert "cannot be reached" in page
    # and a student gets no inbox
    student = Client()
    student.force_login(world.mobility.student)
    assert student.get("/ewp/inbox/").status_code == 404
