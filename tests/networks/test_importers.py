"""Importing a session's course catalogue (CSV and XLSX): a good file creates and updates
courses; a file with bad rows imports nothing and names every one with its line, column and
reason; the command and the office page do the same."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from abroad.core.models import AuditEvent
from abroad.networks.importers import import_courses
from abroad.networks.models import AthensCourse, AthensSession
from tests.factories import InstitutionFactory, NetworkFactory, member
from tests.networks.factories import CourseFactory, SessionFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

HEADER = (
    "code,host_erasmus_code,host_schac,title,isced,language,starts_on,ends_on,capacity,"
    "prerequisites,description,cultural_programme,fee"
)


@pytest.fixture
def session() -> AthensSession:
    athens = NetworkFactory.create(code="athens", name="ATHENS")
    session = SessionFactory.create(network=athens)
    member(
        athens,
        InstitutionFactory.create(
            name="TU Delft", erasmus_code="NL DELFT01", schac_code="tudelft.nl"
        ),
    )
    member(
        athens,
        InstitutionFactory.create(
            name="KU Leuven", erasmus_code="B  LEUVEN01", schac_code="kuleuven.be"
        ),
    )
    InstitutionFactory.create(
        name="Not a member", erasmus_code="F  PARIS001", schac_code="paris.fr"
    )
    return session


def _csv(*rows: str) -> io.BytesIO:
    data = io.BytesIO("\n".join((HEADER, *rows)).encode())
    data.name = "courses.csv"
    return data


GOOD = (
    "DE01,NL DELFT01,,Robotics,0714,en,2027-03-13,2027-03-20,2,Maths,About robots,Canal tour,0",
    'LE01,,kuleuven.be,Beer and chemistry,0531,fr,,,"3",,,,"25,50"',
)


def test_a_good_file_creates_the_courses(session: AthensSession) -> None:
    report = import_courses(_csv(*GOOD), session=session)
    assert report.errors == []
    assert (report.rows, report.created, report.updated) == (2, 2, 0)
    robotics, beer = AthensCourse.objects.order_by("code")
    assert (robotics.code, robotics.host.name, robotics.capacity, robotics.isced_code) == (
        "DE01",
        "TU Delft",
        2,
        "0714",
    )
    assert robotics.cultural_programme == "Canal tour"
    assert (beer.host.name, beer.language, beer.fee, beer.starts_on) == (
        "KU Leuven",
        "fr",
        Decimal("25.50"),
        session.starts_on,
    )
    assert AuditEvent.objects.get(action="athens.courses_imported").data["created"] == 2


def test_importing_again_updates_by_code(session: AthensSession) -> None:
    import_courses(_csv(*GOOD), session=session)
    report = import_courses(
        _csv("DE01,NL DELFT01,,Robotics and AI,0714,en,,,5,,,,"), session=session
    )
    assert (report.created, report.updated) == (0, 1)
    course = AthensCourse.objects.get(code="DE01")
    assert (course.title, course.capacity) == ("Robotics and AI", 5)
    assert AthensCourse.objects.count() == 2


def test_every_bad_row_is_reported_and_nothing_is_imported(session: AthensSession) -> None:
    existing = CourseFactory.create(session=session, code="OLD", title="Old title")
    report = import_courses(
        _csv(
            GOOD[0],
            "DE02,NL DELFT99,,Unknown host,0714,en,,,2,,,,",
            "DE03,F PARIS001,,Not a member,0714,en,,,2,,,,",
            "DE04,NL DELFT01,,,9999,xx,13-03-2027,,0,,,,-5",
            "DE01,NL DELFT01,,Twice,0714,en,,,1,,,,",
            "DE05,NL DELFT01,,Backwards,0714,en,2027-03-20,2027-03-13,1,,,,",
            "OLD,NL DELFT01,,New title,0714,en,,,1,,,,",
        ),
        session=session,
    )
    assert [str(error) for error in report.errors] == [
        "line 3, column 'host_erasmus_code': no institution in the catalogue has this code: add "
        "the institution first",
        "line 4, column 'host_erasmus_code': Not a member is not a member of ATHENS: record its "
        "membership first",
        "line 5, column 'title': give the course's title",
        "line 5, column 'isced': '9999' is not an ISCED-F field of 3 or 4 digits, like 071 or 0715",
        "line 5, column 'language': 'xx' is not a language code: write an ISO 639-1 code like en, "
        "fr or de",
        "line 5, column 'starts_on': '13-03-2027' is not a date: write it like 2027-03-13 or "
        "13/03/2027",
        "line 5, column 'capacity': '0' is not a number of places between 1 and 100",
        "line 5, column 'fee': '-5' is not a fee in euros between 0 and 10000",
        "line 6, column 'code': the code 'DE01' is already on line 2: each course once",
        "line 7, column 'ends_on': the course ends before it starts",
    ]
    assert list(AthensCourse.objects.values_list("code", flat=True)) == ["OLD"]
    existing.refresh_from_db()
    assert existing.title == "Old title"
    assert not AuditEvent.objects.filter(action="athens.courses_imported").exists()


def test_a_header_without_a_host_column_or_with_unknown_columns(session: AthensSession) -> None:
    data = io.BytesIO(b"code,title,capacity,teacher\nX1,Title,2,Someone\n")
    data.name = "courses.csv"
    report = import_courses(data, session=session)
    assert [(e.line, e.column) for e in report.errors] == [
        (1, "teacher"),
        (1, "host_erasmus_code"),
    ]
    assert not AthensCourse.objects.exists()


def test_an_xlsx_file(session: AthensSession, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["ATHENS March session"])  # a title above the header
    sheet.append(HEADER.split(","))
    sheet.append(["DE01", "NL DELFT01", None, "Robotics", "0714", "en", None, None, 2.0])
    path = tmp_path / "courses.xlsx"
    workbook.save(path)
    report = import_courses(path, session=session)
    assert report.errors == []
    assert AthensCourse.objects.get().capacity == 2


def test_a_dry_run_writes_nothing(session: AthensSession) -> None:
    report = import_courses(_csv(*GOOD), session=session, dry_run=True)
    assert (report.ok, report.created) == (True, 2)
    assert not AthensCourse.objects.exists()


def test_the_command(session: AthensSession, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("\n".join((HEADER, *GOOD)))
    out = io.StringIO()
    call_command("import-athens-courses", session.code, str(good), "--quiet", stdout=out)
    assert "2 rows in good.csv: 2 created, 0 updated" in out.getvalue()
    assert AthensCourse.objects.count() == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join((HEADER, "X,NL DELFT01,,,0714,en,,,2,,,,")))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported: 1 problem"):
        call_command("import-athens-courses", session.code, str(bad), "--quiet", stderr=err)
    assert "line 2, column 'title': give the course's title" in err.getvalue()
    with pytest.raises(CommandError, match="there is no session 'nope'"):
        call_command("import-athens-courses", "nope", str(good))
