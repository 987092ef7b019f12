"""OMobilities v2: our nominations as a valid document carrying the identifiers the learning
agreement and the agreement use. IMobility ToRs v2: a transcript entered into the recognition
of its mobility; one for a mobility we do not know kept as refused; bad XML refused whole."""

from __future__ import annotations

from decimal import Decimal

import pytest

from abroad.catalogue.models import Agreement, Institution
from abroad.ewp import las, nominations, services, xml
from abroad.ewp.models import Inbound
from abroad.ewp.xml import EwpError
from abroad.mobility.enums import MobilityState
from abroad.mobility.models import Mobility
from abroad.people.enums import Role
from abroad.recognition.enums import TranscriptState
from abroad.recognition.models import Transcript
from abroad.recognition.services import ensure_standard_scales
from tests.ewp.conftest import HOME, nominee_details, official
from tests.ewp.test_las import signed_first
from tests.factories import UserFactory
from tests.mobility.factories import MobilityFactory
from tests.recognition.factories import EndedMobilityFactory, signed_agreement

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _standard_scales(db: None) -> None:
    """As tests/recognition/conftest.py: the standard grading scales a data migration adds."""
    ensure_standard_scales()


def test_nominations_validate_and_carry_the_identifiers(agreement: Agreement) -> None:
    link = services.iia_link(agreement)
    link.partner_iia_id = "DELFT-77"
    link.save()
    mobility = MobilityFactory.create(
        offer=agreement.offers.get(isced_code="0715"),
        host=agreement.partner,
        state=MobilityState.NOMINATED,
    )
    mobility.student.student_number = "10654321"
    mobility.student.save()
    nominee_details(mobility.student)
    signed_first(mobility)
    data = services.export_nominations([mobility]).data
    # OMobilities v3, the registry's copy of the schema
    assert nominations.OMOBILITIES.endswith("stable-v3/endpoints/get-response.xsd")
    xml.read(nominations.OMOBILITIES_GET, data)
    [found] = nominations.parse(data)
    [la] = las.parse(services.export_la(mobility))
    assert found.omobility_id == la.omobility_id
    assert (found.sending_hei, found.receiving_hei) == (HOME, "tudelft.nl")
    assert (found.sending_iia_id, found.receiving_iia_id) == (str(link.iia_id), "DELFT-77")
    assert found.term_id == nominations.term_id(mobility)
    assert found.academic_year == "2026/2027"
    assert found.status == "pending"
    assert found.activity == "student-studies"
    assert found.global_id == f"urn:schac:personalUniqueCode:int:esi:{HOME}:10654321"
    assert (found.birth_date, found.nationality, found.gender) == ("2003-04-05", "IT", "2")
    assert found.email == mobility.student.email
    assert (found.isced_code, found.nominee_isced_code) == ("0715", "0715")
    assert len(found.proposal_id) == 64
    # The proposal-id follows what the receiving HEI approves: the same until it changes.
    assert nominations.parse(services.export_nominations([mobility]).data) == [found]
    Mobility.objects.filter(pk=mobility.pk).update(academic_year=2027)
    mobility.refresh_from_db()
    [moved] = nominations.parse(services.export_nominations([mobility]).data)
    assert moved.proposal_id != found.proposal_id


def test_the_status_follows_the_mobility(agreement: Agreement) -> None:
    expected = {
        MobilityState.NOMINATED: "pending",
        MobilityState.APPLIED: "pending",
        MobilityState.ACCEPTED: "approved",
        MobilityState.COMPLETED: "approved",
        MobilityState.WITHDRAWN: "cancelled",
    }
    for state, status in expected.items():
        mobility = MobilityFactory.create(
            offer=agreement.offers.get(isced_code="0715"), host=agreement.partner, state=state
        )
        nominee_details(mobility.student)
        [found] = nominations.parse(services.export_nominations([mobility]).data)
        assert found.status == status, state


