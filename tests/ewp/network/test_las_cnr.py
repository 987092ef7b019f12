"""The OMobility LA CNR API v1.1, both ways. Delft's node is a small HTTP server in a thread
that the test catalogue lists with its LA CNR (its server key signs its answers); we tell it
when the learning agreement of a student it receives changes, with the debounce, log and
retries of the IIA notifications. An LA CNR Delft sends us (about its own outgoing students)
is answered as the specification asks and logged: abroad keeps no incoming mobilities."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from lxml import etree

from abroad.catalogue.models import Institution
from abroad.ewp import services, tasks, xml
from abroad.ewp.models import PendingCnr, SentCnr
from abroad.ewp.network import cnr, la_cnr
from abroad.mobility.enums import LearningAgreementState
from abroad.mobility.models import LearningAgreement, Mobility
from tests.core.test_mail_delivery import run_worker
from tests.ewp.network.conftest import Registry
from tests.ewp.network.partner_node import (
    PartnerNode,
    database_queue,  # noqa: F401 (a fixture)
    partner_catalogue,
)
from tests.ewp.network.test_iias import DELFT, HOME, WARSAW, Partners
from tests.ewp.network.test_las import proposed, received_by
from tests.factories import InstitutionFactory
from tests.mobility.factories import agreement_with_rows

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

VENDORED = (
    "ewp-registry-service-vendored/src/main/resources/schemas/ewp-specs-api-omobility-la-cnr-v1.1.0"
)
CNR_PATH = "/ewp/omobility-la-cnr"


class LaCnrNode(PartnerNode):
    """Delft's node with the LA CNR v1.1 only."""

    def content(self, path: str) -> bytes:
        return la_cnr.response()

    def entries(self, apis: etree._Element) -> None:
        ns = la_cnr.MANIFEST_ENTRY
        entry = etree.SubElement(apis, f"{{{ns}}}omobility-la-cnr", nsmap={"lc": ns})
        entry.set("version", "1.1.0")
        etree.SubElement(entry, f"{{{ns}}}url").text = f"{self.url}/omobility-la-cnr"
        etree.SubElement(entry, f"{{{ns}}}max-omobility-ids").text = "10"


@dataclass
class World:
    partners: Partners
    delft_node: PartnerNode
    delft: Institution
    mobility: Mobility
    version: LearningAgreement


@pytest.fixture
def world(
    client: Client,
    registry: Registry,
    node_keys: dict[str, Path],
    settings: Any,
    home: Institution,
) -> Iterator[World]:
    node = LaCnrNode()
    partners = partner_catalogue(client, registry, settings, node)
    delft = InstitutionFactory.create(name="TU Delft", country="NL", schac_code=DELFT)
    mobility = received_by(delft)
    version = proposed(mobility)
    version.promoter_signed_at = timezone.now()  # the promoter approves it now
    version.save()
    try:
        yield World(partners, node, delft, mobility, version)
    finally:
        node.close()


def left_alone(world: World) -> Any:
    """A moment after the debounce since the version was approved."""
    assert world.version.promoter_signed_at is not None
    return world.version.promoter_signed_at + cnr.DEBOUNCE + timedelta(seconds=1)


# ----------------------------------------------------------------------------- receiving


def test_a_partners_la_cnr_is_answered_with_the_empty_response_and_logged(
    world: World, ewp_schemas: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="abroad.ewp.network.la_cnr"):
        response = world.partners.post(
            DELFT, CNR_PATH, [("sending_hei_id", DELFT), ("omobility_id", "delft-m-1")]
        )
    assert response.status_code == 200, response.content
    assert "Signature" in response
    root = etree.fromstring(response.content)
    for path in ("ewp-specs-api-omobility-la-cnr/response.xsd", f"{VENDORED}/response.xsd"):
        assert list(xml._schema(ewp_schemas, path).iter_errors(root)) == [], path
    assert "EWP LA CNR from tudelft.nl for delft-m-1" in caplog.text
    assert "no incoming mobilities" in caplog.text
    assert PendingCnr.objects.count() == 0  # nothing to fetch: no IIA notification either
    assert world.delft_node.requests == []


