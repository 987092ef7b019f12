"""``python -m abroad recognition ...``: each step from the shell, with its exact output, its
refusals (a CommandError with the service's message, exit status 1) and nothing stored when
it refuses."""

from __future__ import annotations

import csv
import re
from io import StringIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from abroad.catalogue.models import Institution
from abroad.core.models import AuditEvent
from abroad.mobility.models import Mobility
from abroad.people.models import User
from abroad.recognition.enums import Method, TranscriptState
from abroad.recognition.management.commands.recognition import Command
from abroad.recognition.models import ConversionRule, GradingTable, Transcript
from tests.factories import CourseOfStudyFactory, InstitutionFactory, SchoolFactory
from tests.recognition.factories import (
    ConversionRuleFactory,
    EndedMobilityFactory,
    GradingTableFactory,
    signed_agreement,
    standard,
)
from tests.recognition.test_exports import HEADER, ROWS_2026, recognised

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

DONE = re.compile(r"^Done in \d+\.\d\d s\.$")


def run(*args: str) -> tuple[list[str], list[str]]:
    """The command's output and error lines."""
    out, err = StringIO(), StringIO()
    call_command("recognition", *args, stdout=out, stderr=err)
    return out.getvalue().splitlines(), err.getvalue().splitlines()


def timed(*args: str) -> list[str]:
    """The output lines, nothing on stderr, the timing line checked and left out."""
    lines, errors = run(*args)
    assert errors == []
    assert DONE.match(lines[-1]), lines[-1]
    return lines[:-1]


def refused(*args: str) -> tuple[str, list[str]]:
    """The CommandError's message and what went to stderr before it."""
    err = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("recognition", *args, stdout=StringIO(), stderr=err)
    assert error.value.returncode == 1
    return str(error.value), err.getvalue().splitlines()


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_refusal_exits_with_status_1(monkeypatch: Any, capsys: Any) -> None:
    """From the command line (``python -m abroad recognition ...``): the message on stderr,
    exit status 1."""
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)  # the test's database
    with pytest.raises(SystemExit) as exit:
        Command().run_from_argv(["abroad", "recognition", "import-transcript", "999999", "x.csv"])
    assert exit.value.code == 1
    assert capsys.readouterr().err == "CommandError: no mobility has the id 999999\n"


# ------------------------------------------------------------------------------------ export


@pytest.fixture
def transcripts(office: User) -> list[Transcript]:
    """Validated: Rossi (2026/2027) and Gallo (2025/2026); proposed only: Neri."""
    ConversionRuleFactory.create(name="Linear")
    people: list[tuple[str, str, str, list[str], dict[str, Any]]] = [
        ("Mario", "Rossi", "0100234", ["14", "16.5"], {}),
        ("Paolo", "Neri", "100236", ["14", "14"], {"validate": False}),
        ("Sara", "Gallo", "100237", ["20", "20"], {"year": 2025}),
    ]
    return [
        recognised(
            office, first=first, last=last, number=number, host="INSA Lyon", grades=grades, **more
        )
        for first, last, number, grades, more in people
    ]


ROSSI = [",".join(str(cell) for cell in row) for row in ROWS_2026[1:]]
GALLO = [
    "100237,Gallo Sara,054321,Analisi,6,30,INSA Lyon,2025/2026,2027-07-20,Verdi Anna",
    "100237,Gallo Sara,054322,Fisica tecnica,7.5,30,INSA Lyon,2025/2026,2027-07-20,Verdi Anna",
]


@pytest.mark.usefixtures("transcripts")
def test_export_to_the_terminal() -> None:
    lines, errors = run("export")

    assert lines == [",".join(HEADER), *GALLO, *ROSSI]
    assert errors == ["Wrote 4 recognised components (2 validated transcripts)."]
    event = AuditEvent.objects.get(action="recognition.exported")
    assert (event.actor, event.data) == (None, {"format": "csv", "rows": 4, "academic_year": None})


