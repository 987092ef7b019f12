"""The registrar's careers file: a good file (CSV and XLSX), each kind of bad row reported with
its line and column, atomicity, updates, and the command."""

from __future__ import annotations

import csv
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from abroad.catalogue.importers.agreements import RowError
from abroad.core.academic_year import current_start_year, format_year
from abroad.core.models import AuditEvent
from abroad.people.enums import Role
from abroad.people.importers import COLUMNS, import_careers
from abroad.people.models import LanguageCertificate, StudentCareer, User
from tests.factories import UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

HEADER = list(COLUMNS)
LATEST = format_year(current_start_year())  # the current academic year: 2026/2027 in 2026/27
FUTURE = str(current_start_year() + 5)
GOOD_ROWS = [
    # An MSc student with two certificates: the career repeated on both rows.
    ["100001", "2021/2022", "180", "42", "27.35", "28", "yes", "0", "0", "en", "C1"],
    ["100001", "2021/2022", "180", "42", "27.35", "28", "yes", "0", "0", "fr", "b2"],
    # A BSc student, Italian decimal comma, no certificate, previous exchange.
    ["100002", "2024", "58", "0", "25,5", "", "no", "1", "5", "", ""],
]  # fmt: skip


def write_csv(path: Path, rows: list[list[Any]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[Any]], header: list[str] = HEADER) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Registrar export"])  # a title above the header
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def with_cell(column: str, value: Any, row: int = 0) -> list[list[Any]]:
    rows = [list(good) for good in GOOD_ROWS]
    rows[row][HEADER.index(column)] = value
    return rows


@pytest.fixture
def students(db: None) -> dict[str, User]:
    return {
        number: UserFactory.create(
            username=f"s{number}", student_number=number, role=Role.STUDENT, password="!"
        )
        for number in ("100001", "100002")
    }


def careers() -> list[tuple[Any, ...]]:
    return list(
        StudentCareer.objects.order_by("student__student_number").values_list(
            "student__student_number",
            "first_enrolment_year",
            "credits_bachelor",
            "credits_master",
            "average_bachelor",
            "average_master",
            "first_year_completed",
            "previous_exchanges",
            "months_used",
        )
    )


def certificates() -> list[tuple[str, str, str]]:
    return list(
        LanguageCertificate.objects.order_by("student__student_number", "language").values_list(
            "student__student_number", "language", "level"
        )
    )


EXPECTED_CAREERS = [
    ("100001", 2021, 180, 42, Decimal("27.35"), Decimal("28.00"), True, 0, 0),
    ("100002", 2024, 58, 0, Decimal("25.50"), None, False, 1, 5),
]


def test_good_csv(students: dict[str, User], tmp_path: Path) -> None:
    report = import_careers(write_csv(tmp_path / "careers.csv", GOOD_ROWS))
    assert report.errors == []
    assert report.counts() == {
        "rows": 3,
        "students": 2,
        "careers_created": 2,
        "careers_updated": 0,
        "careers_unchanged": 0,
        "certificates_created": 2,
        "certificates_updated": 0,
        "certificates_unchanged": 0,
    }
    assert careers() == EXPECTED_CAREERS
    assert certificates() == [("100001", "en", "C1"), ("100001", "fr", "B2")]
    event = AuditEvent.objects.get(action="careers.imported")
    assert event.data["file"] == "careers.csv"
    assert event.data["careers_created"] == 2


def test_good_xlsx_with_numbers_as_excel_stores_them(
    students: dict[str, User], tmp_path: Path
) -> None:
    rows = [
        [100001, 2021, 180, 42, 27.35, 28, "Yes", None, None, "EN", "C1"],
        [100001, 2021, 180, 42, 27.35, 28, "Yes", None, None, "fr", "B2"],
        [100002, "2024/2025", 58, 0, 25.5, None, "No", 1, 5, None, None],
    ]
    report = import_careers(write_xlsx(tmp_path / "careers.xlsx", rows))
    assert report.errors == []
    assert careers() == EXPECTED_CAREERS
    assert certificates() == [("100001", "en", "C1"), ("100001", "fr", "B2")]


def test_certificate_columns_are_optional(students: dict[str, User], tmp_path: Path) -> None:
    rows = [row[:-2] for row in GOOD_ROWS[1:]]
    report = import_careers(write_csv(tmp_path / "careers.csv", rows, HEADER[:-2]))
    assert report.errors == []
    assert careers() == EXPECTED_CAREERS
    assert certificates() == []


