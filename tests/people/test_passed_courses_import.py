"""The registrar's passed courses: a good file (CSV and XLSX), each kind of bad row reported
with its line and column, atomicity, idempotence, updates, the command and the admin."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from abroad.core.importing import RowError
from abroad.core.models import AuditEvent
from abroad.people.enums import Role
from abroad.people.importers import PASSED_COLUMNS, import_passed_courses
from abroad.people.models import PassedCourse, User
from tests.factories import UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

HEADER = list(PASSED_COLUMNS)
# Tomorrow as the test runs, not as it was collected (a run that passes midnight in Rome).
TOMORROW = "<tomorrow>"
GOOD_ROWS = [
    ["100001", "051234", "Analisi matematica I", "10", "28", "2022-02-14"],
    ["100001", "051235", "Fisica sperimentale", "7,5", "30L", "15/06/2022"],
    ["100002", "ING-01", "Fondamenti di informatica", "6", "", ""],
]  # fmt: skip
EXPECTED = [
    ("100001", "051234", "Analisi matematica I", Decimal("10.0"), "28", dt.date(2022, 2, 14)),
    ("100001", "051235", "Fisica sperimentale", Decimal("7.5"), "30L", dt.date(2022, 6, 15)),
    ("100002", "ING-01", "Fondamenti di informatica", Decimal("6.0"), "", None),
]


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
    sheet.append(["Registrar export: passed exams"])  # a title above the header
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


def passed() -> list[tuple[Any, ...]]:
    return list(
        PassedCourse.objects.order_by("student__student_number", "code").values_list(
            "student__student_number", "code", "title", "credits", "grade", "passed_on"
        )
    )


def test_good_csv(students: dict[str, User], tmp_path: Path) -> None:
    report = import_passed_courses(write_csv(tmp_path / "passed.csv", GOOD_ROWS))
    assert report.errors == []
    assert report.counts() == {
        "rows": 3,
        "students": 2,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
    }
    assert passed() == EXPECTED
    event = AuditEvent.objects.get(action="passed_courses.imported")
    assert event.data["file"] == "passed.csv"
    assert event.data["created"] == 3


def test_good_xlsx_with_numbers_and_dates_as_excel_stores_them(
    students: dict[str, User], tmp_path: Path
) -> None:
    rows = [
        [100001, "051234", "Analisi  matematica I ", 10, 28, dt.datetime(2022, 2, 14)],
        [100001, "051235", "Fisica sperimentale", 7.5, "30L", dt.date(2022, 6, 15)],
        [100002, "ING-01", "Fondamenti di informatica", 6.0, None, None],
    ]
    report = import_passed_courses(write_xlsx(tmp_path / "passed.xlsx", rows))
    assert report.errors == []
    assert (report.rows, report.created) == (3, 3)
    assert passed() == EXPECTED


def test_grade_and_passed_on_columns_are_optional(
    students: dict[str, User], tmp_path: Path
) -> None:
    rows = [row[:4] for row in GOOD_ROWS]
    report = import_passed_courses(write_csv(tmp_path / "passed.csv", rows, HEADER[:4]))
    assert report.errors == []
    assert passed() == [(*row[:4], "", None) for row in EXPECTED]


@pytest.mark.parametrize(
    ("column", "value", "row", "message"),
    [
        ("student_number", "999999", 0,
         "no student has the number '999999': check it, or create the student's account first"),
        ("student_number", "", 0,
         "the cell is empty: write the student number (matricola) of a student known to abroad"),
        ("code", "", 1,
         "the cell is empty: write the code of the exam at home, as in the learning agreements; "
         "at most 40 characters"),
        ("code", "X" * 41, 0, f"'{'X' * 41}' is longer than 40 characters"),
        ("title", "", 2,
         "the cell is empty: write the title of the exam at home; at most 250 characters"),
        ("credits", "", 0,
         "the cell is empty: write the exam's credits (ECTS), 0.5 to 60, like 6 or 7.5"),
        ("credits", "six", 0, "'six' is not a number of credits between 0.5 and 60"),
        ("credits", "0", 0, "'0' is not a number of credits between 0.5 and 60"),
        ("credits", "0.4", 0, "'0.4' is not a number of credits between 0.5 and 60"),
        ("credits", "61", 0, "'61' is not a number of credits between 0.5 and 60"),
        ("credits", "-6", 0, "'-6' is not a number of credits between 0.5 and 60"),
        ("credits", "6.25", 0, "'6.25' has more than one decimal: write credits like 6 or 7.5"),
        ("grade", "30 e lode!", 0, "'30 e lode!' is longer than 8 characters"),
        ("passed_on", "2022-02-30", 0,
         "'2022-02-30' is not a date: write it like 2024-06-15 or 15/06/2024"),
        ("passed_on", "14.02.2022", 0,
         "'14.02.2022' is not a date: write it like 2024-06-15 or 15/06/2024"),
        ("passed_on", "31/13/2022", 1,
         "'31/13/2022' is not a date: write it like 2024-06-15 or 15/06/2024"),
        ("passed_on", TOMORROW, 0,
         f"'{TOMORROW}' is in the future: write the day the exam was passed"),
    ],
)  # fmt: skip
def test_each_bad_cell_is_reported_and_nothing_imported(
    students: dict[str, User], tmp_path: Path, column: str, value: str, row: int, message: str
) -> None:
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    value, message = value.replace(TOMORROW, tomorrow), message.replace(TOMORROW, tomorrow)
    path = write_csv(tmp_path / "passed.csv", with_cell(column, value, row))
    report = import_passed_courses(path)
    assert report.errors == [RowError(row + 2, column, message)]
    assert passed() == []
    assert not AuditEvent.objects.filter(action="passed_courses.imported").exists()


def test_a_teacher_s_number_is_refused(students: dict[str, User], tmp_path: Path) -> None:
    UserFactory.create(
        username="prof",
        first_name="Marco",
        last_name="Bellandi",
        student_number="900001",
        role=Role.PROMOTER,
        password="!",
    )
    path = write_csv(tmp_path / "p.csv", with_cell("student_number", "900001"))
    assert [str(error) for error in import_passed_courses(path).errors] == [
        "line 2, column 'student_number': '900001' is the number of Marco Bellandi, who is not "
        "a student"
    ]
    assert passed() == []


def test_the_same_course_twice_for_a_student(students: dict[str, User], tmp_path: Path) -> None:
    rows = [*GOOD_ROWS, ["100001", "051234", "Analisi matematica 1", "10", "30", ""]]
    rows.append(["100002", "051234", "Analisi matematica I", "10", "27", ""])  # another student
    report = import_passed_courses(write_csv(tmp_path / "p.csv", rows))
    assert [str(error) for error in report.errors] == [
        "line 5, column 'code': the student '100001' already has the course '051234' on line 2: "
        "keep one row per student and course"
    ]
    assert passed() == []


def test_a_duplicate_of_a_bad_row_is_reported_too(
    students: dict[str, User], tmp_path: Path
) -> None:
    rows = [*with_cell("credits", "100"), ["100001", "051234", "Analisi", "10", "", ""]]
    report = import_passed_courses(write_csv(tmp_path / "p.csv", rows))
    assert [str(error) for error in report.errors] == [
        "line 2, column 'credits': '100' is not a number of credits between 0.5 and 60",
        "line 5, column 'code': the student '100001' already has the course '051234' on line 2: "
        "keep one row per student and course",
    ]


def test_every_bad_row_is_reported_at_once(students: dict[str, User], tmp_path: Path) -> None:
    rows = [list(row) for row in GOOD_ROWS]
    rows[0][HEADER.index("student_number")] = "123"
    rows[2][HEADER.index("title")] = ""
    rows[2][HEADER.index("passed_on")] = "yesterday"
    report = import_passed_courses(write_csv(tmp_path / "passed.csv", rows))
    assert [str(error) for error in report.errors] == [
        "line 2, column 'student_number': no student has the number '123': check it, or create "
        "the student's account first",
        "line 4, column 'title': the cell is empty: write the title of the exam at home; at most "
        "250 characters",
        "line 4, column 'passed_on': 'yesterday' is not a date: write it like 2024-06-15 or "
        "15/06/2024",
    ]
    assert report.summary() == (
        "passed.csv: 3 problem(s) in 3 rows; nothing was imported. Correct the file and import "
        "it again."
    )
    assert passed() == []


def test_header_problems(students: dict[str, User], tmp_path: Path) -> None:
    header = [c for c in HEADER if c != "credits"] + ["ects_grade"]
    report = import_passed_courses(write_csv(tmp_path / "p.csv", [[""] * len(header)], header))
    assert [str(error) for error in report.errors] == [
        "line 1, column 'ects_grade': abroad does not read a column 'ects_grade': rename it to "
        "one of " + ", ".join(HEADER) + ", or remove it",
        "line 1, column 'credits': the header row has no column credits: add it",
    ]


def test_unreadable_and_empty_files(students: dict[str, User], tmp_path: Path) -> None:
    assert [str(e) for e in import_passed_courses(tmp_path / "passed.pdf").errors] == [
        "'passed.pdf' is neither an .xlsx nor a .csv file"
    ]
    report = import_passed_courses(write_csv(tmp_path / "empty.csv", []))
    assert [str(e) for e in report.errors] == ["line 1: the file has no rows under its header"]
    other = write_csv(tmp_path / "careers.csv", [["100001", "2021"]], ["student_number", "year"])
    assert [str(e) for e in import_passed_courses(other).errors] == [
        "careers.csv has no header row with the columns code, student_number in its first 20 rows"
    ]
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    assert import_passed_courses(bad).errors[0].message.startswith("bad.xlsx is not an XLSX file")


def test_a_second_run_changes_nothing(students: dict[str, User], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "passed.csv", GOOD_ROWS)
    import_passed_courses(path)
    report = import_passed_courses(path)
    assert report.errors == []
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert passed() == EXPECTED
    xlsx = [[*row[:3], Decimal(row[3]), *row[4:]] for row in EXPECTED]
    report = import_passed_courses(write_xlsx(tmp_path / "passed.xlsx", xlsx))
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert AuditEvent.objects.filter(action="passed_courses.imported").count() == 3


def test_rows_that_differ_update_and_others_are_kept(
    students: dict[str, User], tmp_path: Path
) -> None:
    import_passed_courses(write_csv(tmp_path / "first.csv", GOOD_ROWS))
    PassedCourse.objects.create(
        student=students["100002"], code="ING-02", title="Chimica", credits=Decimal(5)
    )
    rows = with_cell("grade", "30", 0)
    rows[1][HEADER.index("title")] = "Fisica sperimentale A"
    rows[2][HEADER.index("passed_on")] = "2023-01-20"
    rows.append(["100002", "ING-03", "Geometria", "5", "24", "2023-02-01"])
    report = import_passed_courses(write_csv(tmp_path / "second.csv", rows))
    assert report.errors == []
    assert report.counts() == {
        "rows": 4,
        "students": 2,
        "created": 1,
        "updated": 3,
        "unchanged": 0,
    }
    assert passed() == [
        ("100001", "051234", "Analisi matematica I", Decimal("10.0"), "30", dt.date(2022, 2, 14)),
        ("100001", "051235", "Fisica sperimentale A", Decimal("7.5"), "30L", dt.date(2022, 6, 15)),
        ("100002", "ING-01", "Fondamenti di informatica", Decimal("6.0"), "", dt.date(2023, 1, 20)),
        ("100002", "ING-02", "Chimica", Decimal("5.0"), "", None),
        ("100002", "ING-03", "Geometria", Decimal("5.0"), "24", dt.date(2023, 2, 1)),
    ]  # fmt: skip


def test_a_file_without_grades_keeps_the_grades_recorded(
    students: dict[str, User], tmp_path: Path
) -> None:
    import_passed_courses(write_csv(tmp_path / "first.csv", GOOD_ROWS))
    rows = [row[:4] for row in GOOD_ROWS]
    report = import_passed_courses(write_csv(tmp_path / "second.csv", rows, HEADER[:4]))
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert passed() == EXPECTED
    rows = with_cell("grade", "")  # an empty cell in a present column clears the grade
    report = import_passed_courses(write_csv(tmp_path / "third.csv", rows))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    assert passed()[0][4] == ""


def test_a_bad_row_leaves_the_recorded_courses_as_they_were(
    students: dict[str, User], tmp_path: Path
) -> None:
    import_passed_courses(write_csv(tmp_path / "first.csv", GOOD_ROWS))
    rows = with_cell("title", "Analisi matematica II")
    rows.append(["100002", "ING-03", "Geometria", "5", "24", "2023-02-31"])
    report = import_passed_courses(write_csv(tmp_path / "second.csv", rows))
    assert [str(error) for error in report.errors] == [
        "line 5, column 'passed_on': '2023-02-31' is not a date: write it like 2024-06-15 or "
        "15/06/2024"
    ]
    assert passed() == EXPECTED


def test_dry_run_writes_nothing(students: dict[str, User], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "passed.csv", GOOD_ROWS)
    report = import_passed_courses(path, dry_run=True)
    assert report.errors == []
    assert report.created == 3
    assert passed() == []
    assert not AuditEvent.objects.filter(action="passed_courses.imported").exists()


def test_command_prints_the_report(students: dict[str, User], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "passed.csv", GOOD_ROWS)
    out = StringIO()
    call_command("import-passed-courses", str(path), "--quiet", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == (
        "3 rows in passed.csv, 2 students: passed courses 3 created, 0 updated, 0 unchanged"
    )
    assert lines[1].startswith("Done in ")
    assert len(lines) == 2
    assert passed() == EXPECTED
    out = StringIO()
    call_command("import-passed-courses", str(path), "--quiet", stdout=out)
    assert out.getvalue().splitlines()[0] == (
        "3 rows in passed.csv, 2 students: passed courses 0 created, 0 updated, 3 unchanged"
    )


def test_command_dry_run(students: dict[str, User], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "passed.csv", GOOD_ROWS)
    out = StringIO()
    call_command("import-passed-courses", str(path), "--dry-run", "--quiet", stdout=out)
    assert out.getvalue().splitlines()[0] == (
        "DRY RUN, nothing was written. 3 rows in passed.csv, 2 students: passed courses 3 "
        "created, 0 updated, 0 unchanged"
    )
    assert passed() == []


def test_command_fails_with_every_problem(students: dict[str, User], tmp_path: Path) -> None:
    rows = with_cell("credits", "75")
    rows[2][HEADER.index("student_number")] = "555"
    path = write_csv(tmp_path / "passed.csv", rows)
    err = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import-passed-courses", str(path), "--quiet", stdout=StringIO(), stderr=err)
    assert str(error.value) == f"nothing was imported: 2 problem(s) in {path}"
    assert err.getvalue().splitlines() == [
        "passed.csv: 2 problem(s) in 3 rows; nothing was imported. Correct the file and "
        "import it again.",
        "  line 2, column 'credits': '75' is not a number of credits between 0.5 and 60",
        "  line 4, column 'student_number': no student has the number '555': check it, or "
        "create the student's account first",
    ]
    assert passed() == []


def test_admin_lists_and_searches_passed_courses(students: dict[str, User], tmp_path: Path) -> None:
    import_passed_courses(write_csv(tmp_path / "passed.csv", GOOD_ROWS))
    client = Client()
    client.force_login(UserFactory.create(username="root", role=Role.ADMIN, is_superuser=True))
    url = reverse("admin:people_passedcourse_changelist")
    page = client.get(url)
    assert page.status_code == 200
    assert [course.code for course in page.context["cl"].result_list] == [
        "051234",
        "051235",
        "ING-01",
    ]
    assert "100002" in page.content.decode()  # the student number column

    def found(query: str) -> list[str]:
        page = client.get(url, {"q": query})
        return [course.code for course in page.context["cl"].result_list]

    assert found("100002") == ["ING-01"]
    assert found("051235") == ["051235"]
    assert found("ing-0") == ["ING-01"]


@pytest.mark.django_db
def test_the_office_keeps_passed_courses_in_the_admin(personas: dict[str, Any]) -> None:
    url = reverse("admin:people_passedcourse_changelist")
    assert personas["office"].get(url).status_code == 200
    assert personas["office"].get(reverse("admin:people_passedcourse_add")).status_code == 200
    assert personas["student"].get(url).status_code == 302  # to the admin's login
    assert personas["promoter"].get(url).status_code == 302