@pytest.mark.usefixtures("transcripts")
@pytest.mark.parametrize("year", ["2026", "2026/2027", "2026-2027"])
def test_export_one_year_to_a_csv_file(tmp_path: Path, year: str) -> None:
    target = tmp_path / "recognitions.csv"

    assert timed("export", "--year", year, "--output", str(target)) == [
        f"Wrote 2 recognised components (1 validated transcript of 2026/2027) to {target}."
    ]
    with target.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == [HEADER, *(row.split(",") for row in ROSSI)]


@pytest.mark.usefixtures("transcripts")
def test_export_to_xlsx(tmp_path: Path) -> None:
    target = tmp_path / "recognitions.xlsx"

    assert timed("export", "--format", "xlsx", "--year", "2025", "--output", str(target)) == [
        f"Wrote 2 recognised components (1 validated transcript of 2025/2026) to {target}."
    ]
    sheet = openpyxl.load_workbook(target).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows == [
        HEADER,
        ["100237", "Gallo Sara", "054321", "Analisi", 6, "30", "INSA Lyon", "2025/2026",
         "2027-07-20", "Verdi Anna"],
        ["100237", "Gallo Sara", "054322", "Fisica tecnica", 7.5, "30", "INSA Lyon", "2025/2026",
         "2027-07-20", "Verdi Anna"],
    ]  # fmt: skip


def test_export_with_nothing_validated_writes_the_header(tmp_path: Path) -> None:
    target = tmp_path / "empty.csv"
    assert timed("export", "--output", str(target)) == [
        f"Wrote 0 recognised components (0 validated transcripts) to {target}."
    ]
    assert target.read_text(encoding="utf-8-sig").splitlines() == [",".join(HEADER)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xlsx"], "an XLSX file cannot go to the terminal: add --output FILE.xlsx"),
        (
            ["--format", "csv", "--output", "{tmp}/out.xlsx"],
            "--format csv but out.xlsx is a .xlsx file: make them agree",
        ),
        (["--output", "{tmp}/out.pdf"], "'out.pdf' is neither an .xlsx nor a .csv file"),
        (
            ["--output", "{tmp}/nowhere/out.csv"],
            "there is no folder {tmp}/nowhere to write out.csv in",
        ),
        (["--year", "26/27"], "--year '26/27' is not an academic year: write 2026 or 2026/2027"),
        (
            ["--year", "2026/2028"],
            "--year '2026/2028' is not an academic year: write 2026 or 2026/2027",
        ),
    ],
)
def test_export_refusals(tmp_path: Path, args: list[str], message: str) -> None:
    given = [arg.format(tmp=tmp_path) for arg in args]

    assert refused("export", *given) == (message.format(tmp=tmp_path), [])
    assert list(tmp_path.iterdir()) == []
    assert not AuditEvent.objects.filter(action="recognition.exported").exists()


# ------------------------------------------------------------------------- import-transcript

THREE_A = [
    ("FR101", "Thermodynamique", 6),
    ("FR102", "Mécanique des fluides", 6),
    ("FR103", "Automatique", 6),
]
THREE_B = [
    ("052345", "Thermodynamics", 6),
    ("052346", "Fluid Mechanics", 6),
    ("052347", "Automatic Control", 6),
]
GOOD = "code,title,ects,grade\nFR101,Thermodynamique,6,14.5\nFR102,Mécanique des fluides,6,8\n"


@pytest.fixture
def mobility() -> Mobility:
    """At a French partner (France 0-20 is the only French scale), learning agreement v1 signed
    with three rows in tables A and B."""
    mobility: Mobility = EndedMobilityFactory.create(
        offer__agreement__partner=InstitutionFactory.create(
            name="Université Paris-Saclay", country="FR"
        ),
        student__first_name="Lucia",
        student__last_name="Ferraro",
    )
    standard("fr")
    signed_agreement(mobility, a=THREE_A, b=THREE_B)
    return mobility