def test_a_nominee_without_what_v3_requires_is_left_out_with_the_reason(
    agreement: Agreement,
) -> None:
    """OMobilities v3 requires the date of birth, nationality and gender, which abroad keeps
    only in NomineeDetails: without them the mobility is named, never sent invalid."""
    complete = MobilityFactory.create(
        offer=agreement.offers.get(isced_code="0715"), host=agreement.partner
    )
    nominee_details(complete.student)
    bare = MobilityFactory.create(
        offer=agreement.offers.get(isced_code="0715"), host=agreement.partner
    )
    bare.student.email = ""
    bare.student.save()
    exported = services.export_nominations([complete, bare])
    assert [n.omobility_id for n in nominations.parse(exported.data)] == [
        services.omobility_id(complete)
    ]
    [reason] = exported.left_out
    for field in ("date of birth", "nationality", "gender", "e-mail address"):
        assert field in reason
    assert str(bare.student) in reason
    # render itself refuses such a nominee: nothing invalid is written
    with pytest.raises(EwpError, match="date of birth"):
        nominations.render([services.nominee(bare, HOME)])


def test_a_v2_nominations_file_is_still_read(agreement: Agreement) -> None:
    [found] = nominations.parse(
        official("ewp-specs-api-omobilities/endpoints/get-response-example.xml")
    )
    assert found.status == "live"
    assert found.languages


def tor(omobility_id: str, rows: list[tuple[str, str, str, str]]) -> bytes:
    """A ToR get-response with one report of these rows: (code, title, ECTS, grade)."""
    specs = "".join(
        f"""<learningOpportunitySpecification>
          <identifier type="local">{code}</identifier>
          <title>{title}</title>
          <specifies><learningOpportunityInstance>
            <resultLabel>{grade}</resultLabel>
            <credit><scheme>ects</scheme><value>{ects}</value></credit>
          </learningOpportunityInstance></specifies>
        </learningOpportunitySpecification>"""
        for code, title, ects, grade in rows
    )
    return f"""<imobility-tors-get-response xmlns="{xml.TORS}">
  <tor>
    <omobility-id>{omobility_id}</omobility-id>
    <elmo xmlns="{xml.ELMO}">
      <generatedDate>2027-02-10T12:00:00+01:00</generatedDate>
      <learner><givenNames>Anna</givenNames><familyName>Rossi</familyName></learner>
      <report>
        <issuer>
          <country>FR</country>
          <identifier type="schac">insa-lyon.fr</identifier>
          <title xml:lang="fr">INSA Lyon</title>
          <url>https://www.insa-lyon.fr</url>
        </issuer>
        {specs}
        <issueDate>2027-02-10T12:00:00+01:00</issueDate>
      </report>
    </elmo>
  </tor>
</imobility-tors-get-response>""".encode()


def test_a_transcript_is_entered_into_the_recognition(home: Institution) -> None:
    office = UserFactory.create(role=Role.OFFICE)
    # the student is back (the departure recorded): the host's transcript can be entered
    mobility: Mobility = EndedMobilityFactory.create(
        offer__agreement__partner__country="FR",
        offer__agreement__partner__schac_code="insa-lyon.fr",
    )
    signed_agreement(
        mobility,
        a=[("MA101", "Analyse", 6), ("PH201", "Physique", 5)],
        b=[("051234", "Analisi", 6), ("051235", "Fisica", 5)],
    )
    link = services.mobility_link(mobility)
    data = tor(
        str(link.omobility_id), [("MA101", "Analyse", "6", "14"), ("", "Physique", "5", "12")]
    )
    [inbound] = services.import_tors(data=data, file_name="tor.xml", actor=office)
    assert inbound.state == Inbound.State.APPLIED, inbound.message
    assert inbound.mobility == mobility
    assert "2 rows" in inbound.message
    transcript = Transcript.objects.get(mobility=mobility)
    assert transcript.state == TranscriptState.ENTERED
    assert transcript.host_scale.country == "FR"
    entries = {(e.code, e.grade, e.ects) for e in transcript.entries.all()}
    # the row without a code found its component by title, and took its code
    assert entries == {("MA101", "14", Decimal(6)), ("PH201", "12", Decimal(5))}


