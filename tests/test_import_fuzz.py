"""Every spreadsheet import, on the web and on the command line, given malformed files: NUL
bytes, binary junk, a truncated, encrypted or foreign zip, the wrong encoding, an empty file,
only a header, a header too far down, formulas, merged cells, dates for text, huge cells, too
many rows, too many bytes, a zip bomb, too many bad rows. Never a 500 or a traceback: a page
(200) or a CommandError with a message; nothing stored; bounded (the caps are the settings',
lowered here, and the listed problems stay under them)."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from abroad.core.importing import ErrorList
from abroad.core.models import Job
from abroad.mobility.enums import MobilityState
from abroad.people.models import Role, User
from abroad.recognition.enums import Cycle
from tests.conftest import logged_in
from tests.factories import (
    CourseOfStudyFactory,
    InstitutionFactory,
    NetworkFactory,
    UserFactory,
    member,
)
from tests.jobs import follow_job
from tests.mobility.factories import MobilityFactory
from tests.networks.factories import SessionFactory
from tests.recognition.factories import signed_agreement, standard

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

MAX_ROWS = 100
MAX_ERRORS = 10
MAX_MB = 1

# ------------------------------------------------------------------------------ the files


def csv_bytes(rows: list[list[Any]]) -> bytes:
    return "".join(",".join(str(cell) for cell in row) + "\n" for row in rows).encode()


def xlsx_bytes(rows: list[list[Any]], merge: str | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    data = io.BytesIO()
    workbook.save(data)
    return data.getvalue()


def junk(size: int = 4096) -> bytes:
    return random.Random(size).randbytes(size)


Family = Callable[[list[str], list[str]], tuple[str, bytes]]


def _nul(columns: list[str], row: list[str]) -> tuple[str, bytes]:
    return "csv", csv_bytes([columns, [f"{value}\x00" for value in row]])


def _merged(columns: list[str], row: list[str]) -> tuple[str, bytes]:
    """The header's first two cells merged: the second column's name is lost."""
    return "xlsx", xlsx_bytes([columns, row, row], merge="A1:B1")


def _zip_not_xlsx(columns: list[str], row: list[str]) -> tuple[str, bytes]:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return "xlsx", data.getvalue()


def _zip_bomb(columns: list[str], row: list[str]) -> tuple[str, bytes]:
    """A real workbook with a part that unpacks to 20 MB (more than 10 x MAX_MB)."""
    data = io.BytesIO(xlsx_bytes([columns, row]))
    with zipfile.ZipFile(data, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/zeros.bin", bytes(20 * 1024 * 1024))
    return "xlsx", data.getvalue()


def _far_row(columns: list[str], row: list[str]) -> tuple[str, bytes]:
    """A header, then a single cell a million rows down: a million blank rows to read."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(columns)
    sheet.cell(row=1_000_000, column=1, value="x")
    data = io.BytesIO()
    workbook.save(data)
    return "xlsx", data.getvalue()


def _lying_size(columns: list[str], row: list[str]) -> tuple[str, bytes]:
    """A workbook that declares its sheet A1:XFD1048576: a million rows of 16,384 cells."""
    data = io.BytesIO(xlsx_bytes([columns, ["?x"] * len(columns)]))
    out = io.BytesIO()
    with zipfile.ZipFile(data) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(
                    rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', content
                )
            target.writestr(item, content)
    return "xlsx", out.getvalue()


