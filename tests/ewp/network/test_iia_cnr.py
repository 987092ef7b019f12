"""The IIA CNR API v3, both ways. Delft's node is a small HTTP server in a thread that the
test catalogue lists (its IIAs get v7 and IIA CNR v3, its server key): it signs its answers
as a real node does. Our node is Django's test client for what Delft sends us, and our real
client for what we send Delft."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from lxml import etree

from abroad.catalogue.models import Agreement, Institution
from abroad.ewp import iia, xml
from abroad.ewp.models import Inbound, PendingCnr, SeenRequest, SentCnr
from abroad.ewp.network import cnr, httpsig, keys
from abroad.ewp.network.iias import MANIFEST_ENTRY as IIAS_ENTRY
from abroad.ewp.network.iias import iia_id
from tests.ewp.network import partner_node
from tests.ewp.network.conftest import Registry
from tests.ewp.network.partner_node import partner_catalogue
from tests.ewp.network.test_iias import DELFT, HOME, WARSAW, Partners, make_agreement
from tests.factories import InstitutionFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

VENDORED = "ewp-registry-service-vendored/src/main/resources/schemas/ewp-specs-api-iia-cnr-v3.0.0"
DELFT_IIA_ID = "delft-0001"


class PartnerNode(partner_node.PartnerNode):
    """Delft's node: answers its IIAs get with ``document`` and its IIA CNR with the empty
    response."""

    def content(self, path: str) -> bytes:
        return self.document if urlsplit(path).path == "/iias/get" else cnr.response()

    def entries(self, apis: etree._Element) -> None:
        entry = etree.SubElement(apis, f"{{{IIAS_ENTRY}}}iias", nsmap={"i7": IIAS_ENTRY})
        entry.set("version", "7.0.0")
        etree.SubElement(entry, f"{{{IIAS_ENTRY}}}get-url").text = f"{self.url}/iias/get"
        etree.SubElement(entry, f"{{{IIAS_ENTRY}}}max-iia-ids").text = "1"
        etree.SubElement(entry, f"{{{IIAS_ENTRY}}}index-url").text = f"{self.url}/iias/index"
        ns = cnr.MANIFEST_ENTRY
        entry = etree.SubElement(apis, f"{{{ns}}}iia-cnr", nsmap={"c3": ns})
        entry.set("version", "3.0.0")
        etree.SubElement(entry, f"{{{ns}}}url").text = f"{self.url}/iia-cnr"


@dataclass
class World:
    partners: Partners
    delft_node: PartnerNode
    delft: Institution
    agreement: Agreement


@pytest.fixture
def world(
    client: Client,
    registry: Registry,
    node_keys: dict[str, Path],
    settings: Any,
    home: Institution,
) -> Iterator[World]:
    node = PartnerNode()
    partners = partner_catalogue(client, registry, settings, node)
    delft = InstitutionFactory.create(name="TU Delft", country="NL", schac_code="TUDelft.nl")
    agreement = make_agreement(delft, code="E+ NL DELFT01", start_year=2026, end_year=2028)
    node.document = delft_copy(agreement)
    try:
        yield World(partners, node, delft, agreement)
    finally:
        node.close()


def delft_copy(agreement: Agreement, months: int = 10) -> bytes:
    """Delft's copy of our agreement, as its IIAs get answers it."""
    condition = iia.Condition(
        kind=iia.STUDIES,
        sending_hei=HOME,
        receiving_hei=DELFT,
        first_year=2026,
        last_year=2028,
        mobilities_per_year=2,
        total_months=months,
        eqf_levels=(6,),
        isced_codes=("0715",),
        languages=(("en", "B2"),),
    )
    copy = iia.Iia(
        partners=(
            iia.Partner(DELFT, DELFT_IIA_ID, "NL-DELFT-POLIMI"),
            iia.Partner(HOME, iia_id(agreement), agreement.code),
        ),
        in_effect=False,
        conditions=(condition,),
    )
    return iia.render([copy])


def notify_us(world: World, params: list[tuple[str, str]], hei: str = DELFT) -> Any:
    return world.partners.post(hei, "/ewp/iia-cnr", params)