@pytest.mark.parametrize(
    ("column", "value", "row", "message"),
    [
        ("student_number", "999999", 0,
         "no student has the number '999999': check it, or create the student's account first"),
        ("student_number", "", 0,
         "the cell is empty: write the student number (matricola) of a student known to abroad"),
        ("average_bachelor", "31", 0, "'31' is not an average between 18 and 30"),
        ("average_master", "17.5", 0, "'17.5' is not an average between 18 and 30"),
        ("average_bachelor", "good", 2, "'good' is not an average between 18 and 30"),
        ("first_enrolment_year", "2023/2025", 0,
         "'2023/2025' is not a year: write the year of the first enrolment, like 2023 or "
         "2023/2024"),
        ("first_enrolment_year", "1960", 0,
         f"'1960' is not a first enrolment between 1970 and {LATEST}"),
        ("first_enrolment_year", FUTURE, 0,
         f"'{FUTURE}' is not a first enrolment between 1970 and {LATEST}"),
        ("first_enrolment_year", "", 0,
         "the cell is empty: write the year of the first enrolment, like 2023 or 2023/2024"),
        ("credits_bachelor", "-3", 0, "'-3' is not a whole number between 0 and 360"),
        ("credits_master", "12.5", 0, "'12.5' is not a whole number between 0 and 360"),
        ("first_year_completed", "maybe", 0, "'maybe' is not yes or no"),
        ("previous_exchanges", "11", 0, "'11' is not a whole number between 0 and 10"),
        ("months_used", "30", 0, "'30' is not a whole number between 0 and 24"),
        ("language", "xx", 0,
         "'xx' is not a language code abroad knows: write an ISO 639-1 code like en, fr, de"),
        ("level", "B3", 0, "'B3' is not a CEFR level: write A1, A2, B1, B2, C1 or C2"),
        ("level", "", 0, "the cell is empty: write the level of the en certificate"),
        ("language", "", 0, "the cell is empty: write the language of the C1 certificate"),
        ("average_bachelor", "", 2,
         "credits_bachelor is 58 but average_bachelor is empty: write the average"),
        ("credits_master", "", 0,
         "average_master is given but credits_master is empty: write the credits"),
    ],
)  # fmt: skip
def test_each_bad_cell_is_reported_and_nothing_imported(
    students: dict[str, User], tmp_path: Path, column: str, value: str, row: int, message: str
) -> None:
    report = import_careers(write_csv(tmp_path / "careers.csv", with_cell(column, value, row)))
    assert report.errors == [RowError(row + 2, column, message)]
    assert careers() == []
    assert certificates() == []
    assert not AuditEvent.objects.filter(action="careers.imported").exists()


def test_a_teacher_s_number_is_refused(students: dict[str, User], tmp_path: Path) -> None:
    UserFactory.create(
        username="prof",
        first_name="Marco",
        last_name="Bellandi",
        student_number="900001",
        role=Role.PROMOTER,
        password="!",
    )
    report = import_careers(write_csv(tmp_path / "c.csv", with_cell("student_number", "900001")))
    assert [str(error) for error in report.errors] == [
        "line 2, column 'student_number': '900001' is the number of Marco Bellandi, who is not "
        "a student"
    ]


def test_every_bad_row_is_reported_at_once(students: dict[str, User], tmp_path: Path) -> None:
    rows = [list(row) for row in GOOD_ROWS]
    rows[0][HEADER.index("average_master")] = "33"
    rows[2][HEADER.index("first_year_completed")] = "perhaps"
    rows[2][HEADER.index("months_used")] = "x"
    report = import_careers(write_csv(tmp_path / "careers.csv", rows))
    assert [str(error) for error in report.errors] == [
        "line 2, column 'average_master': '33' is not an average between 18 and 30",
        "line 4, column 'first_year_completed': 'perhaps' is not yes or no",
        "line 4, column 'months_used': 'x' is not a whole number between 0 and 24",
    ]
    assert report.summary() == (
        "careers.csv: 3 problem(s) in 3 rows; nothing was imported. Correct the file and import "
        "it again."
    )
    assert careers() == []