def _wide_rows(columns: list[str], row: list[str]) -> tuple[str, bytes]:
    """Every row with a cell in the last column, XFD."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(columns)
    for line in range(2, MAX_ROWS):
        for column in range(1, len(columns) + 1):
            sheet.cell(row=line, column=column, value="?x")
        sheet.cell(row=line, column=16_384, value="far")
    data = io.BytesIO()
    workbook.save(data)
    return "xlsx", data.getvalue()


FAMILIES: dict[str, Family] = {
    "a-declared-size-of-a-million-rows": _lying_size,
    "a-cell-in-column-xfd-on-every-row": _wide_rows,
    "nul-bytes": _nul,
    "binary-junk-csv": lambda c, r: ("csv", junk()),
    "binary-junk-xlsx": lambda c, r: ("xlsx", junk()),
    "truncated-xlsx": lambda c, r: ("xlsx", (x := xlsx_bytes([c, r]))[: len(x) // 2]),
    "encrypted-xlsx": lambda c, r: ("xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + junk(2048)),
    "zip-not-xlsx": _zip_not_xlsx,
    "utf16-without-bom": lambda c, r: ("csv", csv_bytes([c, r]).decode().encode("utf-16-le")),
    "empty-csv": lambda c, r: ("csv", b""),
    "empty-xlsx": lambda c, r: ("xlsx", b""),
    "only-a-header": lambda c, r: ("csv", csv_bytes([c])),
    "header-in-row-500": lambda c, r: ("csv", csv_bytes([["title"]] * 499 + [c, r])),
    "formulas": lambda c, r: ("xlsx", xlsx_bytes([c, ["=1/0"] * len(c)])),
    "merged-cells": _merged,
    "dates-for-text": lambda c, r: ("xlsx", xlsx_bytes([c, [dt.datetime(2026, 1, 1)] * len(c)])),
    "huge-csv-cell": lambda c, r: ("csv", csv_bytes([c, ["x" * 200_000] * len(c)])),
    "huge-xlsx-cell": lambda c, r: ("xlsx", xlsx_bytes([c, ["x" * 32_767] * len(c)])),
    "too-many-rows-csv": lambda c, r: ("csv", csv_bytes([c] + [r] * (MAX_ROWS + 1))),
    "too-many-rows-xlsx": lambda c, r: ("xlsx", xlsx_bytes([c] + [r] * (MAX_ROWS + 1))),
    "a-cell-a-million-rows-down": _far_row,
    "too-many-bytes": lambda c, r: ("csv", csv_bytes([c]) + b"#" * (MAX_MB * 1024 * 1024 + 1)),
    "zip-bomb": _zip_bomb,
    "too-many-bad-rows": lambda c, r: ("csv", csv_bytes([c] + [["?x"] * len(c)] * (MAX_ROWS - 1))),
}


# --------------------------------------------------------------------------- the importers


@dataclass
class Outcome:
    """What the office saw: the problems listed (web) or the lines printed (command)."""

    listed: int
    text: str


@dataclass
class Importer:
    name: str
    columns: list[str]
    row: list[str]
    # Given the file's path, runs the import and returns what was seen; ``ready`` has
    # prepared the database (and logged in) first.
    ready: Callable[[], Callable[[Path], Outcome]]


def _office_staff() -> Client:
    user: User = UserFactory.create(username="imu", role=Role.OFFICE, is_staff=True, password="!")
    return logged_in(user)


def _office() -> Client:
    user: User = UserFactory.create(role=Role.OFFICE)
    return logged_in(user)


def _page(client: Client, url: str, data: dict[str, Any], path: Path) -> Outcome:
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    response = client.post(url, {**data, "file": upload})
    if response.status_code == 302:  # the import runs as a job: its page shows the report
        job, response = follow_job(client, response)
        assert response.status_code == 200, response.status_code
        assert not job.report["imported"]
        assert job.report["rows"] <= MAX_ROWS
        assert job.report["listed"] <= MAX_ERRORS
        page = response.content.decode()
        if job.report["problems"] > MAX_ERRORS:
            assert "(only the first 10 are listed)" in page
        return Outcome(job.report["listed"], page)
    assert response.status_code == 200, response.status_code  # refused: the form again
    report = response.context["report"]
    page = response.content.decode()
    if report is not None:
        assert not report.ok
        assert report.rows <= MAX_ROWS
        errors = report.errors
        assert isinstance(errors, ErrorList)
        assert errors.listed <= MAX_ERRORS
        if len(errors) > MAX_ERRORS:
            assert "(only the first 10 are listed)" in page
        return Outcome(errors.listed, page)
    problems = response.context.get("problems") or []
    assert len(problems) <= MAX_ERRORS + 1
    return Outcome(len(problems), page)


def _command(*args: str) -> Outcome:
    out, err = StringIO(), StringIO()
    message = ""
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as error:
        message = str(error)
    text = out.getvalue() + err.getvalue() + message
    return Outcome(len(text.splitlines()), text)


def _agreements_web() -> Callable[[Path], Outcome]:
    client = _office_staff()
    url = reverse("admin:catalogue_agreement_import")
    return lambda path: _page(client, url, {}, path)


def _session() -> str:
    athens = NetworkFactory.create(code="athens", name="ATHENS")
    session = SessionFactory.create(network=athens)
    member(athens, InstitutionFactory.create(erasmus_code="NL DELFT01"))
    return str(session.code)


def _athens_web() -> Callable[[Path], Outcome]:
    code = _session()
    client = _office()
    url = reverse("networks:office_import", args=[code])
    return lambda path: _page(client, url, {}, path)


def _athens_cli() -> Callable[[Path], Outcome]:
    code = _session()
    return lambda path: _command("import-athens-courses", code, str(path), "--quiet")


def _mobility() -> int:
    mobility = MobilityFactory.create(
        offer__agreement__partner=InstitutionFactory.create(name="Paris-Saclay", country="FR"),
        # back home: a transcript is entered only once the departure is recorded
        state=MobilityState.COMPLETED,
        actual_end=dt.date(2027, 1, 31),
    )
    assert mobility.has_ended
    signed_agreement(mobility, a=[("FR101", "Thermo", 6)], b=[("0523", "Thermodynamics", 6)])
    standard("fr")
    return int(mobility.pk)


def _transcript_web() -> Callable[[Path], Outcome]:
    pk = _mobility()
    client = _office()
    url = reverse("recognition:transcript_enter", args=[pk])
    return lambda path: _page(client, url, {"action": "import"}, path)


def _transcript_cli() -> Callable[[Path], Outcome]:
    pk = _mobility()
    return lambda path: _command("recognition", "import-transcript", str(pk), str(path))


def _home() -> int:
    home = InstitutionFactory.create(country="IT", is_home=True, erasmus_code="I  MILANO02")
    CourseOfStudyFactory.create(code="MECH", isced_code="0715")
    return int(home.pk)


def _grading_web() -> Callable[[Path], Outcome]:
    home = _home()
    client = _office()
    data = {
        "institution": home,
        "scale": standard("it").pk,
        "isced_code": "0715",
        "cycle": Cycle.SECOND,
    }
    return lambda path: _page(client, reverse("recognition:grading_tables"), data, path)


def _grading_cli() -> Callable[[Path], Outcome]:
    _home()
    standard("it")
    args = ("recognition", "grading-table", "--isced", "0715", "--cycle", "second")
    return lambda path: _command(*args, str(path))


def _plain(command: str) -> Callable[[], Callable[[Path], Outcome]]:
    return lambda: lambda path: _command(command, str(path), "--quiet")


AGREEMENT = (
    [
        "agreement_code",
        "partner_erasmus_code",
        "programme",
        "start_year",
        "end_year",
        "mobility_type",
        "eqf_levels",
        "isced",
        "courses",
        "seats",
        "months",
        "language",
    ],
    [
        "A-1",
        "NL DELFT01",
        "erasmus",
        "2026/2027",
        "2027/2028",
        "study",
        "7",
        "0715",
        "MECH",
        "2",
        "5",
        "en",
    ],
)
ATHENS = (["code", "host_erasmus_code", "title", "capacity"], ["DE01", "NL DELFT01", "Robots", "2"])
CAREER = (
    [
        "student_number",
        "first_enrolment_year",
        "credits_bachelor",
        "credits_master",
        "average_bachelor",
        "average_master",
        "first_year_completed",
        "previous_exchanges",
        "months_used",
    ],
    ["100001", "2022", "180", "60", "27", "28", "yes", "0", "0"],
)
PASSED = (["student_number", "code", "title", "credits"], ["100001", "052345", "Maths", "6"])
ECHE = (["erasmus_code", "legal_name", "country_cd"], ["NL DELFT01", "TU Delft", "NL"])
TRANSCRIPT = (["code", "title", "ects", "grade"], ["FR101", "Thermo", "6", "14"])
GRADES = (["course_of_study", "academic_year", "grade"], ["MECH", "2023/2024", "27"])

IMPORTERS = [
    Importer("agreements-web", *AGREEMENT, _agreements_web),
    Importer("agreements-cli", *AGREEMENT, _plain("import-agreements")),
    Importer("institutions-cli", *ECHE, _plain("import-institutions")),
    Importer("careers-cli", *CAREER, _plain("import-careers")),
    Importer("passed-courses-cli", *PASSED, _plain("import-passed-courses")),
    Importer("athens-web", *ATHENS, _athens_web),
    Importer("athens-cli", *ATHENS, _athens_cli),
    Importer("transcript-web", *TRANSCRIPT, _transcript_web),
    Importer("transcript-cli", *TRANSCRIPT, _transcript_cli),
    Importer("grading-table-web", *GRADES, _grading_web),
    Importer("grading-table-cli", *GRADES, _grading_cli),
]

# Not what an import writes: the web session and the admin's log of a login.
UNWATCHED = {"sessions", "admin"}


def counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        # the web imports run as jobs: the job itself (with its report) is kept
        if model._meta.app_label not in UNWATCHED and model is not Job
    }


@pytest.fixture(autouse=True)
def _bounds(settings: Any) -> None:
    settings.IMPORT_MAX_MB = MAX_MB
    settings.IMPORT_MAX_ROWS = MAX_ROWS
    settings.IMPORT_MAX_ERRORS = MAX_ERRORS


@pytest.mark.parametrize("family", FAMILIES, ids=list(FAMILIES))
@pytest.mark.parametrize("importer", IMPORTERS, ids=[i.name for i in IMPORTERS])
def test_a_malformed_file_is_refused_and_nothing_is_stored(
    importer: Importer, family: str, tmp_path: Path
) -> None:
    run = importer.ready()
    suffix, data = FAMILIES[family](importer.columns, importer.row)
    path = tmp_path / f"{family}.{suffix}"
    path.write_bytes(data)
    before = counts()

    outcome = run(path)

    assert counts() == before
    assert outcome.listed <= MAX_ERRORS + 10  # the problems, a summary, a few headings
    assert "Traceback" not in outcome.text
    assert len(outcome.text) < 200_000  # a page or a message, not the file again