def test_import_a_transcript(mobility: Mobility, tmp_path: Path) -> None:
    file = write(tmp_path / "transcript.csv", GOOD)

    assert timed("import-transcript", str(mobility.pk), file) == [
        "2 rows in transcript.csv: 1 passed, 1 failed, 1 missing",
        "Transcript of Lucia Ferraro → Université Paris-Saclay (2026/2027): entered, waiting for "
        "the student to accept it.",
    ]
    transcript = Transcript.objects.get(mobility=mobility)
    assert transcript.state == TranscriptState.ENTERED
    assert transcript.host_scale.code == "fr"
    assert list(transcript.entries.values_list("code", "grade", "outcome")) == [
        ("FR101", "14.5", "passed"),
        ("FR102", "8", "failed"),
        ("FR103", "", "missing"),
    ]
    event = AuditEvent.objects.get(action="transcript.imported")
    assert event.actor is None
    assert event.data["file"] == "transcript.csv"


def test_import_a_transcript_dry_run_stores_nothing(mobility: Mobility, tmp_path: Path) -> None:
    file = write(tmp_path / "transcript.csv", GOOD)

    assert timed("import-transcript", str(mobility.pk), file, "--dry-run", "--scale", "fr") == [
        "DRY RUN, nothing was written. 2 rows in transcript.csv: 1 passed, 1 failed, 1 missing"
    ]
    assert not Transcript.objects.exists()


def test_import_a_transcript_with_bad_rows_names_each_and_stores_nothing(
    mobility: Mobility, tmp_path: Path
) -> None:
    unreadable = write(
        tmp_path / "unreadable.csv",
        "code,title,ects,grade\nFR101,Thermodynamique,six,14\n,Projet,6,12\nFR103,,6,11\n",
    )
    assert refused("import-transcript", str(mobility.pk), unreadable) == (
        f"nothing was imported: 2 problem(s) in {unreadable}",
        [
            "unreadable.csv: 2 problem(s) in 3 rows; nothing was imported. Correct the file and "
            "import it again.",
            "  line 2, column 'ects': 'six' is not a number of credits between 0.5 and 60",
            "  line 3, column 'code': the cell is empty: write the host's code of the component",
        ],
    )
    ungraded = write(
        tmp_path / "ungraded.csv",
        "code,title,ects,grade\nFR101,Thermodynamique,6,14\nFR102,Mécanique,6,twelve\n"
        "FR101,Thermodynamique,6,15\n",
    )
    assert refused("import-transcript", str(mobility.pk), ungraded) == (
        f"nothing was imported: 2 problem(s) in {ungraded}",
        [
            "ungraded.csv: 2 problem(s) in 3 rows; nothing was imported. Correct the file and "
            "import it again.",
            "  line 3, column 'grade': 'twelve' is not a grade of France 0-20 (0-20, pass 10, "
            "step 0.01): give a number",
            "  line 4, column 'code': line 2 already reports FR101: keep one row per component",
        ],
    )
    assert not Transcript.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="transcript.").exists()


def test_import_a_transcript_refusals(mobility: Mobility, tmp_path: Path) -> None:
    file = write(tmp_path / "transcript.csv", GOOD)
    codes = "at, de, ects, es, fr, it, nl, uk, uk-pg, us"

    assert refused("import-transcript", "999999", file) == (
        "no mobility has the id 999999",
        [],
    )
    assert refused("import-transcript", str(mobility.pk), file, "--scale", "xx") == (
        f"no grading scale has the code 'xx'; the scales are: {codes}",
        [],
    )
    assert refused("import-transcript", str(mobility.pk), str(tmp_path / "missing.csv")) == (
        f"there is no file {tmp_path / 'missing.csv'}",
        [],
    )
    # The services' refusals, with their messages.
    elsewhere: Mobility = EndedMobilityFactory.create(
        offer__agreement__partner=InstitutionFactory.create(name="Universität Wien", country="AT")
    )
    assert refused("import-transcript", str(elsewhere.pk), file, "--scale", "fr") == (
        "This mobility has no learning agreement signed by all three: the transcript is checked "
        "against it.",
        [],
    )
    canada: Mobility = EndedMobilityFactory.create(
        offer__agreement__partner=InstitutionFactory.create(
            name="University of Waterloo", country="CA"
        )
    )
    assert refused("import-transcript", str(canada.pk), file) == (
        "Choose the grading scale of the transcript: 0 scales are of Canada.",
        [],
    )
    assert not Transcript.objects.exists()


