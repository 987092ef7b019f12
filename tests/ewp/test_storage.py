"""A received file is kept once (Trust, the IIA inbox's storage): a file of many agreements is
one ReceivedFile, each waiting agreement pointing at it with its position, and every agreement
still shows, compares and is accepted from it; the migration moves existing rows to this
shape and back without loss."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from lxml import etree

from abroad.catalogue.models import Agreement
from abroad.ewp import iia, services, xml
from abroad.ewp.models import IiaLink, Inbound, ReceivedFile
from abroad.people.models import User
from tests.ewp.test_iia import partner_copy

MANY = 100


def many_iias(agreement: Agreement, count: int = MANY) -> bytes:
    """The partner's copy of ``agreement`` first, then ``count - 1`` agreements of theirs we
    do not know (their own iia-ids and codes), each with its hash."""
    root = xml.parse(partner_copy(agreement))
    first = root.find("i:iia", iia.NS)
    assert first is not None
    for number in range(1, count):
        copy = etree.fromstring(etree.tostring(first))
        for tag, value in (("iia-id", f"DELFT-{number}"), ("iia-code", f"TUD/{number}")):
            node = copy.find(f"i:partner/i:{tag}", iia.NS)
            assert node is not None
            node.text = value
        ours = copy.findall("i:partner", iia.NS)[1].find("i:iia-id", iia.NS)
        assert ours is not None
        ours.getparent().remove(ours)
        hash_node = copy.find("i:iia-hash", iia.NS)
        assert hash_node is not None
        hash_node.text = iia.iia_hash(copy)
        root.append(copy)
    return xml.serialize(root)


def stored_bytes() -> int:
    """Every byte the inbox keeps of what it received."""
    files = sum(len(f.text.encode()) for f in ReceivedFile.objects.all())
    rows = sum(
        len(i.summary.encode()) + len(i.message.encode()) + len(i.file_name.encode())
        for i in Inbound.objects.all()
    )
    return files + rows


@pytest.mark.django_db
def test_a_file_of_many_iias_is_kept_once_and_each_still_shows(
    personas: dict[str, Client], agreement: Agreement
) -> None:
    office = personas["office"]
    data = many_iias(agreement)
    response = office.post(
        reverse("ewp:inbox"),
        {"kind": "iia", "file": SimpleUploadedFile("many.xml", data, content_type="text/xml")},
    )
    assert response.status_code == 302
    assert Inbound.objects.count() == MANY
    assert ReceivedFile.objects.count() == 1
    assert stored_bytes() < 1.2 * len(data)  # was MANY times the file
    entries = list(Inbound.objects.order_by("position"))
    assert [e.position for e in entries] == list(range(MANY))
    # every entry shows its own agreement, compared; the text shown is its agreement only
    for entry in (entries[0], entries[1], entries[MANY - 1]):
        page = office.get(reverse("ewp:inbound", args=[entry.pk])).content.decode()
        theirs = services.inbound_iia(entry)
        assert theirs.partners[0].iia_code in page
        shown = services.inbound_text(entry)
        assert shown.count("<iia>") == 1
        assert [one.partners[0] for one in iia.parse(shown)] == [theirs.partners[0]]
    page = office.get(reverse("ewp:inbound", args=[entries[0].pk])).content.decode()
    assert "Their copy compared with E+ NL DELFT01" in page
    # accepting one keeps the partner's copy of that agreement only
    response = office.post(reverse("ewp:inbound_accept", args=[entries[0].pk]))
    assert response.status_code == 302
    link = IiaLink.objects.get(agreement=agreement)
    assert link.partner_iia_id == "DELFT-77"
    assert len(link.partner_xml) < 2 * len(data) / MANY
    assert [one.partners[0].iia_id for one in iia.parse(link.partner_xml)] == ["DELFT-77"]
    entries[0].refresh_from_db()
    assert entries[0].state == Inbound.State.APPLIED


@pytest.mark.django_db
def test_the_same_file_again_is_the_same_row(agreement: Agreement, office: User) -> None:
    data = partner_copy(agreement)
    services.receive_iias(data=data, file_name="a.xml", actor=office)
    services.receive_iias(data=data, file_name="b.xml", actor=office)
    assert Inbound.objects.count() == 2
    assert ReceivedFile.objects.count() == 1
    assert ReceivedFile.objects.get().text == data.decode()


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_every_row_and_back() -> None:
    executor = MigrationExecutor(connection)
    before, after = [("ewp", "0001_initial")], [("ewp", "0002_received_file_once")]
    executor.migrate(before)
    old = executor.loader.project_state(before[0]).apps.get_model("ewp", "Inbound")
    texts = ["<a>one file</a>", "<b>another, é</b>", "<a>one file</a>"]
    pks = [old.objects.create(kind="iia", xml=text, position=n).pk for n, text in enumerate(texts)]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new = executor.loader.project_state(after[0]).apps
    files = new.get_model("ewp", "ReceivedFile")
    rows = new.get_model("ewp", "Inbound")
    assert files.objects.count() == 2  # the same text is kept once
    assert [rows.objects.get(pk=pk).source.text for pk in pks] == texts
    assert [rows.objects.get(pk=pk).position for pk in pks] == [0, 1, 2]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(before)
    back = executor.loader.project_state(before[0]).apps.get_model("ewp", "Inbound")
    assert [back.objects.get(pk=pk).xml for pk in pks] == texts
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
