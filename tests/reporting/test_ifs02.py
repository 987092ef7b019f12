"""The proof of mobility periods for the national data platform (IFS02.5): one row per
period abroad with the e-service's field names, the office's download (School-scoped,
formulas defused) and the operator's command."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from abroad.catalogue.models import Institution
from abroad.core.models import Job
from abroad.mobility.enums import MobilityKind, MobilityState
from abroad.mobility.models import Mobility
from abroad.people.models import User
from abroad.reporting import ifs02
from tests.factories import InstitutionFactory
from tests.jobs import exported, run_queued_jobs
from tests.mobility.factories import LearningAgreementFactory, MobilityFactory

pytestmark = pytest.mark.django_db
URL = "/statistics/ifs02.csv"


@pytest.mark.parametrize(
    ("kind", "start", "end", "expected"),
    [
        (MobilityKind.SHORT, dt.date(2025, 3, 3), dt.date(2025, 3, 9), "breve_termine"),
        (MobilityKind.SEMESTER, dt.date(2025, 9, 1), dt.date(2025, 11, 30), "trimestrale"),
        (MobilityKind.SEMESTER, dt.date(2025, 9, 15), dt.date(2026, 2, 14), "semestrale"),
        (MobilityKind.YEAR, dt.date(2025, 9, 15), dt.date(2026, 7, 14), "annuale"),
        (MobilityKind.DOUBLE_DEGREE, dt.date(2025, 9, 1), dt.date(2026, 6, 30), "lungo_termine"),
        (MobilityKind.YEAR, dt.date(2025, 9, 1), dt.date(2026, 10, 31), "lungo_termine"),
    ],
)
def test_period_types(kind: str, start: dt.date, end: dt.date, expected: str) -> None:
    assert ifs02.period_type(kind, start, end) == expected


@pytest.fixture
def home() -> Institution:
    return InstitutionFactory.create(
        name="Politecnico di Milano", country="IT", erasmus_code="I  MILANO02", is_home=True
    )


@pytest.fixture
def stay(student: User, home: Institution) -> Mobility:
    """The student's completed semester in Madrid, with a learning agreement at EQF 7."""
    madrid = InstitutionFactory.create(
        name="Universidad Politécnica de Madrid", country="ES", erasmus_code="E  MADRID05"
    )
    student.fiscal_code = "RSSMRA80A01F205D"
    student.student_number = "0715"
    student.save()
    mobility: Mobility = MobilityFactory.create(
        student=student,
        offer__agreement__partner=madrid,
        academic_year=2025,
        state=MobilityState.COMPLETED,
        planned_start=dt.date(2025, 9, 15),
        planned_end=dt.date(2026, 2, 14),
        actual_start=dt.date(2025, 9, 16),
        actual_end=dt.date(2026, 2, 10),
    )
    LearningAgreementFactory.create(mobility=mobility, eqf=7)
    return mobility