def test_import_a_transcript_after_validation_is_refused(
    mobility: Mobility, office: User, tmp_path: Path
) -> None:
    file = write(tmp_path / "transcript.csv", GOOD)
    timed("import-transcript", str(mobility.pk), file)
    transcript = Transcript.objects.get(mobility=mobility)
    Transcript.objects.filter(pk=transcript.pk).update(
        state=TranscriptState.VALIDATED, validated_at=transcript.entered_at
    )

    assert refused("import-transcript", str(mobility.pk), file) == (
        "The recognition of this transcript was validated; it can no longer change.",
        [],
    )
    assert list(transcript.entries.values_list("grade", flat=True)) == ["14.5", "8", ""]


# ----------------------------------------------------------------------------- grading-table

GRADES = (
    "course_of_study,academic_year,grade,count\n"
    "3I-MSC-MECH,2024/2025,30L,2\n"
    "3I-MSC-MECH,2024/2025,30,4\n"
    "3I-MSC-MECH,2024/2025,27,6\n"
    "3I-MSC-MECH,2025/2026,24,6\n"
    "3I-MSC-MECH,2025/2026,18,2\n"
    "3I-MSC-MECH,2025/2026,15,3\n"
    "3I-MSC-AERO,2025/2026,28,5\n"
)
DISTRIBUTION = "  30L 10.00 %, 30 20.00 %, 27 30.00 %, 24 30.00 %, 18 10.00 %"
SUMMARY = (
    "7 rows in grades.csv: 20 passing grades counted, 3 fail grades and 5 grades of other "
    "fields left out"
)


@pytest.fixture
def home() -> Institution:
    home: Institution = InstitutionFactory.create(
        name="Politecnico di Milano", country="IT", is_home=True, erasmus_code="I  MILANO02"
    )
    CourseOfStudyFactory.create(code="3I-MSC-MECH", isced_code="0715")
    CourseOfStudyFactory.create(code="3I-MSC-AERO", isced_code="0716")
    standard("it")
    return home


def test_grading_table_of_the_home_institution(home: Institution, tmp_path: Path) -> None:
    file = write(tmp_path / "grades.csv", GRADES)

    lines = timed("grading-table", "--isced", "0715", "--cycle", "second", file)

    table = GradingTable.objects.get()
    assert lines == [
        SUMMARY,
        f"Grading table #{table.pk} of Politecnico di Milano: ISCED-F 0715, second cycle, "
        "2024/2025-2025/2026:",
        DISTRIBUTION,
    ]
    assert (table.institution, table.scale.code, table.first_year, table.last_year) == (
        home,
        "it",
        2024,
        2025,
    )
    assert table.counts == {"30L": 2, "30": 4, "27": 6, "24": 6, "18": 2}
    assert AuditEvent.objects.get(action="gradingtable.built").actor is None


def test_grading_table_of_a_named_institution_and_scale(home: Institution, tmp_path: Path) -> None:
    file = write(tmp_path / "grades.csv", GRADES)
    args = ("--institution", "I MILANO02", "--scale", "it", "--isced", "0715")

    assert timed("grading-table", *args, "--cycle", "second", file, "--dry-run") == [
        f"DRY RUN, nothing was written. {SUMMARY}"
    ]
    assert not GradingTable.objects.exists()

    lines = timed("grading-table", *args, "--cycle", "second", file)
    assert lines[0] == SUMMARY
    assert lines[2] == DISTRIBUTION
    assert GradingTable.objects.get().institution == home