def test_a_transcript_for_an_unknown_mobility_is_kept_as_refused(home: Institution) -> None:
    office = UserFactory.create(role=Role.OFFICE)
    [inbound] = services.import_tors(
        data=official("ewp-specs-api-imobility-tors/endpoints/get-response-example.xml"),
        file_name="uw.xml",
        actor=office,
    )
    assert inbound.state == Inbound.State.REFUSED
    assert inbound.message == (
        "No mobility of ours has the omobility-id b1ab0888-a5ce-45e8-8c51-e3c6f677b58f."
    )
    assert Transcript.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<imobility-tors-get-response", "not well-formed"),
        (f'<imobility-tors-get-response xmlns="{xml.TORS}"/>'.encode(), "no transcript"),
        (
            f'<imobility-tors-get-response xmlns="{xml.TORS}"><tor><x/></tor>'
            "</imobility-tors-get-response>".encode(),
            "does not follow the EWP schema",
        ),
    ],
)
def test_a_bad_tor_document_is_refused_and_stores_nothing(
    home: Institution, data: bytes, message: str
) -> None:
    office = UserFactory.create(role=Role.OFFICE)
    with pytest.raises(EwpError, match=message):
        services.import_tors(data=data, file_name="bad.xml", actor=office)
    assert Inbound.objects.count() == 0
    assert Transcript.objects.count() == 0


def tor_v3(omobility_id: str, rows: list[tuple[str, str, str, str]]) -> bytes:
    """The same transcript as an IMobility ToRs v3 get-response (ELMO v2 inside)."""
    v2 = tor(omobility_id, rows).decode()
    return (
        v2.replace(xml.TORS, nominations.TORS_V3)
        .replace(xml.ELMO, nominations.ELMO_V2)
        .replace(
            "<familyName>Rossi</familyName>",
            "<familyName>Rossi</familyName><alternativeName>Anna Rossi</alternativeName>",
        )
        .replace("<country>", '<country type="iso">')
        .replace(
            f"<omobility-id>{omobility_id}</omobility-id>",
            f"<omobility-id>{omobility_id}</omobility-id>"
            "<receiving-academic-year-id>2026/2027</receiving-academic-year-id>",
        )
        .encode()
    )


def test_a_v3_transcript_is_read_and_entered(home: Institution, ewp_schemas: object) -> None:
    mobility: Mobility = EndedMobilityFactory.create(
        offer__agreement__partner__country="FR",
        offer__agreement__partner__schac_code="insa-lyon.fr",
    )
    signed_agreement(
        mobility,
        a=[("MA101", "Analyse", 6), ("PH201", "Physique", 5)],
        b=[("051234", "Analisi", 6), ("051235", "Fisica", 5)],
    )
    link = services.mobility_link(mobility)
    data = tor_v3(str(link.omobility_id), [("MA101", "Analyse", "6", "14")])
    [found] = nominations.parse_tors(data)
    assert (found.omobility_id, found.issuer) == (str(link.omobility_id), "insa-lyon.fr")
    assert found.rows == (nominations.TorRow("MA101", "Analyse", Decimal(6), "14"),)
    [inbound] = services.import_tors(data=data, file_name="tor.xml", actor=None)
    assert inbound.state == Inbound.State.APPLIED, inbound.message
    assert Transcript.objects.get(mobility=mobility).state == TranscriptState.ENTERED


def test_the_office_enters_a_nominees_details_in_the_admin(agreement: Agreement) -> None:
    from django.test import Client

    from abroad.ewp.models import NomineeDetails

    mobility = MobilityFactory.create(
        offer=agreement.offers.get(isced_code="0715"), host=agreement.partner
    )
    assert services.export_nominations([mobility]).left_out
    office = Client()
    office.force_login(UserFactory.create(role=Role.OFFICE))
    url = "/office/admin/ewp/nomineedetails/add/"
    data = {
        "student": mobility.student.pk,
        "birth_date": "2002-11-30",
        "nationality": "FR",
        "gender": "1",
    }
    response = office.post(url, data)
    assert response.status_code == 302, response.content
    assert NomineeDetails.objects.get(student=mobility.student).nationality == "FR"
    fresh = services.nomination_queryset().get(pk=mobility.pk)
    [found] = nominations.parse(services.export_nominations([fresh]).data)
    assert (found.birth_date, found.nationality, found.gender) == ("2002-11-30", "FR", "1")
    # a student does not get in
    student = Client()
    student.force_login(mobility.student)
    assert student.get(url).status_code in (302, 403, 404)
    assert NomineeDetails.objects.count() == 1