def read(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_one_row_per_period_with_the_e_services_fields(stay: Mobility, home: Institution) -> None:
    # not periods: a withdrawn stay, one nominated but not begun
    MobilityFactory.create(student=stay.student, state=MobilityState.WITHDRAWN)
    MobilityFactory.create(student=stay.student, state=MobilityState.NOMINATED, actual_start=None)
    buffer = io.BytesIO()
    assert ifs02.export(buffer, "csv") == 1
    (row,) = read(buffer.getvalue())
    assert list(row) == list(ifs02.COLUMNS)
    assert row == row | {
        "mobility_id": str(stay.pk),
        "student_number": "0715",
        "tax_code": "RSSMRA80A01F205D",
        "given_name": stay.student.first_name,
        "family_name": stay.student.last_name,
        "academic_year": "2025/2026",
        "eqf_level": "7",
        "mobility_start_date": "2025-09-16",
        "mobility_end_date": "2026-02-10",
        "dates_source": "actual",
        "mobility_period_type": "semestrale",
        "destination_institute_name": "Universidad Politécnica de Madrid",
        "destination_erasmus_code": "E  MADRID05",
        "destination_country": "Spagna",
        "destination_country_code": "ES",
        "departure_institute_name": "Politecnico di Milano",
        "departure_erasmus_code": "I  MILANO02",
        "departure_country": "Italia",
        "departure_country_code": "IT",
    }
    course = stay.student.course_of_study
    assert course is not None
    assert row["departure_department"] == course.school.display_name
    # the year filter
    assert ifs02.export(io.BytesIO(), "csv", year=2024) == 0


def test_without_a_learning_agreement_the_course_gives_the_level(home: Institution) -> None:
    mobility = MobilityFactory.create(student__course_of_study__level="BSc")
    (row,) = list(ifs02.rows(ifs02.periods(), home))
    assert row["mobility_id"] == mobility.pk
    assert row["eqf_level"] == 6
    assert row["dates_source"] == "planned_end"  # in mobility: the end is the planned one


def test_who_downloads_it(personas: dict[str, Client], stay: Mobility) -> None:
    seen = {name: client.post(URL) for name, client in personas.items()}
    assert {name: response.status_code for name, response in seen.items()} == {
        "student": 404,
        "other_student": 404,
        "promoter": 404,
        "office": 302,  # to the job's page: the file is made by the worker
        "school_office": 302,
        "other_school_office": 302,
        "anonymous": 302,
    }
    assert seen["anonymous"]["Location"].startswith("/accounts/login/")
    assert personas["office"].get(URL).status_code == 405  # asking makes a job: a POST
    files = {
        name: exported(personas[name], URL)
        for name in ("office", "school_office", "other_school_office")
    }
    assert [row["mobility_id"] for row in read(files["office"].getvalue())] == [str(stay.pk)]
    assert [row["mobility_id"] for row in read(files["school_office"].getvalue())] == [str(stay.pk)]
    assert read(files["other_school_office"].getvalue()) == []  # another School's student
    assert files["office"]["Content-Disposition"] == 'attachment; filename="ifs02-5.csv"'
    assert personas["office"].post("/statistics/ifs02.pdf").status_code == 404


def test_the_download_follows_the_dashboards_filters_and_defuses_formulas(
    personas: dict[str, Client], stay: Mobility
) -> None:
    student = stay.student
    student.first_name = '=HYPERLINK("http://evil.example","x")'
    student.save()
    office = personas["office"]
    (row,) = read(exported(office, URL + "?year=2025").getvalue())
    assert row["given_name"].startswith("'=HYPERLINK")
    # 2024 is a year of the form (a nomination, not a period)
    MobilityFactory.create(academic_year=2024, state=MobilityState.NOMINATED, actual_start=None)
    assert read(exported(office, URL + "?year=2024").getvalue()) == []
    response = exported(office, "/statistics/ifs02.xlsx?year=2025")
    assert response["Content-Disposition"] == 'attachment; filename="ifs02-5-2025.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    assert header == list(ifs02.COLUMNS)
    given = sheet.cell(row=2, column=header.index("given_name") + 1)
    assert given.data_type == "s"  # text, never a formula
    number = sheet.cell(row=2, column=header.index("student_number") + 1)
    assert number.value == "0715"  # the leading zero kept
    page = office.get("/statistics/?year=2025").content.decode()
    assert 'action="/statistics/ifs02.csv?year=2025"' in page


def test_the_download_costs_the_same_queries_for_many_periods(
    personas: dict[str, Client], stay: Mobility
) -> None:
    office = personas["office"]
    exported(office, URL)
    office.post(URL)
    with CaptureQueriesContext(connection) as few:
        run_queued_jobs()
    for _ in range(15):
        MobilityFactory.create(
            student__course_of_study=stay.student.course_of_study, academic_year=2025
        )
    office.post(URL)
    with CaptureQueriesContext(connection) as many:
        run_queued_jobs()
    job = Job.objects.order_by("-created_at").first()
    assert job is not None
    assert job.report["rows"] == 16
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_command(stay: Mobility, tmp_path: Any) -> None:
    out = io.StringIO()
    call_command("ifs02", "--year", "2025/2026", stdout=out)
    (row,) = read(out.getvalue().encode())
    assert row["mobility_id"] == str(stay.pk)
    target = tmp_path / "ifs02.xlsx"
    out = io.StringIO()
    call_command("ifs02", "--output", str(target), "--school", "3I", stdout=out)
    assert out.getvalue().strip() == f"1 periods written to {target}"
    with pytest.raises(Exception, match="No School NOPE"):
        call_command("ifs02", "--school", "NOPE", stdout=io.StringIO())