def test_grading_table_with_bad_rows_names_each_and_stores_nothing(
    home: Institution, tmp_path: Path
) -> None:
    file = write(
        tmp_path / "grades.csv",
        "course_of_study,academic_year,grade,count\n"
        "3I-MSC-MECH,2024/2025,30L,2\n"
        "3I-MSC-XXX,2024/2025,30,4\n"
        "3I-MSC-MECH,2024,27,6\n"
        "3I-MSC-MECH,2025/2026,31,many\n",
    )

    assert refused("grading-table", "--isced", "0715", "--cycle", "second", file) == (
        f"nothing was imported: 4 problem(s) in {file}",
        [
            "grades.csv: 4 problem(s) in 4 rows; nothing was imported. Correct the file and "
            "import it again.",
            "  line 3, column 'course_of_study': no course of study has the code '3I-MSC-XXX': "
            "check it, or write the ISCED-F code",
            "  line 4, column 'academic_year': '2024' is not an academic year: write it like "
            "2023/2024",
            "  line 5, column 'grade': 31 is not a grade of Italy 0-30 (0-30, pass 18, step 1, "
            "honours 30L): it is above the highest grade 30",
            "  line 5, column 'count': 'many' is not a count: write how many times the grade was "
            "given, like 12",
        ],
    )
    one_year = write(tmp_path / "one-year.csv", "isced,academic_year,grade\n0715,2025/2026,28\n")
    assert refused("grading-table", "--isced", "0715", "--cycle", "second", one_year) == (
        f"nothing was imported: 1 problem(s) in {one_year}",
        [
            "one-year.csv: 1 problem(s) in 1 rows; nothing was imported. Correct the file and "
            "import it again.",
            "  column 'academic_year': the passing grades of ISCED-F 0715 cover 2025/2026: a "
            "grading table needs at least two academic years",
        ],
    )
    assert not GradingTable.objects.exists()
    assert not AuditEvent.objects.filter(action="gradingtable.built").exists()


def test_grading_table_refusals(home: Institution, tmp_path: Path) -> None:
    file = write(tmp_path / "grades.csv", GRADES)
    group = ("--isced", "0715", "--cycle", "second", file)

    assert refused("grading-table", "--isced", "07x", "--cycle", "second", file) == (
        "07x is not an ISCED-F code: give 2 to 4 digits, like 0715",
        [],
    )
    assert refused("grading-table", "--isced", "0715", "--cycle", "fourth", file) == (
        "fourth is not a cycle: choose one of first, second, third, long single",
        [],
    )
    assert refused("grading-table", "--institution", "F PARIS999", *group) == (
        "no institution has the Erasmus code 'F  PARIS999'",
        [],
    )
    assert refused("grading-table", "--institution", "Paris", *group)[0].startswith(
        "'Paris' is not an Erasmus code"
    )
    assert refused("grading-table", "--scale", "xx", *group)[0].startswith(
        "no grading scale has the code 'xx'"
    )
    assert refused("grading-table", "--isced", "0715", "--cycle", "second", "nothing.csv") == (
        "there is no file nothing.csv",
        [],
    )
    assert not GradingTable.objects.exists()


def test_grading_table_without_a_home_institution(tmp_path: Path) -> None:
    file = write(tmp_path / "grades.csv", GRADES)
    assert refused("grading-table", "--isced", "0715", "--cycle", "second", file) == (
        "no home institution yet: give --institution ERASMUS_CODE",
        [],
    )


# ------------------------------------------------------------------------------------ rules


def test_rules_when_there_are_none() -> None:
    assert run("rules") == (["No conversion rules yet: the office adds them in the admin."], [])


