"""The registrar's export: exactly the recognised lines of validated transcripts, in CSV and
XLSX, in one query."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from abroad.core.models import AuditEvent
from abroad.mobility.models import Mobility
from abroad.people.models import User
from abroad.recognition import services
from abroad.recognition.exports import COLUMNS, export_recognitions, recognition_rows
from abroad.recognition.models import Transcript
from abroad.recognition.services import EntryData
from tests.factories import InstitutionFactory, PromoterFactory
from tests.mobility.factories import coordinate
from tests.recognition.factories import (
    ConversionRuleFactory,
    EndedMobilityFactory,
    signed_agreement,
    standard,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

HEADER = [
    "student_number",
    "student",
    "course_code",
    "course_title",
    "credits",
    "grade",
    "host_institution",
    "academic_year",
    "validated_on",
    "validated_by",
]
VALIDATED_ON = dt.datetime(2027, 7, 20, 10, 0, tzinfo=dt.UTC)


def recognised(
    office: User,
    *,
    first: str,
    last: str,
    number: str,
    host: str,
    grades: list[str],
    validate: bool = True,
    year: int = 2026,
) -> Transcript:
    mobility: Mobility = EndedMobilityFactory.create(
        student__first_name=first,
        student__last_name=last,
        student__student_number=number,
        offer__agreement__partner=InstitutionFactory.create(name=host, country="FR"),
        academic_year=year,
    )
    coordinator = PromoterFactory.create(user__first_name="Anna", user__last_name="Verdi").user
    coordinate(mobility, coordinator)
    signed_agreement(
        mobility,
        a=[("H1", "Host one", 6), ("H2", "Host two", 4)],
        b=[("054321", "Analisi", 6), ("054322", "Fisica tecnica", "7.5")],
    )
    transcript = services.enter_transcript(
        mobility=mobility,
        host_scale=standard("fr"),
        entries=[EntryData(code, grade=g) for code, g in zip(("H1", "H2"), grades, strict=True)],
        actor=office,
    )
    services.accept_transcript(transcript=transcript, actor=mobility.student)
    services.propose_recognition(transcript=transcript, actor=office)
    if validate:
        services.validate_recognition(transcript=transcript, actor=coordinator)
        Transcript.objects.filter(pk=transcript.pk).update(validated_at=VALIDATED_ON)
    return transcript


@pytest.fixture
def transcripts(office: User) -> list[Transcript]:
    """Validated: Rossi (two lines) and Bianchi (one passed, one failed); proposed only:
    Neri; validated but of another academic year: Gallo."""
    ConversionRuleFactory.create(name="Linear")
    return [
        recognised(
            office,
            first="Mario",
            last="Rossi",
            number="0100234",
            host="INSA Lyon",
            grades=["14", "16.5"],
        ),
        recognised(
            office,
            first="Giulia",
            last="Bianchi",
            number="100235",
            host="École Centrale",
            grades=["12", "8"],
        ),
        recognised(
            office,
            first="Paolo",
            last="Neri",
            number="100236",
            host="INSA Lyon",
            grades=["14", "14"],
            validate=False,
        ),
        recognised(
            office,
            first="Sara",
            last="Gallo",
            number="100237",
            host="INSA Lyon",
            grades=["20", "20"],
            year=2025,
        ),
    ]


ROWS_2026 = [
    ["100235", "Bianchi Giulia", "054321", "Analisi", 6, "20", "École Centrale", "2026/2027",
     "2027-07-20", "Verdi Anna"],
    ["0100234", "Rossi Mario", "054321", "Analisi", 6, "23", "INSA Lyon", "2026/2027",
     "2027-07-20", "Verdi Anna"],
    ["0100234", "Rossi Mario", "054322", "Fisica tecnica", 7.5, "26", "INSA Lyon", "2026/2027",
     "2027-07-20", "Verdi Anna"],
]  # fmt: skip


@pytest.mark.usefixtures("transcripts")
def test_csv_export_has_exactly_the_recognised_lines_of_validated_transcripts(
    office: User,
) -> None:
    target = io.BytesIO()
    target.name = "recognitions.csv"

    count = export_recognitions(target, actor=office, academic_year=2026)

    assert count == 3
    text = target.getvalue().decode("utf-8-sig")
    assert text.splitlines() == [",".join(HEADER)] + [
        ",".join(str(cell) for cell in row) for row in ROWS_2026
    ]
    event = AuditEvent.objects.get(action="recognition.exported")
    assert event.data == {"format": "csv", "rows": 3, "academic_year": 2026}


@pytest.mark.usefixtures("transcripts")
def test_xlsx_export_keeps_codes_as_text(office: User) -> None:
    target = io.BytesIO()
    target.name = "recognitions.xlsx"

    assert export_recognitions(target, actor=office) == 5

    sheet = openpyxl.load_workbook(io.BytesIO(target.getvalue())).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADER
    gallo = [
        ["100237", "Gallo Sara", code, title, credits, "30", "INSA Lyon", "2025/2026",
         "2027-07-20", "Verdi Anna"]
        for code, title, credits in (("054321", "Analisi", 6), ("054322", "Fisica tecnica", 7.5))
    ]  # fmt: skip
    assert rows[1:] == [ROWS_2026[0], *gallo, *ROWS_2026[1:]]
    assert sheet["A2"].number_format == "@"


def test_the_rows_take_one_query(transcripts: list[Transcript]) -> None:
    assert list(COLUMNS) == HEADER
    with CaptureQueriesContext(connection) as context:
        rows = list(recognition_rows())
    assert len(rows) == 5
    assert len(context.captured_queries) == 1


def test_the_validation_day_is_the_local_one(transcripts: list[Transcript]) -> None:
    late = dt.datetime(2027, 7, 20, 23, 30, tzinfo=dt.UTC)  # 21 July in Rome
    Transcript.objects.filter(pk=transcripts[0].pk).update(validated_at=late)
    rows = {row["student"]: row for row in recognition_rows()}
    assert rows["Rossi Mario"]["validated_on"] == timezone.localdate(late).isoformat()