def test_an_la_cnr_with_wrong_parameters_is_refused(world: World) -> None:
    post = world.partners.post
    # Delft speaking for Warsaw's students: 400.
    response = post(DELFT, CNR_PATH, [("sending_hei_id", WARSAW), ("omobility_id", "m")])
    assert response.status_code == 400
    assert post(DELFT, CNR_PATH, [("omobility_id", "m")]).status_code == 400
    assert post(DELFT, CNR_PATH, [("sending_hei_id", DELFT)]).status_code == 400
    many = [("omobility_id", f"m{i}") for i in range(la_cnr.MAX_OMOBILITY_IDS + 1)]
    assert post(DELFT, CNR_PATH, [("sending_hei_id", DELFT), *many]).status_code == 400
    assert world.partners.get(DELFT, CNR_PATH, [("sending_hei_id", DELFT)]).status_code == 405


# ------------------------------------------------------------------------------- sending


def test_we_tell_the_receiving_hei_that_a_learning_agreement_changed_and_log_it(
    world: World,
) -> None:
    sent = la_cnr.notify(world.mobility)
    assert sent.state == SentCnr.State.SENT, sent.error
    assert (sent.kind, sent.mobility, sent.hei_id) == ("la", world.mobility, DELFT)
    omobility_id = services.omobility_id(world.mobility)
    assert sent.subject_id == sent.omobility_id == omobility_id
    assert sent.iia_id == ""
    assert sent.agreement is None
    method, path, headers, body = world.delft_node.requests[0]
    assert (method, path) == ("POST", "/omobility-la-cnr")
    assert parse_qsl(body.decode()) == [("sending_hei_id", HOME), ("omobility_id", omobility_id)]
    assert headers["x-request-id"] == sent.request_id
    assert headers["authorization"].startswith("Signature ")


