"""Our side of IIA approvals: ``ewp fetch-approvals`` asks Delft's IIAs Approval API (a
:class:`~tests.ewp.network.partner_node.PartnerNode`, which signs its answers) which of our
iia-ids it approved, in batches of its ``max-iia-ids``, and keeps the answer; a node that is
down is logged where the office sees it. The approval readiness panel of the agreement's
EWP page: our hash, theirs, who approved which, the fields where the copies differ; only the
office opens it, in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from lxml import etree

from abroad.catalogue.models import Agreement, Institution
from abroad.ewp import iia, services
from abroad.ewp.models import ApprovalFetch, PartnerApproval
from abroad.ewp.network import approval
from abroad.ewp.network.iias import iia_id
from abroad.ewp.network.registry import catalogue
from tests.ewp.network.conftest import Registry
from tests.ewp.network.partner_node import PartnerNode, partner_catalogue
from tests.ewp.network.test_iias import DELFT, make_agreement
from tests.ewp.test_iia import partner_copy
from tests.factories import InstitutionFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

ALL = ("student", "other_student", "promoter", "office", "anonymous")


class ApprovalNode(PartnerNode):
    """Delft's node: its IIAs Approval v2 answers, for the ids asked, those in ``approved``
    (our iia-id -> the hash it approved); ``status`` 503: up, but it cannot serve."""

    def __init__(self, max_ids: int) -> None:
        super().__init__()
        self.approved: dict[str, str] = {}
        self.max_ids = max_ids

    @staticmethod
    def ids(path: str) -> list[str]:
        return [v for k, v in parse_qsl(urlsplit(path).query) if k == "iia_id"]

    @property
    def asked(self) -> list[list[str]]:
        """The iia-ids of each request, in order."""
        return [self.ids(r.path) for r in self.requests]

    def content(self, path: str) -> bytes:
        return approval.render(
            [(i, self.approved[i]) for i in self.ids(path) if i in self.approved]
        )

    def entries(self, apis: etree._Element) -> None:
        ns = approval.MANIFEST_ENTRY
        entry = etree.SubElement(apis, f"{{{ns}}}iias-approval", nsmap={"a2": ns})
        entry.set("version", "2.0.0")
        etree.SubElement(entry, f"{{{ns}}}url").text = f"{self.url}/iias-approval"
        etree.SubElement(entry, f"{{{ns}}}max-iia-ids").text = str(self.max_ids)


@dataclass
class World:
    node: ApprovalNode
    delft: Institution
    agreements: list[Agreement]


@pytest.fixture
def world(
    client: Client,
    registry: Registry,
    node_keys: dict[str, Path],
    settings: Any,
    home: Institution,
) -> Iterator[World]:
    node = ApprovalNode(max_ids=2)
    partner_catalogue(client, registry, settings, node)
    delft = InstitutionFactory.create(name="TU Delft", country="NL", schac_code=DELFT)
    agreements = [
        make_agreement(delft, code=f"E+ NL DELFT0{n}", start_year=2026, end_year=2028)
        for n in range(1, 6)
    ]
    try:
        yield World(node, delft, agreements)
    finally:
        node.close()


def our_hash(agreement: Agreement) -> str:
    return iia.parse(services.export_iia(agreement))[0].computed_hash


def test_fetch_approvals_asks_in_batches_and_keeps_each_answer(world: World) -> None:
    first, second = world.agreements[:2]
    world.node.approved = {iia_id(first): our_hash(first), iia_id(second): "ab" * 32}
    out = StringIO()
    call_command("ewp", "fetch-approvals", stdout=out)
    # five agreements, at most two ids a call: three calls, every id once
    assert [len(ids) for ids in world.node.asked] == [2, 2, 1]
    assert sorted(i for ids in world.node.asked for i in ids) == sorted(
        iia_id(a) for a in world.agreements
    )
    assert f"{DELFT}: 2 of 5 approved" in out.getvalue()
    held = {a.code: a.ewp_approval for a in Agreement.objects.select_related("ewp_approval")}
    assert held[first.code].iia_hash == our_hash(first)
    assert held[first.code].approved_since is not None
    assert held[first.code].request_id
    assert held["E+ NL DELFT03"].iia_hash == ""
    calls = list(ApprovalFetch.objects.order_by("pk"))
    assert [(c.state, c.asked, c.approved) for c in calls] == [
        ("done", 2, 2),
        ("done", 2, 0),
        ("done", 1, 0),
    ]

    ready = approval.readiness(first, services.known_iia_link(first))
    assert ready.approved_by_partner
    other = approval.readiness(second, services.known_iia_link(second))
    assert not other.approved_by_partner
    assert other.partner_approved_earlier

    # Our copy changes: the approval no longer holds (the hash is not ours any more).
    offer = first.offers.get()
    offer.seats += 1
    offer.save()
    first.refresh_from_db()
    assert not approval.readiness(first, services.known_iia_link(first)).approved_by_partner

    # The partner withdraws: asked again, the approval is gone.
    world.node.approved = {}
    call_command("ewp", "fetch-approvals", "--partner", DELFT.upper(), stdout=StringIO())
    assert PartnerApproval.objects.get(agreement=first).iia_hash == ""
    assert PartnerApproval.objects.get(agreement=first).approved_since is None


def test_a_partner_that_is_down_is_logged_and_shown_to_the_office(
    world: World, personas: dict[str, Client]
) -> None:
    world.node.status = 503
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="failed"):
        call_command("ewp", "fetch-approvals", stdout=out, stderr=err)
    assert "503" in err.getvalue()
    failed = ApprovalFetch.objects.filter(state=ApprovalFetch.State.FAILED)
    assert failed.count() == 3
    page = personas["office"].get(reverse("ewp:agreement", args=[world.agreements[0].pk]))
    text = page.content.decode()
    assert "it failed" in text
    assert "answered 503" in text
    assert "not asked yet" in text


def test_an_unknown_partner_is_refused_by_the_command(world: World) -> None:
    with pytest.raises(CommandError, match="no agreement"):
        call_command("ewp", "fetch-approvals", "--partner", "nowhere.example.eu")


# ------------------------------------------------------------------------------ the panel


@pytest.mark.parametrize("persona", ALL)
def test_only_the_office_sees_the_panel(
    personas: dict[str, Client], persona: str, agreement: Agreement
) -> None:
    response = personas[persona].get(reverse("ewp:agreement", args=[agreement.pk]))
    if persona == "office":
        assert response.status_code == 200
        assert "Approval readiness" in response.content.decode()
    elif persona == "anonymous":
        assert response.status_code == 302
    else:
        assert response.status_code == 404
        assert b"Approval readiness" not in response.content


def test_the_panel_says_who_approved_which_copy_and_where_they_differ(
    personas: dict[str, Client],
    agreement: Agreement,
    office: Any,
    django_assert_max_num_queries: Any,
) -> None:
    url = reverse("ewp:agreement", args=[agreement.pk])
    office_client = personas["office"]
    page = office_client.get(url).content.decode()
    assert "No copy of this agreement has been received from the partner yet." in page
    assert "not asked yet" in page

    # Their copy arrives (18 months where we say 15, another last year): named, field by field.
    [inbound] = services.receive_iias(
        data=partner_copy(agreement, months=18), file_name="tud.xml", actor=office
    )
    theirs = iia.parse(partner_copy(agreement, months=18))[0].iia_hash
    mine = our_hash(agreement)
    PartnerApproval.objects.create(
        agreement=agreement,
        hei_id="tudelft.nl",
        iia_hash=mine,
        approved_since="2026-12-01T10:00:00Z",
        checked_at="2026-12-07T10:00:00Z",
        request_id="3f1c1b9e-7a43-4e55-9f0e-000000000001",
    )
    with django_assert_max_num_queries(8):
        response = office_client.get(url)
    page = response.content.decode()
    assert mine in page
    assert theirs in page
    assert "The two copies differ" in page
    assert "Total months per year" in page
    assert "total-months-per-year" in page
    assert "Last academic year" in page
    assert "3f1c1b9e-7a43-4e55-9f0e-000000000001" in page
    panel = page[page.index('id="partner-approval"') :]
    assert panel.split("</dd>")[0].count("yes") == 1
    our_approval = page[page.index('id="our-approval"') :].split("</dd>")[0]
    assert "yes" not in our_approval

    # The inbox item shows the same diff, naming the field.
    item = office_client.get(reverse("ewp:inbound", args=[inbound.pk])).content.decode()
    assert "Total months per year" in item
    assert ">18<" in item

    # The office accepts their copy: we approved theirs; ours now says what theirs says.
    office_client.post(reverse("ewp:inbound_accept", args=[inbound.pk]))
    page = office_client.get(url).content.decode()
    our_approval = page[page.index('id="our-approval"') :].split("</dd>")[0]
    assert theirs in our_approval
    assert "yes" in our_approval
    # The partner approved our copy before the change: an earlier copy now.
    assert "it approved an earlier copy of ours" in page


def test_the_panel_counts_no_more_queries_with_many_received_copies(
    personas: dict[str, Client],
    agreement: Agreement,
    office: Any,
    django_assert_max_num_queries: Any,
) -> None:
    for months in range(10, 40):
        services.receive_iias(
            data=partner_copy(agreement, months=months), file_name="tud.xml", actor=office
        )
    with django_assert_max_num_queries(8):
        response = personas["office"].get(reverse("ewp:agreement", args=[agreement.pk]))
    assert ">39<" in response.content.decode()  # the last copy received is compared


def test_the_approval_answer_is_read_only_for_the_ids_we_asked(world: World) -> None:
    first = world.agreements[0]
    world.node.approved = {iia_id(first): our_hash(first)}
    found, request_id = approval.ask(DELFT, [iia_id(first)])
    assert found == {iia_id(first): our_hash(first)}
    assert request_id
    assert approval.max_iia_ids(catalogue(), DELFT) == 2


def test_without_a_registry_nobody_is_asked_and_the_command_says_why(
    agreement: Agreement, settings: Any
) -> None:
    settings.EWP_REGISTRY_URL = ""
    with pytest.raises(CommandError, match="no partner asked"):
        call_command("ewp", "fetch-approvals", stdout=StringIO())
    assert not PartnerApproval.objects.exists()