def test_rules_by_scope() -> None:
    school = SchoolFactory.create(code="AUIC-ARCH", name="AUIC – Architecture")
    course = CourseOfStudyFactory.create(code="3I-MSC-MECH", isced_code="0715")
    dublin = InstitutionFactory.create(name="Technological University Dublin", country="IE")
    french = ConversionRuleFactory.create(
        name="Ministry formula: France 0-20", parameters={"rounding": "half up"}
    )
    spanish = ConversionRuleFactory.create(
        name="Ministry formula: Spain 0-10",
        host_scale=standard("es"),
        parameters={"rounding": "nearest", "lode_at_best": True},
    )
    letters = ConversionRuleFactory.create(
        name="ECTS letters", host_scale=standard("ects"), method=Method.ECTS_FALLBACK, parameters={}
    )
    table = ConversionRuleFactory.create(
        name="AUIC-ARCH table",
        school=school,
        method=Method.FIXED_TABLE,
        parameters={"bands": [["20", "15", "30"], ["14.99", "10", "24"]]},
    )
    two_step = ConversionRuleFactory.create(
        name="Mechanical engineering: through letters",
        course_of_study=course,
        method=Method.TWO_STEP,
        parameters={
            "host_bands": [["20", "14", "A"], ["13.99", "10", "B"]],
            "home_bands": [["30L", "28", "A"], ["27", "18", "B"]],
        },
    )
    host_table = GradingTableFactory.create(
        institution=dublin, scale=standard("uk"), percentages={"70": "40", "55": "60"}
    )
    home_table = GradingTableFactory.create(
        institution=InstitutionFactory.create(name="Politecnico di Milano")
    )
    tables = ConversionRuleFactory.create(
        name="TU Dublin: grading tables",
        partner=dublin,
        course_of_study=course,
        host_scale=standard("uk"),
        method=Method.GRADING_TABLES,
        parameters={"policy": "average"},
        host_table=host_table,
        home_table=home_table,
    )
    group = "ISCED-F 0715, second cycle, 2022/2023-2023/2024"

    assert run("rules") == (
        [
            "6 conversion rules (1 partner institution, 1 course of study, 1 School, 3 default); "
            "for a mobility the most specific that applies wins.",
            "Partner institution:",
            f"  #{tables.pk} TU Dublin: grading tables [partner Technological University Dublin, "
            "course of study 3I-MSC-MECH]: UK percentage (undergraduate) → Italy 0-30, grading "
            f"tables (EGRACONS), average; host table #{host_table.pk} (Technological University "
            f"Dublin, {group}), home table #{home_table.pk} (Politecnico di Milano, {group})",
            "Course of study:",
            f"  #{two_step.pk} Mechanical engineering: through letters [course of study "
            "3I-MSC-MECH]: France 0-20 → Italy 0-30, two-step table through ECTS letters, 2 host "
            "bands",
            "School:",
            f"  #{table.pk} AUIC-ARCH table [School AUIC-ARCH]: France 0-20 → Italy 0-30, fixed "
            "table, 2 bands",
            "Every mobility (default):",
            f"  #{letters.pk} ECTS letters: ECTS → Italy 0-30, ECTS letters (10/25/30/25/10), "
            "closest",
            f"  #{french.pk} Ministry formula: France 0-20: France 0-20 → Italy 0-30, linear "
            "formula, rounding half up",
            f"  #{spanish.pk} Ministry formula: Spain 0-10: Spain 0-10 → Italy 0-30, linear "
            "formula, rounding nearest, 30L for the host's best grade",
        ],
        [],
    )


def test_rules_names_a_rule_that_cannot_convert() -> None:
    rule = ConversionRuleFactory.create(name="Typo", parameters={"rounding": "sideways"})

    lines, _errors = run("rules")

    assert lines[-1] == (
        f"  #{rule.pk} Typo: France 0-20 → Italy 0-30, linear formula, rounding sideways; "
        "CANNOT CONVERT: 'sideways' is not one of 'half up', 'nearest', 'down', 'up'"
    )
    assert ConversionRule.objects.count() == 1