def test_a_cnr_is_answered_at_once_with_the_empty_response_and_recorded(
    world: World, ewp_schemas: Path
) -> None:
    response = notify_us(world, [("iia_id", DELFT_IIA_ID)])
    assert response.status_code == 200, response.content
    assert "Signature" in response
    root = etree.fromstring(response.content)
    for path in ("ewp-specs-api-iia-cnr/response.xsd", f"{VENDORED}/response.xsd"):
        assert list(xml._schema(ewp_schemas, path).iter_errors(root)) == [], path
    pending = PendingCnr.objects.get()
    assert (pending.hei_id, pending.iia_id, pending.state) == (DELFT, DELFT_IIA_ID, "pending")
    assert pending.request_id
    assert pending.attempts == 0
    assert world.delft_node.requests == []  # nothing fetched during the request
    assert Inbound.objects.count() == 0

    # The same notification again while it waits: still one.
    assert notify_us(world, [("iia_id", DELFT_IIA_ID)]).status_code == 200
    assert PendingCnr.objects.count() == 1


def test_the_cnr_is_processed_into_the_inbox_as_an_upload(world: World) -> None:
    assert notify_us(world, [("iia_id", DELFT_IIA_ID)]).status_code == 200
    result = cnr.process_pending()
    assert [c.iia_id for c in result.done] == [DELFT_IIA_ID]
    method, path, headers, _body = world.delft_node.requests[0]
    assert method == "GET"
    assert parse_qsl(urlsplit(path).query) == [("iia_id", DELFT_IIA_ID)]
    assert headers["authorization"].startswith("Signature ")  # signed with our client key
    inbound = Inbound.objects.get()
    assert inbound.kind == Inbound.Kind.IIA
    assert inbound.state == Inbound.State.PENDING  # waiting for the office
    assert inbound.agreement == world.agreement  # matched by our iia-id in their copy
    assert inbound.received_by is None
    assert inbound.source.text.encode("utf-8") == world.delft_node.document
    assert "NL-DELFT-POLIMI" in inbound.summary
    done = PendingCnr.objects.get()
    assert done.state == PendingCnr.State.DONE
    assert done.attempts == 1
    assert done.done_at is not None
    assert f"inbox #{inbound.pk}" in done.outcome
    assert cnr.process_pending().done == []  # nothing left

    # The same copy notified again: nothing new waits in the inbox.
    assert notify_us(world, [("iia_id", DELFT_IIA_ID)]).status_code == 200
    again = cnr.process_pending().done
    assert "already waiting" in again[0].outcome
    assert Inbound.objects.count() == 1
    # A changed copy: a second entry waits.
    world.delft_node.document = delft_copy(world.agreement, months=12)
    assert notify_us(world, [("iia_id", DELFT_IIA_ID)]).status_code == 200
    assert len(cnr.process_pending().done) == 1
    assert Inbound.objects.filter(state=Inbound.State.PENDING).count() == 2


def test_a_partner_down_leaves_it_pending_with_the_error_and_it_is_retried(
    world: World,
) -> None:
    world.delft_node.down = True
    assert notify_us(world, [("iia_id", DELFT_IIA_ID)]).status_code == 200
    result = cnr.process_pending()
    assert result.done == []
    assert len(result.waiting) == 1
    waiting = PendingCnr.objects.get()
    assert waiting.state == PendingCnr.State.PENDING
    assert waiting.attempts == 1
    assert "cannot be reached" in waiting.last_error
    assert waiting.next_try_at > timezone.now()
    assert Inbound.objects.count() == 0
    # Not due yet: not tried again.
    assert cnr.process_pending().waiting == []
    # Still down at the next try: the pause doubles.
    first_pause = waiting.next_try_at
    cnr.process_pending(now=first_pause + timedelta(seconds=1))
    waiting.refresh_from_db()
    assert waiting.attempts == 2
    assert waiting.next_try_at - first_pause > cnr.FIRST_PAUSE

    world.delft_node.down = False
    result = cnr.process_pending(now=waiting.next_try_at + timedelta(seconds=1))
    assert len(result.done) == 1
    waiting.refresh_from_db()
    assert waiting.state == PendingCnr.State.DONE
    assert waiting.last_error == ""
    assert waiting.attempts == 3
    assert Inbound.objects.filter(state=Inbound.State.PENDING).count() == 1


def test_a_notification_is_given_up_after_the_last_attempt(world: World) -> None:
    world.delft_node.down = True
    assert notify_us(world, [("iia_id", DELFT_IIA_ID)]).status_code == 200
    PendingCnr.objects.update(attempts=cnr.MAX_ATTEMPTS - 1)
    assert len(cnr.process_pending().failed) == 1
    assert PendingCnr.objects.get().state == PendingCnr.State.FAILED


def test_a_cnr_for_an_agreement_the_partner_does_not_serve_is_done_with_nothing(
    world: World,
) -> None:
    world.delft_node.document = iia.render([])
    assert notify_us(world, [("iia_id", "deleted-1")]).status_code == 200
    done = cnr.process_pending().done
    assert "serves no agreement deleted-1" in done[0].outcome
    assert Inbound.objects.count() == 0


