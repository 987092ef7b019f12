"""A download is free of side effects (Trust): GETting an export, or an agreement's EWP page,
writes no row, and names the same ids every time; the ids it names are the ones stored by the
first write that needs them, and a partner's document naming them is matched to our row."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from abroad.catalogue.models import Agreement, Institution
from abroad.ewp import iia, las, nominations, services
from abroad.ewp.models import IiaLink, Inbound, MobilityLink
from abroad.mobility.models import Mobility
from abroad.people.models import User
from tests.ewp.conftest import nominee_details
from tests.ewp.test_las import change, signed_first, update
from tests.mobility.factories import MobilityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mobility(home: Institution, agreement: Agreement) -> Mobility:
    mobility = MobilityFactory.create(
        offer=agreement.offers.get(isced_code="0715"), host=agreement.partner
    )
    mobility.student.student_number = "10654321"
    mobility.student.save()
    nominee_details(mobility.student)
    signed_first(mobility)
    return mobility


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def writes(client: Client, url: str) -> tuple[bytes, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    sql = [q["sql"] for q in queries.captured_queries]
    written = [q for q in sql if q.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    return response.content, [q for q in written if "django_session" not in q]


def test_downloads_and_the_agreement_page_write_nothing(
    personas: dict[str, Client], agreement: Agreement, mobility: Mobility
) -> None:
    assert not IiaLink.objects.exists()
    assert not MobilityLink.objects.exists()
    office = personas["office"]
    office.get(reverse("ewp:inbox"))  # the session is settled before counting
    urls = [
        reverse("ewp:la_xml", args=[mobility.pk]),
        reverse("ewp:nomination_xml", args=[mobility.pk]),
        reverse("ewp:nominations_xml") + "?year=2026",
        reverse("ewp:agreement_xml", args=[agreement.pk]),
    ]
    before = row_counts()
    for url in urls:
        first, written = writes(office, url)
        assert written == [], url
        second, written = writes(office, url)
        assert written == [], url
        assert first == second, url  # the same ids every time
    iia_id = str(services.known_iia_link(agreement).iia_id)
    for _ in range(2):
        page, written = writes(office, reverse("ewp:agreement", args=[agreement.pk]))
        assert written == []
        assert iia_id in page.decode()
    assert row_counts() == before


def test_the_ids_downloaded_are_the_ones_stored_later(
    agreement: Agreement, mobility: Mobility, office: User
) -> None:
    [la] = las.parse(services.export_la(mobility))
    [nominated] = nominations.parse(services.export_nominations([mobility]).data)
    [ours] = iia.parse(services.export_iia(agreement))
    assert la.omobility_id == nominated.omobility_id
    assert not MobilityLink.objects.exists()
    assert not IiaLink.objects.exists()
    # what the first write stores is what was sent
    assert str(services.mobility_link(mobility).omobility_id) == la.omobility_id
    assert str(services.iia_link(agreement).iia_id) == ours.partners[0].iia_id
    # another mobility's id is another
    other = MobilityFactory.create(offer=mobility.offer, host=mobility.host)
    assert services.omobility_id(other) != la.omobility_id


def test_a_partners_answer_naming_a_derived_id_finds_our_row(
    agreement: Agreement, mobility: Mobility, office: User
) -> None:
    second = change(mobility, mobility.learning_agreements.get(number=1))
    sent = las.parse(services.export_la(mobility))[0].omobility_id
    assert not MobilityLink.objects.exists()
    data = update(mobility, second)  # names the derived id (and stores it, as a write would)
    MobilityLink.objects.all().delete()
    assert sent.encode() in data
    inbound = services.apply_la_update(data=data, file_name="a.xml", actor=office)
    assert inbound.state == Inbound.State.APPLIED, inbound.message
    assert str(MobilityLink.objects.get(mobility=mobility).omobility_id) == sent