def test_career_differs_between_a_student_s_rows(students: dict[str, User], tmp_path: Path) -> None:
    report = import_careers(write_csv(tmp_path / "c.csv", with_cell("credits_master", "48", 1)))
    assert [str(error) for error in report.errors] == [
        "line 3, column 'credits_master': '48' differs from '42' on line 2 for the same student "
        "'100001': a student's career columns must be the same on all their rows"
    ]


def test_the_same_language_twice(students: dict[str, User], tmp_path: Path) -> None:
    report = import_careers(write_csv(tmp_path / "c.csv", with_cell("language", "en", 1)))
    assert [str(error) for error in report.errors] == [
        "line 3, column 'language': the student '100001' already has a en certificate on line "
        "2: keep one row per language, with the highest level"
    ]


def test_header_problems(students: dict[str, User], tmp_path: Path) -> None:
    header = [c for c in HEADER if c not in ("months_used", "level")] + ["notes"]
    rows = [[""] * len(header)]
    report = import_careers(write_csv(tmp_path / "c.csv", rows, header))
    assert [str(error) for error in report.errors] == [
        "line 1, column 'notes': abroad does not read a column 'notes': rename it to one of "
        + ", ".join(HEADER)
        + ", or remove it",
        "line 1, column 'months_used': the header row has no column months_used: add it",
        "line 1, column 'level': the columns language and level go together: add level",
    ]


def test_unreadable_and_empty_files(students: dict[str, User], tmp_path: Path) -> None:
    assert [str(e) for e in import_careers(tmp_path / "careers.pdf").errors] == [
        "'careers.pdf' is neither an .xlsx nor a .csv file"
    ]
    report = import_careers(write_csv(tmp_path / "empty.csv", []))
    assert [str(e) for e in report.errors] == ["line 1: the file has no rows under its header"]
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    assert import_careers(bad).errors[0].message.startswith("bad.xlsx is not an XLSX file")


def test_updates_replace_the_career_and_keep_other_certificates(
    students: dict[str, User], tmp_path: Path
) -> None:
    import_careers(write_csv(tmp_path / "first.csv", GOOD_ROWS))
    LanguageCertificate.objects.create(
        student=students["100001"], language="de", level="A2", name="Goethe"
    )
    rows = with_cell("credits_master", "60")
    rows[1][HEADER.index("credits_master")] = "60"
    rows[1][HEADER.index("level")] = "C1"  # French improved
    report = import_careers(write_csv(tmp_path / "second.csv", rows))
    assert report.errors == []
    assert (report.careers_updated, report.careers_unchanged) == (1, 1)
    assert (
        report.certificates_created,
        report.certificates_updated,
        report.certificates_unchanged,
    ) == (0, 1, 1)
    assert careers()[0][3] == 60
    assert certificates() == [
        ("100001", "de", "A2"),
        ("100001", "en", "C1"),
        ("100001", "fr", "C1"),
    ]


def test_dry_run_writes_nothing(students: dict[str, User], tmp_path: Path) -> None:
    report = import_careers(write_csv(tmp_path / "careers.csv", GOOD_ROWS), dry_run=True)
    assert report.errors == []
    assert (report.careers_created, report.certificates_created) == (2, 2)
    assert careers() == []
    assert certificates() == []
    assert not AuditEvent.objects.filter(action="careers.imported").exists()


def test_command_prints_the_report(students: dict[str, User], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "careers.csv", GOOD_ROWS)
    out = StringIO()
    call_command("import-careers", str(path), "--quiet", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == (
        "3 rows in careers.csv, 2 students: careers 2 created, 0 updated, 0 unchanged; "
        "certificates 2 created, 0 updated, 0 unchanged"
    )
    assert lines[1].startswith("Done in ")
    assert careers() == EXPECTED_CAREERS


def test_command_fails_with_every_problem(students: dict[str, User], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "careers.csv", with_cell("average_bachelor", "35"))
    err = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import-careers", str(path), "--quiet", stdout=StringIO(), stderr=err)
    assert str(error.value) == f"nothing was imported: 1 problem(s) in {path}"
    assert err.getvalue().splitlines() == [
        "careers.csv: 1 problem(s) in 3 rows; nothing was imported. Correct the file and "
        "import it again.",
        "  line 2, column 'average_bachelor': '35' is not an average between 18 and 30",
    ]
    assert careers() == []
