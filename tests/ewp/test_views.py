"""The EWP pages: who may open each (every persona), the downloads, the inbox (uploads refused
with the schema's message and nothing stored, partner copies compared, accepted, discarded,
learning agreement answers applied) and its number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from abroad.catalogue.models import Agreement, Institution
from abroad.ewp import iia, las, nominations, services, xml
from abroad.ewp.models import IiaLink, Inbound
from abroad.mobility.enums import LearningAgreementState, MobilityKind
from abroad.mobility.models import Mobility
from abroad.people.models import User
from tests.conftest import logged_in
from tests.ewp.conftest import HOME, nominee_details
from tests.ewp.test_iia import partner_copy
from tests.ewp.test_las import change, signed_first, update
from tests.factories import PromoterFactory
from tests.mobility.factories import MobilityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mobility(home: Institution, agreement: Agreement, student: User, promoter: User) -> Mobility:
    """The student persona's mobility to Delft; the promoter persona approves it (the
    student's course of study has no coordinators, so the site's promoter does)."""
    agreement.promoter = promoter.promoter
    agreement.save()
    mobility = MobilityFactory.create(
        student=student, offer=agreement.offers.get(isced_code="0715"), host=agreement.partner
    )
    student.student_number = "10654321"
    student.save()
    nominee_details(student)
    signed_first(mobility)
    return mobility


@pytest.fixture
def pending(agreement: Agreement, office: User) -> Inbound:
    [inbound] = services.receive_iias(
        data=partner_copy(agreement, months=18), file_name="tud.xml", actor=office
    )
    return inbound


def login_url(path: str) -> str:
    return f"{reverse('login')}?next={path}"


# ---------------------------------------------------------------------- who may open what

ALL = ("student", "other_student", "promoter", "office", "anonymous")


def expected(allowed: set[str], refused: int, persona: str) -> int:
    if persona == "anonymous":
        return 302
    return 200 if persona in allowed else refused


@pytest.mark.parametrize("persona", ALL)
def test_who_opens_each_page(
    personas: dict[str, Client],
    persona: str,
    agreement: Agreement,
    mobility: Mobility,
    pending: Inbound,
) -> None:
    pages = [
        # url, the personas allowed, what the others get
        (reverse("ewp:agreement_xml", args=[agreement.pk]), {"office", "promoter"}, 404),
        (reverse("ewp:agreement", args=[agreement.pk]), {"office"}, 404),
        (reverse("ewp:la_xml", args=[mobility.pk]), {"office", "promoter", "student"}, 404),
        (reverse("ewp:nomination_xml", args=[mobility.pk]), {"office"}, 404),
        (reverse("ewp:nominations_xml") + "?year=2026", {"office"}, 404),
        (reverse("ewp:inbox"), {"office"}, 404),
        (reverse("ewp:inbound", args=[pending.pk]), {"office"}, 404),
    ]
    client = personas[persona]
    for url, allowed, refused in pages:
        response = client.get(url)
        assert response.status_code == expected(allowed, refused, persona), (url, persona)
        if persona == "anonymous":
            assert response["Location"] == login_url(url.replace("?", "%3F").replace("=", "%3D"))


@pytest.mark.parametrize("persona", ALL)
@pytest.mark.parametrize("action", ["inbound_accept", "inbound_discard"])
def test_only_the_office_decides(
    personas: dict[str, Client], persona: str, action: str, pending: Inbound
) -> None:
    url = reverse(f"ewp:{action}", args=[pending.pk])
    response = personas[persona].post(url)
    if persona == "office":
        assert response.status_code == 302
        pending.refresh_from_db()
        assert pending.state != Inbound.State.PENDING
    else:
        assert response.status_code == (302 if persona == "anonymous" else 404)
        if persona == "anonymous":
            assert response["Location"].startswith(reverse("login"))
        pending.refresh_from_db()
        assert pending.state == Inbound.State.PENDING


def test_a_promoter_who_does_not_approve_the_mobility_gets_a_404(mobility: Mobility) -> None:
    stranger = PromoterFactory.create(user__username="stranger").user
    response = logged_in(stranger).get(reverse("ewp:la_xml", args=[mobility.pk]))
    assert response.status_code == 404


def test_posting_to_a_download_is_refused(personas: dict[str, Client], mobility: Mobility) -> None:
    response = personas["office"].post(reverse("ewp:la_xml", args=[mobility.pk]))
    assert response.status_code == 405


# ------------------------------------------------------------------------------ downloads


def test_the_iia_download_is_an_attachment_and_valid(
    personas: dict[str, Client], agreement: Agreement
) -> None:
    response = personas["promoter"].get(reverse("ewp:agreement_xml", args=[agreement.pk]))
    assert response["Content-Type"].startswith("application/xml")
    assert response["Content-Disposition"] == 'attachment; filename="iia-E-NL-DELFT01.xml"'
    [ours] = iia.parse(response.content)
    assert ours.partners[0].iia_code == "E+ NL DELFT01"


def test_the_la_download_is_the_students_learning_agreement(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    response = personas["student"].get(reverse("ewp:la_xml", args=[mobility.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="la-{mobility.pk}.xml"'
    [la] = las.parse(response.content)
    assert la.omobility_id == str(services.mobility_link(mobility).omobility_id)
    assert la.first_version is not None


def test_an_la_that_cannot_be_sent_is_a_message_on_the_la_page(
    personas: dict[str, Client], home: Institution, student: User
) -> None:
    mobility = MobilityFactory.create(student=student, offer__agreement__partner__schac_code="x.eu")
    response = personas["student"].get(reverse("ewp:la_xml", args=[mobility.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("mobility:la", args=[mobility.pk])
    assert "nothing to send" in response.content.decode()


def test_the_nominations_download_has_the_years_mobilities(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    client = personas["office"]
    url = reverse("ewp:nominations_xml")
    response = client.get(url, {"year": "2026", "host": str(mobility.host_id)})
    assert (
        response["Content-Disposition"] == 'attachment; filename="nominations-2026-tudelft.nl.xml"'
    )
    [found] = nominations.parse(response.content)
    assert found.omobility_id == str(services.mobility_link(mobility).omobility_id)
    assert nominations.parse(client.get(url, {"year": "2031"}).content) == []
    assert client.get(url, {"year": "next"}).status_code == 400
    one = client.get(reverse("ewp:nomination_xml", args=[mobility.pk]))
    assert [n.omobility_id for n in nominations.parse(one.content)] == [found.omobility_id]


def test_the_inbox_offers_the_years_and_hosts_that_have_mobilities(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    page = personas["office"].get(reverse("ewp:inbox")).content.decode()
    assert f'<option value="{mobility.academic_year}">' in page
    assert f'<option value="{mobility.host_id}">{mobility.host.name}</option>' in page
    assert f'action="{reverse("ewp:nominations_xml")}"' in page


def test_links_to_the_ewp_pages(personas: dict[str, Client], agreement: Agreement) -> None:
    """The catalogue's agreement page links to its EWP page for the office only; the office's
    menu has EWP."""
    page = reverse("catalogue:agreement", args=[agreement.pk])
    target = reverse("ewp:agreement", args=[agreement.pk])
    assert target in personas["office"].get(page).content.decode()
    assert target not in personas["student"].get(page).content.decode()
    assert reverse("ewp:inbox") in personas["office"].get(reverse("home")).content.decode()
    assert reverse("ewp:inbox") not in personas["promoter"].get(reverse("home")).content.decode()


def test_the_la_page_links_to_the_xml(personas: dict[str, Client], mobility: Mobility) -> None:
    target = reverse("ewp:la_xml", args=[mobility.pk])
    for persona in ("student", "office", "promoter"):
        page = personas[persona].get(reverse("mobility:la", args=[mobility.pk]))
        assert target in page.content.decode(), persona


# ------------------------------------------------------------------------ agreement page


def test_the_agreement_page_shows_identities_and_received_copies(
    personas: dict[str, Client], agreement: Agreement, pending: Inbound
) -> None:
    office = personas["office"]
    office.post(reverse("ewp:inbound_accept", args=[pending.pk]))
    page = office.get(reverse("ewp:agreement", args=[agreement.pk])).content.decode()
    link = IiaLink.objects.get(agreement=agreement)
    agreement.refresh_from_db()  # the accepted copy changed its years
    ours = iia.parse(services.export_iia(agreement))[0]
    assert str(link.iia_id) in page
    assert ours.computed_hash in page
    assert "DELFT-77" in page
    assert "TUD/2026/77" in page
    assert link.partner_hash in page
    assert reverse("ewp:inbound", args=[pending.pk]) in page
    assert "Applied" in page


def test_the_agreement_page_says_why_it_cannot_be_sent(
    personas: dict[str, Client], agreement: Agreement
) -> None:
    Institution.objects.filter(pk=agreement.partner_id).update(schac_code=None)
    page = personas["office"].get(reverse("ewp:agreement", args=[agreement.pk])).content.decode()
    assert "has no SCHAC code" in page
    assert reverse("ewp:agreement_xml", args=[agreement.pk]) not in page
    response = personas["office"].get(reverse("ewp:agreement_xml", args=[agreement.pk]))
    assert response["Location"] == reverse("ewp:agreement", args=[agreement.pk])


# -------------------------------------------------------------------------------- inbox


def upload(client: Client, kind: str, data: bytes, name: str = "doc.xml") -> Any:
    return client.post(
        reverse("ewp:inbox"),
        {"kind": kind, "file": SimpleUploadedFile(name, data, content_type="application/xml")},
        follow=True,
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<iias-get-response", "not well-formed"),
        (
            f'<iias-get-response xmlns="{xml.IIAS}"><iia><in-effect>maybe</in-effect></iia>'
            "</iias-get-response>".encode(),
            "does not follow the EWP schema ewp-specs-api-iias/endpoints/get-response.xsd",
        ),
    ],
)
@pytest.mark.parametrize("kind", ["iia", "la-update", "tor"])
def test_an_invalid_upload_shows_the_message_and_stores_nothing(
    personas: dict[str, Client], home: Institution, kind: str, data: bytes, message: str
) -> None:
    response = upload(personas["office"], kind, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "nothing was stored" in page
    if kind == "iia" or "well-formed" in message:
        assert message in page
    else:  # the right schema's complaint: this is not the kind of document chosen
        assert "This is not" in page
    assert Inbound.objects.count() == 0


def test_an_upload_that_is_not_xml_is_refused_by_the_form(personas: dict[str, Client]) -> None:
    response = upload(personas["office"], "iia", b"%PDF-1.4", name="agreement.pdf")
    assert response.status_code == 400
    assert "File extension “pdf” is not allowed" in response.content.decode()
    assert Inbound.objects.count() == 0


def test_a_partner_copy_is_compared_then_accepted(
    personas: dict[str, Client], agreement: Agreement
) -> None:
    office = personas["office"]
    response = upload(office, "iia", partner_copy(agreement, months=18))
    inbound = Inbound.objects.get()
    assert response.redirect_chain[-1][0] == reverse("ewp:inbound", args=[inbound.pk])
    page = response.content.decode()
    assert "Their copy compared with E+ NL DELFT01" in page
    assert "total-months-per-year" in page
    assert ">18<" in page
    assert "receiving-last-academic-year-id" in page
    assert "The hash the partner declares is not" not in page  # they match
    response = office.post(reverse("ewp:inbound_accept", args=[inbound.pk]), follow=True)
    page = response.content.decode()
    assert "E+ NL DELFT01 updated: 0 offers added, 1 updated." in page
    inbound.refresh_from_db()
    assert inbound.state == Inbound.State.APPLIED
    agreement.refresh_from_db()
    assert agreement.end_year == 2029
    assert agreement.offers.get(isced_code="0715").months == 6
    # a second decision is refused with the reason
    again = office.post(reverse("ewp:inbound_accept", args=[inbound.pk]), follow=True)
    assert "somebody has decided on it already" in again.content.decode()


def test_a_copy_of_an_unknown_agreement_becomes_a_new_one(
    personas: dict[str, Client], agreement: Agreement
) -> None:
    """No identifier of theirs is ours: the page says "a new agreement", offers the partner's
    agreements to compare with, and accepting with a reference creates it."""
    office = personas["office"]
    link = services.iia_link(agreement)
    data = partner_copy(agreement).replace(str(link.iia_id).encode(), b"someone-elses-id")
    data = data.replace(b"DELFT-77", b"DELFT-99")
    # tampering the copy keeps the declared hash: we say they differ
    upload(office, "iia", data)
    inbound = Inbound.objects.get()
    assert inbound.agreement is None
    page = office.get(reverse("ewp:inbound", args=[inbound.pk])).content.decode()
    assert "A new agreement" in page
    assert f'<option value="{agreement.pk}">E+ NL DELFT01' in page
    assert "The hash the partner declares is not" in page
    compared = office.get(reverse("ewp:inbound", args=[inbound.pk]), {"agreement": agreement.pk})
    assert "Their copy compared with E+ NL DELFT01" in compared.content.decode()
    response = office.post(
        reverse("ewp:inbound_accept", args=[inbound.pk]),
        {"agreement": "", "code": "E+ NL DELFT02"},
        follow=True,
    )
    assert "E+ NL DELFT02 created: 1 offers added, 0 updated." in response.content.decode()
    new = Agreement.objects.get(code="E+ NL DELFT02")
    assert new.partner == agreement.partner
    assert IiaLink.objects.get(agreement=new).partner_iia_id == "DELFT-99"


def test_a_copy_is_discarded(personas: dict[str, Client], pending: Inbound) -> None:
    response = personas["office"].post(
        reverse("ewp:inbound_discard", args=[pending.pk]), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("ewp:inbox")
    assert "discarded" in response.content.decode()
    pending.refresh_from_db()
    assert pending.state == Inbound.State.DISCARDED
    page = personas["office"].get(reverse("ewp:inbound", args=[pending.pk])).content.decode()
    assert reverse("ewp:inbound_accept", args=[pending.pk]) not in page


def test_a_partners_approval_is_applied_through_the_inbox(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    first = mobility.learning_agreements.get()
    second = change(mobility, first)
    response = upload(personas["office"], "la-update", update(mobility, second), "ok.xml")
    assert response.redirect_chain[-1][0] == reverse("ewp:inbox")
    page = response.content.decode()
    assert f"Version {second.number} is signed by the host" in page
    second.refresh_from_db()
    assert second.state == LearningAgreementState.SIGNED
    assert second.host_signed_at == dt.datetime(2027, 3, 1, 8, 30, tzinfo=dt.UTC)
    inbound = Inbound.objects.get()
    assert (inbound.state, inbound.mobility) == (Inbound.State.APPLIED, mobility)
    # the same answer again is kept as refused, with the reason, in the list
    again = upload(personas["office"], "la-update", update(mobility, second), "again.xml")
    assert "not waiting for the host" in again.content.decode()
    assert Inbound.objects.filter(state=Inbound.State.REFUSED).count() == 1


def test_the_inbox_list_costs_the_same_for_many_documents(
    personas: dict[str, Client],
    agreement: Agreement,
    mobility: Mobility,
    office: User,
    django_assert_max_num_queries: Any,
) -> None:
    second = change(mobility, mobility.learning_agreements.get())
    for n in range(3):
        services.receive_iias(
            data=partner_copy(agreement, seats=n + 1), file_name=f"{n}.xml", actor=office
        )
        services.apply_la_update(
            data=update(mobility, second, approve=False), file_name=f"u{n}.xml", actor=office
        )
    assert Inbound.objects.count() == 6
    client = personas["office"]
    with django_assert_max_num_queries(8):
        page = client.get(reverse("ewp:inbox")).content.decode()
    assert page.count(reverse("ewp:agreement", args=[agreement.pk])) == 3
    # the first comment applied; the others found it returned already: all three are linked
    # to the mobility they are about
    assert page.count(reverse("mobility:office_mobility", args=[mobility.pk])) == 3
    assert page.count("not waiting for the host") == 2


def test_home_hei_comes_from_the_setting(settings: Any, agreement: Agreement) -> None:
    settings.EWP_HEI_ID = "POLIMI.IT"
    assert services.home_hei() == HOME


def test_a_year_with_a_short_stay_exports_the_others_and_names_it(
    personas: dict[str, Client], mobility: Mobility, other_student: User
) -> None:
    """OMobilities has no activity attribute for a short network programme (it wrote
    "short-term", which no schema allows, and the whole year's file was invalid): the year's
    file carries the other nominations, valid, and the office is told which was left out."""
    week = MobilityFactory.create(
        student=other_student,
        kind=MobilityKind.SHORT,
        host=mobility.host,
        academic_year=mobility.academic_year,
    )
    client = personas["office"]
    response = client.get(reverse("ewp:nominations_xml"), {"year": str(mobility.academic_year)})
    assert response.status_code == 200
    xml.read(nominations.OMOBILITIES_GET, response.content)
    assert [n.omobility_id for n in nominations.parse(response.content)] == [
        str(services.mobility_link(mobility).omobility_id)
    ]
    told = client.get(reverse("ewp:inbox")).content.decode()
    assert "Left out of the nominations file" in told
    assert f"{week.student} at {week.host}" in told
    one = client.get(reverse("ewp:nomination_xml", args=[week.pk]), follow=True)
    assert one.redirect_chain[-1][0] == reverse("mobility:office_mobility", args=[week.pk])
    assert "cannot be nominated through EWP" in one.content.decode()


def test_without_the_schemas_nothing_is_sent(
    personas: dict[str, Client], mobility: Mobility, settings: Any
) -> None:
    """A document that could not be checked does not leave abroad: the office is told why."""
    settings.EWP_SCHEMA_DIR = ""
    client = personas["office"]
    agreement = mobility.offer.agreement  # type: ignore[union-attr]
    for url, back in (
        (reverse("ewp:nomination_xml", args=[mobility.pk]), "mobility:office_mobility"),
        (reverse("ewp:agreement_xml", args=[agreement.pk]), "ewp:agreement"),
    ):
        response = client.get(url, follow=True)
        assert "attachment" not in response.get("Content-Disposition", ""), url
        assert response.redirect_chain[-1][0].startswith(reverse(back, args=[0])[:-2]), url
        assert "ABROAD_EWP_SCHEMA_DIR" in response.content.decode(), url


def test_the_agreement_page_says_which_path_the_partner_takes(
    personas: dict[str, Client], agreement: Agreement, settings: Any
) -> None:
    """A partner a node of the EWP network serves (the registry catalogue we hold lists it)
    is exchanged over the network; the others by PDF and files; without a catalogue, not
    known. The page never waits on the registry: it reads the copy we hold."""
    from django.utils import timezone

    from abroad.ewp.models import RegistryCatalogue
    from tests.ewp.conftest import official

    url = reverse("ewp:agreement", args=[agreement.pk])
    client = personas["office"]
    settings.EWP_REGISTRY_URL = "http://127.0.0.1:9/catalogue"  # nothing listens: never asked
    assert "is not known yet" in client.get(url).content.decode()
    example = official("ewp-specs-api-registry/catalogue-example.xml").decode()
    RegistryCatalogue.objects.create(
        url=settings.EWP_REGISTRY_URL,
        xml=example,
        sha256="example",
        fetched_at=timezone.now() - dt.timedelta(days=30),
        checked_at=timezone.now() - dt.timedelta(days=30),
    )
    assert "is not in the EWP network" in client.get(url).content.decode()
    agreement.partner.schac_code = "uw.edu.pl"  # the example catalogue's one HEI
    agreement.partner.save()
    assert "This partner is in the EWP network" in client.get(url).content.decode()


def test_the_inbox_shows_the_change_notifications_each_way(
    personas: dict[str, Client], agreement: Agreement, django_assert_max_num_queries: Any
) -> None:
    """What partners' nodes told us and what ours told them, with the errors the office acts
    on; the page's queries do not grow with the notifications."""
    from django.utils import timezone

    from abroad.ewp.models import PendingCnr, SentCnr

    later = timezone.now() + dt.timedelta(minutes=4)
    PendingCnr.objects.create(
        hei_id="tudelft.nl",
        iia_id="DELFT-77",
        request_id="0b8e0c43-7d4a-4c9e-9a55-3f1f0d7f2a10",
        attempts=2,
        next_try_at=later,
        last_error="tudelft.nl could not be reached: connection refused",
    )
    for number in range(30):
        SentCnr.objects.create(
            agreement=agreement,
            hei_id="tudelft.nl",
            iia_id=str(services.iia_link(agreement).iia_id),
            state=SentCnr.State.FAILED if number == 0 else SentCnr.State.SENT,
            status=None if number == 0 else 200,
            error="timed out" if number == 0 else "",
        )
    with django_assert_max_num_queries(14):
        page = personas["office"].get(reverse("ewp:inbox")).content.decode()
    assert "Change notifications on the EWP network" in page
    assert "DELFT-77" in page
    assert "could not be reached: connection refused" in page
    assert "next try" in page
    assert page.count(agreement.code) >= 30
    assert "timed out" in page
    assert personas["student"].get(reverse("ewp:inbox")).status_code == 404