def test_the_office_inbox_names_the_learning_agreement_notified(world: World, office: Any) -> None:
    sent = la_cnr.notify(world.mobility)
    client = Client()
    client.force_login(office)
    html = client.get("/ewp/inbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    student = world.mobility.student
    assert f"Learning agreement of {student}" in html
    assert f"/mobility/office/{world.mobility.pk}/" in html
    assert sent.request_id in html


def test_a_receiving_hei_down_is_logged_as_failed_with_the_error(world: World) -> None:
    world.delft_node.down = True
    sent = la_cnr.notify(world.mobility)
    assert sent.state == SentCnr.State.FAILED
    assert "cannot be reached" in sent.error
    warsaw = InstitutionFactory.create(name="Warsaw", country="PL", schac_code=WARSAW)
    other = received_by(warsaw)
    proposed(other)
    failed = la_cnr.notify(other)
    assert failed.state == SentCnr.State.FAILED
    assert "lists no omobility-la-cnr v1" in failed.error


def test_process_cnrs_notifies_the_learning_agreements_changed_once_left_alone(
    world: World,
) -> None:
    # A version only the student signed is not the sending HEI's: nothing for it, ever.
    waiting_promoter = received_by(world.delft)
    agreement_with_rows(
        waiting_promoter, state=LearningAgreementState.SUBMITTED, student_signed_at=timezone.now()
    )
    # Approved just now: not yet (a burst of changes is one notification).
    assert la_cnr.send_due(timezone.now()) == []
    later = left_alone(world)
    sent = la_cnr.send_due(later)
    assert [(s.mobility, s.state) for s in sent] == [(world.mobility, SentCnr.State.SENT)]
    # Nothing changed since: nothing sent.
    assert la_cnr.send_due(later + timedelta(hours=1)) == []
    # The version changes (the host signs it, or it is returned): notified again.
    version = world.version
    version.state = LearningAgreementState.RETURNED
    version.returned_at = timezone.now()
    version.save()
    assert la_cnr.send_due(version.returned_at + timedelta(seconds=5)) == []
    assert len(la_cnr.send_due(version.returned_at + cnr.DEBOUNCE + timedelta(seconds=1))) == 1
    assert SentCnr.objects.filter(kind="la", state=SentCnr.State.SENT).count() == 2
    # A host not on the network (no LA CNR in the catalogue) is not notified.
    warsaw = InstitutionFactory.create(name="Warsaw", country="PL", schac_code=WARSAW)
    proposed(received_by(warsaw))
    assert la_cnr.send_due(timezone.now() + timedelta(hours=1)) == []
    # The IIA notifications are apart: Delft's node serves no IIA CNR, nothing for them.
    assert cnr.send_due(timezone.now() + timedelta(hours=1)) == []
    assert SentCnr.objects.filter(kind="iia").count() == 0


def test_a_failed_la_notification_is_tried_again_after_a_pause(world: World) -> None:
    world.delft_node.down = True
    [failed] = la_cnr.send_due(left_alone(world))
    assert failed.state == SentCnr.State.FAILED
    assert la_cnr.send_due(failed.sent_at + timedelta(seconds=5)) == []  # pausing
    world.delft_node.down = False
    [again] = la_cnr.send_due(failed.sent_at + cnr.FIRST_PAUSE + timedelta(seconds=1))
    assert again.state == SentCnr.State.SENT
    assert la_cnr.send_due(again.sent_at + timedelta(hours=1)) == []


def test_a_notification_given_up_after_the_last_attempt(world: World) -> None:
    world.delft_node.down = True
    moment = left_alone(world)
    for _ in range(cnr.MAX_ATTEMPTS):
        [failed] = la_cnr.send_due(moment)
        moment = failed.sent_at + cnr.LONGEST_PAUSE + timedelta(seconds=1)
    assert la_cnr.send_due(moment) == []  # given up until the learning agreement changes


def test_process_cnrs_command_sends_the_la_notifications_due(world: World) -> None:
    LearningAgreement.objects.filter(pk=world.version.pk).update(
        promoter_signed_at=timezone.now() - cnr.DEBOUNCE - timedelta(seconds=1)
    )
    out = StringIO()
    call_command("ewp", "process-cnrs", stdout=out)
    omobility_id = services.omobility_id(world.mobility)
    assert f"notified tudelft.nl of {omobility_id}: sent, request" in out.getvalue()
    listed = StringIO()
    call_command("ewp", "cnrs", stdout=listed)
    assert f"tudelft.nl {omobility_id} sent" in listed.getvalue()


# ------------------------------------------------------------------ in the background worker


@pytest.mark.django_db(transaction=True)
def test_the_worker_notifies_a_burst_of_changes_once_after_the_debounce(
    database_queue: None,  # noqa: F811 (the fixture)
    world: World,
) -> None:
    # the promoter approved (the fixture), then the host signs: one task, moved later
    world.version.host_signed_at = timezone.now()
    world.version.save()
    [waiting] = DBTaskResult.objects.filter(task_path=tasks.send_la_cnr.module_path)
    assert waiting.args_kwargs["args"] == [world.mobility.pk]
    assert waiting.run_after > timezone.now()
    run_worker()
    assert world.delft_node.requests == []  # not before the debounce is over

    before = timezone.now() - cnr.DEBOUNCE - timedelta(seconds=1)
    LearningAgreement.objects.filter(mobility=world.mobility).update(
        promoter_signed_at=before, host_signed_at=before
    )
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_worker()

    [post] = [r for r in world.delft_node.requests if r.method == "POST"]
    omobility_id = services.omobility_id(world.mobility)
    assert ("omobility_id", omobility_id) in parse_qsl(post.body.decode())
    [sent] = SentCnr.objects.all()
    assert (sent.kind, sent.state, sent.mobility) == ("la", SentCnr.State.SENT, world.mobility)
