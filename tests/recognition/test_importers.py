"""Spreadsheet imports of the recognition app: a host's transcript (CSV or XLSX), all or
nothing, every bad row named; and a home grading table built from a file of past grades."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from abroad.catalogue.models import Institution
from abroad.core.importing import RowError
from abroad.core.models import AuditEvent
from abroad.mobility.models import Mobility
from abroad.people.models import User
from abroad.recognition import services
from abroad.recognition.enums import Cycle, Outcome, TranscriptState
from abroad.recognition.models import GradingTable, Transcript
from abroad.recognition.services import RecognitionError
from tests.factories import CourseOfStudyFactory, InstitutionFactory
from tests.recognition.factories import EndedMobilityFactory, signed_agreement, standard

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def mobility() -> Mobility:
    mobility = EndedMobilityFactory.create(
        offer__agreement__partner=InstitutionFactory.create(name="TU München", country="DE")
    )
    signed_agreement(
        mobility,
        a=[("IN2001", "Algorithms", 6), ("IN2002", "Databases", 5), ("IN2003", "Robotics", 8)],
        b=[("H1", "Algorithms", 6), ("H2", "Databases", 5), ("H3", "Robotics", 8)],
    )
    return mobility


def csv_file(text: str, name: str = "transcript.csv") -> io.BytesIO:
    data = io.BytesIO(text.encode("utf-8"))
    data.name = name
    return data


def xlsx_file(rows: list[list[Any]], name: str = "transcript.xlsx") -> io.BytesIO:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    workbook.save(data)
    data.seek(0)
    data.name = name
    return data


def entries_of(transcript: Transcript) -> list[tuple[str, str, Decimal | None, str, str]]:
    return [
        (e.code, e.title, e.ects, e.grade, e.outcome)
        for e in transcript.entries.order_by("position")
    ]


# ------------------------------------------------------------------------------ transcript


def test_import_a_transcript_from_csv(mobility: Mobility, office: User) -> None:
    report = services.import_transcript(
        mobility=mobility,
        file=csv_file(
            "Code;Title;ECTS;Grade\n"
            "IN2001;Algorithms;6;1,3\n"
            "IN2002;Databases;5;5,0\n"
            "XX0001;German A2;3;2.0\n"
        ),
        host_scale=standard("de"),
        actor=office,
    )

    assert report.errors == []
    assert report.summary() == ("3 rows in transcript.csv: 2 passed, 1 failed, 1 missing")
    transcript = Transcript.objects.get()
    assert report.transcript == transcript
    assert transcript.state == TranscriptState.ENTERED
    assert entries_of(transcript) == [
        ("IN2001", "Algorithms", Decimal(6), "1.3", Outcome.PASSED),
        ("IN2002", "Databases", Decimal(5), "5.0", Outcome.FAILED),
        ("XX0001", "German A2", Decimal(3), "2.0", Outcome.PASSED),
        ("IN2003", "Robotics", Decimal(8), "", Outcome.MISSING),
    ]
    event = AuditEvent.objects.get(action="transcript.imported")
    assert event.data == {
        "file": "transcript.csv",
        "mobility": mobility.pk,
        "agreement": 1,
        "host_scale": "de",
        "rows": 3,
        "passed": 2,
        "failed": 1,
        "missing": 1,
    }


def test_import_a_transcript_from_xlsx_with_the_scale_of_the_host_country(
    mobility: Mobility, office: User
) -> None:
    report = services.import_transcript(
        mobility=mobility,
        file=xlsx_file(
            [
                ["Transcript of Records, TU München"],
                [],
                ["code", "grade", "ects"],
                ["IN2001", 1.0, 6],
                ["IN2003", "2,7", 7.5],
            ]
        ),
        actor=office,
    )
    assert report.errors == []
    transcript = Transcript.objects.get()
    assert transcript.host_scale == standard("de")  # the only German scale
    assert entries_of(transcript) == [
        ("IN2001", "Algorithms", Decimal(6), "1.0", Outcome.PASSED),
        ("IN2003", "Robotics", Decimal("7.5"), "2.7", Outcome.PASSED),
        ("IN2002", "Databases", Decimal(5), "", Outcome.MISSING),
    ]


def test_an_import_with_bad_rows_imports_nothing_and_names_each(
    mobility: Mobility, office: User
) -> None:
    report = services.import_transcript(
        mobility=mobility,
        file=csv_file(
            "code,title,ects,grade\n"
            "IN2001,Algorithms,6,1.3\n"
            "IN2002,Databases,five,1.2\n"
            ",No code,3,2.0\n"
            "IN2003,Robotics,8,0.7\n"
            "in2001,Algorithms again,6,2.0\n"
        ),
        host_scale=standard("de"),
        actor=office,
    )

    assert report.errors == [
        RowError(3, "ects", "'five' is not a number of credits between 0.5 and 60"),
        RowError(4, "code", "the cell is empty: write the host's code of the component"),
    ]
    assert not Transcript.objects.exists()

    report = services.import_transcript(
        mobility=mobility,
        file=csv_file(
            "code,title,ects,grade\n"
            "IN2001,Algorithms,6,1.3\n"
            "IN2002,Databases,5,1.2\n"
            "IN2003,Robotics,8,0.7\n"
            "in2001,Algorithms again,6,2.0\n"
        ),
        host_scale=standard("de"),
        actor=office,
    )
    grades = (
        "1.0-5.0, lower is better, pass 4.0, grades 1.0 1.3 1.7 2.0 2.3 2.7 3.0 3.3 3.7 4.0 5.0"
    )
    assert [str(error) for error in report.errors] == [
        f"line 3, column 'grade': 1.2 is not a grade of Germany 1.0-5.0 ({grades}): it is not "
        "one of the listed grades",
        f"line 4, column 'grade': 0.7 is not a grade of Germany 1.0-5.0 ({grades}): it is below "
        "the lowest grade 1.0",
        "line 5, column 'code': line 2 already reports IN2001: keep one row per component",
    ]
    assert report.summary() == (
        "transcript.csv: 3 problem(s) in 4 rows; nothing was imported. Correct the file and "
        "import it again."
    )
    assert not Transcript.objects.exists()
    assert not AuditEvent.objects.filter(action="transcript.imported").exists()


def test_a_file_with_wrong_columns_is_refused(mobility: Mobility, office: User) -> None:
    report = services.import_transcript(
        mobility=mobility,
        file=csv_file("code,grade,mark\nIN2001,1.3,x\n"),
        host_scale=standard("de"),
        actor=office,
    )
    assert [str(error) for error in report.errors] == [
        "line 1, column 'mark': abroad does not read a column 'mark': rename it to one of code, "
        "title, ects, grade, or remove it"
    ]


def test_a_dry_run_stores_nothing(mobility: Mobility, office: User) -> None:
    report = services.import_transcript(
        mobility=mobility,
        file=csv_file("code,grade\nIN2001,1.3\n"),
        host_scale=standard("de"),
        actor=office,
        dry_run=True,
    )
    assert (report.ok, report.outcomes) == (True, {"passed": 1, "failed": 0, "missing": 2})
    assert not Transcript.objects.exists()


def test_import_needs_a_scale_when_the_country_has_none_or_several(office: User) -> None:
    mobility = EndedMobilityFactory.create(
        offer__agreement__partner=InstitutionFactory.create(country="GB")
    )
    signed_agreement(mobility, a=[], b=[])
    standard("uk")
    with pytest.raises(RecognitionError) as error:
        services.import_transcript(
            mobility=mobility, file=csv_file("code,grade\nX,60\n"), actor=office
        )
    assert str(error.value) == (
        "Choose the grading scale of the transcript: 2 scales are of United Kingdom."
    )


def test_only_the_office_imports_transcripts(mobility: Mobility) -> None:
    with pytest.raises(RecognitionError, match=r"^Only the International Mobility Unit"):
        services.import_transcript(
            mobility=mobility,
            file=csv_file("code,grade\nIN2001,1.3\n"),
            host_scale=standard("de"),
            actor=mobility.student,
        )


# -------------------------------------------------------------------- home grading tables


@pytest.fixture
def home() -> Institution:
    return InstitutionFactory.create(name="Politecnico di Milano", country="IT", is_home=True)


@pytest.fixture
def _courses() -> None:
    CourseOfStudyFactory.create(code="MECH", isced_code="0715")
    CourseOfStudyFactory.create(code="AERO", isced_code="0716")
    CourseOfStudyFactory.create(code="ARCH", isced_code="0731")


GRADES = (
    "course_of_study,isced,academic_year,grade,count\n"
    "MECH,,2022/2023,30L,2\n"
    "MECH,,2022/2023,30,6\n"
    "MECH,,2022/2023,27,8\n"
    "mech,,2023/2024,27,4\n"
    "AERO,,2023/2024,24,10\n"
    ",0715,2023/2024,18,10\n"
    "MECH,,2023/2024,15,7\n"
    "ARCH,,2023/2024,30,50\n"
)


@pytest.mark.usefixtures("_courses")
def test_home_grading_table_from_grades_over_two_years(home: Institution, office: User) -> None:
    """Field 071 (engineering): MECH 0715, AERO 0716 and the 0715 row count, ARCH 0731 does
    not; the 7 fails of 15 are left out. Passing: 30L 2, 30 6, 27 12, 24 10, 18 10 = 40."""
    report = services.build_home_grading_table(
        institution=home,
        scale=standard("it"),
        isced_code="071",
        cycle=Cycle.SECOND,
        file=csv_file(GRADES, "grades.csv"),
        actor=office,
    )

    assert report.errors == []
    assert (report.grades, report.failing, report.other_fields) == (40, 7, 50)
    table = GradingTable.objects.get()
    assert report.table == table
    assert (table.isced_code, table.cycle, table.first_year, table.last_year) == (
        "071",
        "second",
        2022,
        2023,
    )
    assert table.percentages == {
        "30L": "5.00",
        "30": "15.00",
        "27": "30.00",
        "24": "25.00",
        "18": "25.00",
    }
    assert table.counts == {"30L": 2, "30": 6, "27": 12, "24": 10, "18": 10}
    assert table.source == "grades.csv: 40 passing grades, 2022/2023, 2023/2024"
    built = table.table()
    assert built.percentages == (
        ("30L", Decimal(5)),
        ("30", Decimal(15)),
        ("27", Decimal(30)),
        ("24", Decimal(25)),
        ("18", Decimal(25)),
    )
    assert AuditEvent.objects.get(action="gradingtable.built").data == {
        "file": "grades.csv",
        "rows": 8,
        "grades": 40,
        "failing": 7,
        "other_fields": 50,
    }

    # Built again from the same years: the table is replaced, not duplicated.
    again = services.build_home_grading_table(
        institution=home,
        scale=standard("it"),
        isced_code="071",
        cycle=Cycle.SECOND,
        file=csv_file(GRADES.replace("MECH,,2022/2023,30L,2", "MECH,,2022/2023,30L,12"), "g.csv"),
        actor=office,
    )
    assert again.table == table
    counts = GradingTable.objects.get().counts
    assert counts is not None
    assert counts["30L"] == 12


@pytest.mark.usefixtures("_courses")
def test_home_grading_table_from_xlsx(home: Institution, office: User) -> None:
    report = services.build_home_grading_table(
        institution=home,
        scale=standard("it"),
        isced_code="0715",
        cycle=Cycle.SECOND,
        file=xlsx_file(
            [
                ["Course of study", "Academic year", "Grade"],
                ["MECH", "2021/2022", 28],
                ["MECH", "2021/2022", 28],
                ["MECH", "2022/2023", 25],
                ["MECH", "2023/2024", "30 e lode"],
            ],
            "grades.xlsx",
        ),
        actor=office,
    )
    assert report.errors == []
    table = GradingTable.objects.get()
    assert (table.first_year, table.last_year) == (2021, 2023)
    assert table.percentages == {"30L": "25.00", "28": "50.00", "25": "25.00"}


@pytest.mark.usefixtures("_courses")
def test_grading_table_with_bad_rows_stores_nothing_and_names_each(
    home: Institution, office: User
) -> None:
    report = services.build_home_grading_table(
        institution=home,
        scale=standard("it"),
        isced_code="071",
        cycle=Cycle.SECOND,
        file=csv_file(
            "course_of_study,isced,academic_year,grade,count\n"
            "MECH,,2022/2023,31,1\n"
            "NOPE,,2022/2023,27,1\n"
            ",07a,2022-2024,27,0\n"
            ",,2023/2024,,1\n"
        ),
        actor=office,
    )
    assert [str(error) for error in report.errors] == [
        "line 2, column 'grade': 31 is not a grade of Italy 0-30 (0-30, pass 18, step 1, "
        "honours 30L): it is above the highest grade 30",
        "line 3, column 'course_of_study': no course of study has the code 'NOPE': check it, or "
        "write the ISCED-F code",
        "line 4, column 'isced': '07a' is not an ISCED-F code: write 2 to 4 digits, like 0715",
        "line 4, column 'academic_year': '2022-2024' is not an academic year: write it like "
        "2023/2024",
        "line 4, column 'count': '0' is not a count: write how many times the grade was given, "
        "like 12",
        "line 5, column 'course_of_study': the cell is empty: write the course of study's code "
        "or the ISCED-F code",
        "line 5, column 'grade': the cell is empty: write the grade",
    ]
    assert not GradingTable.objects.exists()


@pytest.mark.usefixtures("_courses")
def test_grading_table_needs_two_academic_years(home: Institution, office: User) -> None:
    report = services.build_home_grading_table(
        institution=home,
        scale=standard("it"),
        isced_code="0715",
        cycle=Cycle.SECOND,
        file=csv_file(
            "course_of_study,academic_year,grade\nMECH,2022/2023,27\nMECH,2023/2024,15\n"
        ),
        actor=office,
    )
    assert [str(error) for error in report.errors] == [
        "column 'academic_year': the passing grades of ISCED-F 0715 cover 2022/2023: a grading "
        "table needs at least two academic years"
    ]
    assert not GradingTable.objects.exists()


def test_grading_table_refuses_a_bad_group(home: Institution, office: User, student: User) -> None:
    with pytest.raises(RecognitionError, match=r"^7 is not an ISCED-F code"):
        services.build_home_grading_table(
            institution=home,
            scale=standard("it"),
            isced_code="7",
            cycle=Cycle.SECOND,
            file=csv_file("isced,academic_year,grade\n"),
            actor=office,
        )
    with pytest.raises(RecognitionError, match=r"^Only the International Mobility Unit"):
        services.build_home_grading_table(
            institution=home,
            scale=standard("it"),
            isced_code="0715",
            cycle=Cycle.SECOND,
            file=csv_file("isced,academic_year,grade\n"),
            actor=student,
        )