def test_a_cnr_names_the_callers_own_id_and_is_accepted_from_any_partner(
    world: World,
) -> None:
    # Warsaw has no agreement with us: its notification is accepted (the fetch will only see
    # what Warsaw serves; here Warsaw serves no IIAs API, so it waits with the reason).
    assert notify_us(world, [("iia_id", "uw-7")], hei=WARSAW).status_code == 200
    pending = PendingCnr.objects.get()
    assert (pending.hei_id, pending.iia_id) == (WARSAW, "uw-7")
    cnr.process_pending()
    pending.refresh_from_db()
    assert "lists no iias v7 for uw.edu.pl" in pending.last_error
    assert Inbound.objects.count() == 0


def test_an_unsigned_cnr_is_refused_with_401(world: World) -> None:
    response = Client().post(
        "/ewp/iia-cnr", "iia_id=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 401
    assert b"developer-message" in response.content
    assert PendingCnr.objects.count() == 0


def cnr_signed(
    key: keys.KeyPair, *, key_id: str = "", date: str | None = None, body: bytes = b"iia_id=x"
) -> dict[str, str]:
    """The headers of an IIA CNR whose body is ``body``, signed with ``key`` (as ``key_id``)."""
    headers = httpsig.sign_request(
        key.private,
        key_id or key.key_id,
        method="POST",
        target="/ewp/iia-cnr",
        host="testserver",
        body=body,
        date=date,
    )
    return {name: value for name, value in headers.items() if name != "Host"}


def post_cnr(headers: dict[str, str], body: bytes = b"iia_id=x") -> Any:
    return Client().post(
        "/ewp/iia-cnr", body, content_type="application/x-www-form-urlencoded", headers=headers
    )


@pytest.mark.parametrize(
    "case", ["unknown key", "another HEI's key", "tampered body", "date outside the skew"]
)
def test_a_badly_signed_cnr_is_refused_as_the_specification_says_and_nothing_is_recorded(
    world: World, case: str
) -> None:
    delft, warsaw = world.partners.pairs[DELFT], world.partners.pairs[WARSAW]
    long_ago = httpsig.http_date(datetime.now(UTC) - timedelta(minutes=10))
    status, headers, body = {
        "unknown key": (403, cnr_signed(keys.KeyPair(keys.generate())), b"iia_id=x"),
        # Warsaw's key presented as Delft's: the signature does not hold.
        "another HEI's key": (400, cnr_signed(warsaw, key_id=delft.key_id), b"iia_id=x"),
        "tampered body": (400, cnr_signed(delft), b"iia_id=y"),  # the Digest does not match
        "date outside the skew": (400, cnr_signed(delft, date=long_ago), b"iia_id=x"),
    }[case]
    response = post_cnr(headers, body)
    assert response.status_code == status, response.content
    assert b"developer-message" in response.content
    assert PendingCnr.objects.count() == 0
    assert SeenRequest.objects.count() == 0
    assert world.delft_node.requests == []


def test_a_replayed_cnr_is_refused_with_400_and_recorded_once(world: World) -> None:
    headers = cnr_signed(world.partners.pairs[DELFT])
    assert post_cnr(headers).status_code == 200
    response = post_cnr(headers)
    assert response.status_code == 400
    assert b"already used" in response.content
    assert PendingCnr.objects.count() == 1


@pytest.mark.parametrize(
    "params",
    [[], [("iia_id", "a"), ("iia_id", "b")], [("iia_id", "x" * 65)], [("iia_id", "é")]],
    ids=["none", "twice", "too-long", "not-ascii"],
)
def test_a_cnr_with_wrong_parameters_is_refused_with_400(
    world: World, params: list[tuple[str, str]]
) -> None:
    response = notify_us(world, params)
    assert response.status_code == 400
    assert b"developer-message" in response.content
    assert PendingCnr.objects.count() == 0


def test_a_cnr_by_get_or_in_another_encoding_is_refused(world: World) -> None:
    assert world.partners.get(DELFT, "/ewp/iia-cnr", [("iia_id", "x")]).status_code == 405
    body = b'{"iia_id": "x"}'
    response = Client().post(
        "/ewp/iia-cnr",
        body,
        content_type="application/json",
        headers=world.partners.sign(DELFT, "POST", "/ewp/iia-cnr", body),
    )
    assert response.status_code == 415
    assert PendingCnr.objects.count() == 0


def test_process_cnrs_command_reports_what_it_did(world: World) -> None:
    world.delft_node.down = True
    notify_us(world, [("iia_id", DELFT_IIA_ID)])
    out = StringIO()
    call_command("ewp", "process-cnrs", stdout=out)
    assert "waiting tudelft.nl delft-0001 (attempt 1" in out.getvalue()
    assert "cannot be reached" in out.getvalue()
    listed = StringIO()
    call_command("ewp", "cnrs", stdout=listed)
    assert "tudelft.nl delft-0001 pending attempts=1" in listed.getvalue()


# ------------------------------------------------------------------------------- sending


def test_we_notify_the_partner_that_an_agreement_changed_and_log_it(world: World) -> None:
    sent = cnr.notify(world.agreement)
    assert sent.state == SentCnr.State.SENT, sent.error
    assert sent.status == 200
    assert sent.request_id
    method, path, headers, body = world.delft_node.requests[0]
    assert (method, path) == ("POST", "/iia-cnr")
    assert parse_qsl(body.decode()) == [("iia_id", iia_id(world.agreement))]
    assert headers["x-request-id"] == sent.request_id
    assert headers["authorization"].startswith("Signature ")
    assert SentCnr.objects.get().agreement == world.agreement

    out = StringIO()
    call_command("ewp", "notify-iia", world.agreement.code, stdout=out)
    assert "tudelft.nl notified of" in out.getvalue()
    assert SentCnr.objects.count() == 2


def test_a_partner_down_is_logged_as_failed_with_the_error(world: World) -> None:
    world.delft_node.down = True
    sent = cnr.notify(world.agreement)
    assert sent.state == SentCnr.State.FAILED
    assert "cannot be reached" in sent.error
    with pytest.raises(CommandError, match="not notified"):
        call_command("ewp", "notify-iia", world.agreement.code)
    assert SentCnr.objects.filter(state=SentCnr.State.FAILED).count() == 2
    # A partner the registry lists no IIA CNR for.
    warsaw = InstitutionFactory.create(name="Warsaw", country="PL", schac_code=WARSAW)
    other = cnr.notify(make_agreement(warsaw))
    assert other.state == SentCnr.State.FAILED
    assert "lists no iia-cnr v3" in other.error


def test_process_cnrs_notifies_the_agreements_changed_once_left_alone(world: World) -> None:
    now = timezone.now()
    # Saved just now: not yet (a burst of edits is one notification).
    assert cnr.send_due(now) == []
    later = now + cnr.DEBOUNCE + timedelta(seconds=1)
    sent = cnr.send_due(later)
    assert [(s.agreement, s.state) for s in sent] == [(world.agreement, SentCnr.State.SENT)]
    assert world.delft_node.requests[0][1] == "/iia-cnr"
    # Nothing changed since: nothing sent.
    assert cnr.send_due(later + timedelta(hours=1)) == []
    # Changed again (the office saved the agreement): notified again.
    world.agreement.save()
    assert cnr.send_due(timezone.now() + cnr.DEBOUNCE + timedelta(seconds=1)) != []
    assert SentCnr.objects.filter(state=SentCnr.State.SENT).count() == 2
    # A partner not on the network (no IIA CNR in the catalogue) is not notified.
    warsaw = InstitutionFactory.create(name="Warsaw", country="PL", schac_code=WARSAW)
    make_agreement(warsaw)
    assert cnr.send_due(timezone.now() + timedelta(hours=1)) == []


def test_a_failed_notification_is_tried_again_after_a_pause(world: World) -> None:
    world.delft_node.down = True
    later = timezone.now() + cnr.DEBOUNCE + timedelta(seconds=1)
    [failed] = cnr.send_due(later)
    assert failed.state == SentCnr.State.FAILED
    assert "cannot be reached" in failed.error
    assert cnr.send_due(failed.sent_at + timedelta(seconds=5)) == []  # pausing
    world.delft_node.down = False
    [again] = cnr.send_due(failed.sent_at + cnr.FIRST_PAUSE + timedelta(seconds=1))
    assert again.state == SentCnr.State.SENT
    assert cnr.send_due(again.sent_at + timedelta(hours=1)) == []


def test_process_cnrs_command_sends_the_notifications_due(world: World) -> None:
    Agreement.objects.filter(pk=world.agreement.pk).update(
        updated_at=timezone.now() - cnr.DEBOUNCE - timedelta(seconds=1)
    )
    out = StringIO()
    call_command("ewp", "process-cnrs", stdout=out)
    assert f"notified tudelft.nl of {iia_id(world.agreement)}: sent, request" in out.getvalue()
