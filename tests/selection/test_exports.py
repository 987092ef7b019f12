"""The nominations of a call, to XLSX and CSV: exactly the accepted students, per partner."""

from __future__ import annotations

import io

import openpyxl
import pytest

from abroad.core.models import AuditEvent
from abroad.people.enums import Role
from abroad.selection.enums import AssignmentState, RoundState
from abroad.selection.exports import NOMINATION_COLUMNS, export_nominations, nomination_rows
from abroad.selection.models import Call, CallOffer
from tests.factories import (
    CourseOfStudyFactory,
    InstitutionFactory,
    OfferFactory,
    SchoolFactory,
    UserFactory,
)
from tests.selection.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    CallOfferFactory,
    RoundFactory,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

HEADER = [
    "partner",
    "partner_erasmus_code",
    "student",
    "student_number",
    "email",
    "course_of_study",
    "level",
    "months",
    "academic_year",
]
# What the header row says (labels in the reader's language; English here).
LABELS = [
    "Partner",
    "Erasmus code",
    "Student",
    "Student number",
    "E-mail",
    "Course of study",
    "Level",
    "Months",
    "Academic year",
]
MSC, BSC = "Master (Laurea Magistrale)", "Bachelor (Laurea)"
ROWS = [
    ["Aalto University", "SF ESPOO12", "Bassi Marta", "0100234", "marta@example.org",
     "Mechanical Engineering", MSC, 5, "2027/2028"],
    ["ETH Zurich", "", "Airoldi Luca", "100235", "luca@example.org",
     "Design for the Fashion System", BSC, 10, "2027/2028"],
    ["ETH Zurich", "", "Colombo Sara", "100236", "sara@example.org",
     "Mechanical Engineering", MSC, 10, "2027/2028"],
]  # fmt: skip


@pytest.fixture
def call() -> Call:
    """Three accepted students (two at ETH, in two rounds), and what must not be nominated:
    a seat still offered, a renounced one, and an accepted seat of another call."""
    school = SchoolFactory.create(code="3I")
    mechanical = CourseOfStudyFactory.create(
        code="MECH", name="Mechanical Engineering", level="MSc", school=school
    )
    fashion = CourseOfStudyFactory.create(
        code="FASHION", name="Design for the Fashion System", level="BSc", school=school
    )
    call = CallFactory.create(code="engineering-2027-1", academic_year=2027, schools=[school])
    aalto = CallOfferFactory.create(
        call=call,
        offer=OfferFactory.create(
            agreement__partner=InstitutionFactory.create(
                name="Aalto University", erasmus_code="SF ESPOO12"
            ),
            months=5,
        ),
    )
    eth = CallOfferFactory.create(
        call=call,
        offer=OfferFactory.create(
            agreement__partner=InstitutionFactory.create(name="ETH Zurich", erasmus_code=None),
            months=10,
        ),
    )
    first = RoundFactory.create(call=call, number=1, state=RoundState.CLOSED)
    second = RoundFactory.create(call=call, number=2, state=RoundState.PUBLISHED)

    def seat(
        state: str,
        round: object,
        call_offer: CallOffer,
        name: tuple[str, str],
        number: str,
        course: object,
    ) -> None:
        first, last = name
        student = UserFactory.create(
            username=first.lower(),
            first_name=first,
            last_name=last,
            email=f"{first.lower()}@example.org",
            student_number=number,
            role=Role.STUDENT,
            course_of_study=course,
            password="!",
        )
        AssignmentFactory.create(
            round=round,
            call_offer=call_offer,
            application=ApplicationFactory.create(call=call, student=student),
            state=state,
        )

    accepted = AssignmentState.ACCEPTED
    seat(accepted, first, eth, ("Sara", "Colombo"), "100236", mechanical)
    seat(accepted, second, aalto, ("Marta", "Bassi"), "0100234", mechanical)
    seat(accepted, second, eth, ("Luca", "Airoldi"), "100235", fashion)
    seat(AssignmentState.OFFERED, second, aalto, ("Piero", "Nava"), "100237", mechanical)
    seat(AssignmentState.RENOUNCED, first, aalto, ("Ugo", "Riva"), "100238", mechanical)
    other = CallFactory.create(code="design-2027-1", schools=[school])
    AssignmentFactory.create(
        round=RoundFactory.create(call=other),
        application=ApplicationFactory.create(call=other),
        state=AssignmentState.ACCEPTED,
    )
    return call


def test_columns_are_the_office_s() -> None:
    assert list(NOMINATION_COLUMNS) == HEADER


def test_rows_are_the_accepted_students_by_partner_then_surname(call: Call) -> None:
    assert [[row[column] for column in HEADER] for row in nomination_rows(call)] == ROWS


def test_csv_is_exact(call: Call) -> None:
    buffer = io.BytesIO()
    buffer.name = "nominations.csv"
    assert export_nominations(call, buffer) == 3
    assert buffer.getvalue().decode("utf-8") == (
        "\ufeffPartner,Erasmus code,Student,Student number,E-mail,Course of study,"
        "Level,Months,Academic year\r\n"
        "Aalto University,SF ESPOO12,Bassi Marta,0100234,marta@example.org,"
        "Mechanical Engineering,Master (Laurea Magistrale),5,2027/2028\r\n"
        "ETH Zurich,,Airoldi Luca,100235,luca@example.org,Design for the Fashion System,"
        "Bachelor (Laurea),10,2027/2028\r\n"
        "ETH Zurich,,Colombo Sara,100236,sara@example.org,Mechanical Engineering,"
        "Master (Laurea Magistrale),10,2027/2028\r\n"
    )


def test_xlsx_is_exact(call: Call) -> None:
    buffer = io.BytesIO()
    assert export_nominations(call, buffer, fmt="xlsx") == 3
    buffer.seek(0)
    workbook = openpyxl.load_workbook(buffer)
    sheet = workbook["Nominations"]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    empty_is_none = [[None if cell == "" else cell for cell in row] for row in ROWS]
    assert values == [LABELS, *empty_is_none]
    # Student numbers and codes are text, so that Excel keeps 0100234 as it is.
    assert sheet["D2"].value == "0100234"
    assert sheet["D2"].number_format == "@"
    assert sheet["B2"].number_format == "@"


def test_export_is_audited(call: Call) -> None:
    buffer = io.BytesIO()
    export_nominations(call, buffer, fmt="csv")
    event = AuditEvent.objects.get(action="call.nominations_exported")
    assert (event.object_id, event.data) == (str(call.pk), {"format": "csv", "rows": 3})


def test_a_call_without_acceptances_has_only_the_header(db: None) -> None:
    buffer = io.BytesIO()
    assert export_nominations(CallFactory.create(), buffer, fmt="csv") == 0
    assert buffer.getvalue().decode("utf-8") == "\ufeff" + ",".join(LABELS) + "\r\n"
