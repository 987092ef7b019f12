"""The import of the Commission's list of ECHE holders, on the real list and on small copies
written with the same layout (sheet "Report 2", a blank first row, then the header)."""

from __future__ import annotations

import time
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from abroad.catalogue.importers.eche import (
    Change,
    Rejected,
    import_eche,
    normalise_website,
    source_label,
)
from abroad.catalogue.models import Institution
from abroad.core.importing import TableError
from abroad.core.models import AuditEvent

HEADER = [
    "Proposal number",
    "Erasmus Code",
    "PIC",
    "OID",
    "Legal Name",
    "Street",
    "Post Cd",
    "City",
    "Country Cd",
    "Website Url",
    "Erasmus Eche Start",
    "Erasmus Eche End",
]

# What the list of 8 April 2026 holds, verified row by row: 6,142 data rows (spreadsheet rows
# 3 to 6,144). Three codes fail the Erasmus-code format check (a space inside the code, a
# one-digit number); the eleven Kosovo rows (XK) import because the settings add Kosovo.
REAL_ROWS = 6142
BAD_CODE_ROWS = [768, 3786, 4410]
KOSOVO_ROWS = list(range(6134, 6145))
REJECTED_ROWS = BAD_CODE_ROWS
CREATED = REAL_ROWS - len(REJECTED_ROWS)  # 6,139


def eche_row(code: str, name: str, city: str, country: str, website: Any = None) -> list[Any]:
    return ["101000001", code, "999879881", "E10000001", name, "Street 1", "20133", city,
            country, website, None, None]  # fmt: skip


def write_eche(path: Path, rows: list[list[Any]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Report 2"
    sheet.append([None] * len(HEADER))
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


@pytest.mark.integration
@pytest.mark.django_db
def test_the_real_list_creates_every_valid_institution_and_a_second_run_changes_nothing(
    eche_file: Path,
) -> None:
    started = time.perf_counter()
    report = import_eche(eche_file)
    first = time.perf_counter() - started

    assert report.rows == REAL_ROWS
    assert len(report.created) == CREATED
    assert report.updated == []
    assert report.unchanged == 0
    assert [rejected.line for rejected in report.rejected] == REJECTED_ROWS
    assert Institution.objects.count() == CREATED
    assert report.source == "ECHE list 2026-04-08"

    polimi = Institution.objects.get(erasmus_code="I  MILANO02")
    assert (polimi.name, polimi.city, polimi.country.code) == (
        "POLITECNICO DI MILANO",
        "MILANO",
        "IT",
    )
    assert polimi.pic == "999879881"
    assert polimi.website == "https://www.polimi.it"
    assert polimi.source == "ECHE list 2026-04-08"
    # Greece is EL in the list and GR in ISO 3166.
    assert Institution.objects.filter(country="GR").count() == 32
    # Kosovo's rows, and the codes with a nine-character city, are in.
    assert Institution.objects.filter(country="XK").count() == len(KOSOVO_ROWS)
    assert (
        Institution.objects.filter(erasmus_code__in=["I  FROSINONE03", "F  ST-JOSEPH01"]).count()
        == 2
    )
    event = AuditEvent.objects.get(action="institutions.imported")
    assert event.actor is None
    assert event.data["created"] == CREATED
    assert event.data["updated"] == 0

    started = time.perf_counter()
    again = import_eche(eche_file)
    second = time.perf_counter() - started
    assert len(again.created) == 0
    assert again.updated == []
    assert again.unchanged == CREATED
    assert Institution.objects.count() == CREATED
    assert AuditEvent.objects.filter(action="institutions.imported").count() == 2
    # Measured at about 2 s and 1.5 s on SQLite: bulk writes, one query to read the table.
    assert first + second < 30, (first, second)


@pytest.mark.integration
@pytest.mark.django_db
def test_the_real_list_rejects_rows_with_their_row_number_and_reason(eche_file: Path) -> None:
    report = import_eche(eche_file, dry_run=True)
    by_line = {rejected.line: rejected for rejected in report.rejected}
    assert by_line[768] == Rejected(
        768,
        "DK FREDERICIA 01",
        "'DK FREDERICIA 01' is not an Erasmus code: expected a country prefix of 1 to 3 "
        "letters, the city in capitals and two digits, like 'I MILANO02' or 'NL DELFT01'",
    )
    assert sorted(by_line) == BAD_CODE_ROWS
    assert 6140 not in by_line  # Kosovo (XK) is known


@pytest.mark.integration
@pytest.mark.django_db
def test_dry_run_on_the_real_list_reports_and_writes_nothing(eche_file: Path) -> None:
    report = import_eche(eche_file, dry_run=True)
    assert report.dry_run
    assert len(report.created) == CREATED
    assert Institution.objects.count() == 0
    assert AuditEvent.objects.count() == 0


@pytest.mark.integration
@pytest.mark.django_db
def test_an_update_reports_each_changed_field_and_keeps_what_the_office_set(
    tmp_path: Path,
) -> None:
    first = write_eche(
        tmp_path / "eche_20260101.xlsx",
        [
            eche_row("I  MILANO02", "POLITECNICO DI MILANO", "MILANO", "IT", "www.polimi.it"),
            eche_row("NL DELFT01", "TECHNISCHE UNIVERSITEIT DELFT", "DELFT", "NL", None),
            eche_row("G  ATHINE42", "ETHNIKO METSOVIO POLYTECHNEIO", "ATHINA", "EL"),
        ],
    )
    assert len(import_eche(first).created) == 3
    polimi = Institution.objects.get(erasmus_code="I  MILANO02")
    polimi.schac_code = "polimi.it"
    polimi.name_en = "Politecnico di Milano"
    polimi.latitude, polimi.longitude = Decimal("45.47813"), Decimal("9.22725")
    polimi.save()

    second = write_eche(
        tmp_path / "eche_20260408.xlsx",
        [
            # The name and the website change; the city is the same (with NBSP and blanks).
            eche_row("I MILANO02", "Politecnico di Milano", "\xa0MILANO ", "IT", "polimi.it/"),
            eche_row("NL DELFT01", "TECHNISCHE UNIVERSITEIT DELFT", "DELFT", "NL", None),
            eche_row("G  ATHINE42", "ETHNIKO METSOVIO POLYTECHNEIO", "ATHINA", "EL"),
            eche_row("I MILANO2", "Bad code", "MILANO", "IT"),
            eche_row("XX NOWHERE01", "Nowhere University", "NOWHERE", "QQ"),
            eche_row("E  MADRID05", "  ", "MADRID", "ES"),
            eche_row("UK LONDON01", "A London College", "LONDON", "UK", "info@london.ac.uk"),
        ],
    )
    report = import_eche(second)

    assert report.created == ["UK LONDON01"]
    assert report.unchanged == 2
    assert [(update.erasmus_code, update.changes) for update in report.updated] == [
        (
            "I  MILANO02",
            (
                Change("name", "POLITECNICO DI MILANO", "Politecnico di Milano"),
                Change("website", "https://www.polimi.it", "https://polimi.it/"),
                Change("source", "ECHE list 2026-01-01", "ECHE list 2026-04-08"),
            ),
        )
    ]
    assert [(rejected.line, rejected.reason) for rejected in report.rejected] == [
        (
            6,
            "'I MILANO2' is not an Erasmus code: expected a country prefix of 1 to 3 letters, "
            "the city in capitals and two digits, like 'I MILANO02' or 'NL DELFT01'",
        ),
        (7, "unknown country 'QQ': not an ISO 3166 country code abroad knows"),
        (8, "missing name (Legal Name is empty)"),
    ]
    assert [str(left_out) for left_out in report.warnings] == [
        "row 9 (UK LONDON01): website 'info@london.ac.uk' is not a web address; left out"
    ]
    polimi.refresh_from_db()
    assert polimi.name == "Politecnico di Milano"
    assert polimi.city == "MILANO"
    assert polimi.website == "https://polimi.it/"
    assert (polimi.schac_code, polimi.name_en) == ("polimi.it", "Politecnico di Milano")
    assert (polimi.latitude, polimi.longitude) == (Decimal("45.47813"), Decimal("9.22725"))
    assert Institution.objects.get(erasmus_code="G  ATHINE42").country.code == "GR"
    london = Institution.objects.get(erasmus_code="UK LONDON01")
    assert (london.country.code, london.website) == ("GB", "")
    # An empty website in the list does not erase one the office typed.
    delft = Institution.objects.get(erasmus_code="NL DELFT01")
    assert delft.website == ""


@pytest.mark.integration
@pytest.mark.django_db
def test_codes_are_matched_ignoring_the_padding(tmp_path: Path) -> None:
    office = Institution.objects.create(name="Delft", country="NL", website="https://tudelft.nl")
    # A code typed with one space before normalisation existed (as an old database may hold).
    Institution.objects.filter(pk=office.pk).update(erasmus_code="I MILANO02")
    path = write_eche(tmp_path / "eche.xlsx", [eche_row("I  MILANO02", "Delft", "", "NL")])
    report = import_eche(path)
    assert report.created == []
    assert [update.changes for update in report.updated] == [
        (
            Change("erasmus_code", "I MILANO02", "I  MILANO02"),
            Change("pic", "", "999879881"),
            Change("source", "", "ECHE list"),
        )
    ]
    office.refresh_from_db()
    assert office.erasmus_code == "I  MILANO02"
    assert office.website == "https://tudelft.nl"


@pytest.mark.integration
@pytest.mark.django_db
def test_a_code_twice_in_the_file_is_rejected_the_second_time(tmp_path: Path) -> None:
    path = write_eche(
        tmp_path / "eche.xlsx",
        [eche_row("NL DELFT01", "Delft", "DELFT", "NL"), eche_row("NL DELFT01", "D", "D", "NL")],
    )
    report = import_eche(path)
    assert report.created == ["NL DELFT01"]
    assert [str(rejected) for rejected in report.rejected] == [
        "row 4 (NL DELFT01): the Erasmus code 'NL DELFT01' is already on row 3"
    ]


@pytest.mark.integration
@pytest.mark.django_db
def test_dry_run_reports_updates_without_writing(tmp_path: Path) -> None:
    Institution.objects.create(name="OLD NAME", country="NL", erasmus_code="NL DELFT01")
    path = write_eche(tmp_path / "eche.xlsx", [eche_row("NL DELFT01", "NEW NAME", "DELFT", "NL")])
    report = import_eche(path, dry_run=True)
    assert [update.changes[0] for update in report.updated] == [
        Change("name", "OLD NAME", "NEW NAME")
    ]
    assert Institution.objects.get().name == "OLD NAME"
    assert AuditEvent.objects.count() == 0


@pytest.mark.integration
@pytest.mark.django_db
def test_a_file_without_the_header_is_refused(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Code", "Name"])
    workbook.save(tmp_path / "other.xlsx")
    with pytest.raises(TableError, match="no header row with the columns country_cd"):
        import_eche(tmp_path / "other.xlsx")


@pytest.mark.integration
@pytest.mark.django_db
def test_command_prints_the_report(tmp_path: Path) -> None:
    path = write_eche(
        tmp_path / "eche_20260408.xlsx",
        [eche_row("NL DELFT01", "Delft", "DELFT", "NL"), eche_row("BAD", "X", "X", "NL")],
    )
    out = StringIO()
    call_command("import-institutions", str(path), "--dry-run", stdout=out)
    assert out.getvalue().splitlines()[0] == (
        "DRY RUN, nothing was written. 2 rows in eche_20260408.xlsx: 1 institutions would be "
        "created, 0 updated, 0 unchanged, 1 rows rejected"
    )
    assert Institution.objects.count() == 0

    out = StringIO()
    call_command("import-institutions", str(path), "--quiet", stdout=out)
    assert out.getvalue().splitlines() == [
        "2 rows in eche_20260408.xlsx: 1 institutions were created, 0 updated, 0 unchanged, "
        "1 rows rejected",
        "Rejected rows (1), not imported:",
        "  row 4 (BAD): 'BAD' is not an Erasmus code: expected a country prefix of 1 to 3 "
        "letters, the city in capitals and two digits, like 'I MILANO02' or 'NL DELFT01'",
    ]
    assert Institution.objects.get().erasmus_code == "NL DELFT01"


@pytest.mark.integration
@pytest.mark.django_db
def test_command_refuses_a_file_it_cannot_read(tmp_path: Path) -> None:
    (tmp_path / "list.pdf").write_bytes(b"%PDF")
    with pytest.raises(CommandError, match=r"'list.pdf' is neither an .xlsx nor a .csv file"):
        call_command("import-institutions", str(tmp_path / "list.pdf"))


@pytest.mark.unit
@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("www.ph-noe.ac.at", "https://www.ph-noe.ac.at"),
        ("http://www.fhv.at ", "http://www.fhv.at"),
        ("https://hochschule-burgenland.at/", "https://hochschule-burgenland.at/"),
        ("www. iesadaja.centros.educa.jcyl.es", "https://www.iesadaja.centros.educa.jcyl.es"),
        ("http//www.univ-perp.fr", "http://www.univ-perp.fr"),
        ("/llompart.cat", "https://llompart.cat"),
        ("38002791@gobiernodecanarias.org / http://www.lalaboral.com", "http://www.lalaboral.com"),
        ("03014851@edu.gva.es", None),
        ("http://www.lyc-joliotcurie@ac-aix-marseille.fr", None),
        ("20004497200087", None),
        ("", None),
        (None, None),
    ],
)
def test_websites_become_web_addresses_or_nothing(raw: str | None, url: str | None) -> None:
    assert normalise_website(raw) == url


@pytest.mark.unit
@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("eche_20260408.xlsx", "ECHE list 2026-04-08"),
        ("accredited-HEIs-Erasmus-2021-2027_08042026.xlsx", "ECHE list 2026-04-08"),
        ("/tmp/eche-2025-11-30.xlsx", "ECHE list 2025-11-30"),
        ("eche.xlsx", "ECHE list"),
    ],
)
def test_the_source_names_the_date_of_the_list(name: str, label: str) -> None:
    assert source_label(name) == label


# Institutions that leave the list: marked, named, never deleted; back on the list, unmarked.

ECHE_2025 = [
    eche_row("NL DELFT01", "TECHNISCHE UNIVERSITEIT DELFT", "DELFT", "NL"),
    eche_row("G  ATHINE42", "ETHNIKO METSOVIO POLYTECHNEIO", "ATHINA", "EL"),
    eche_row("I  MILANO01", "UNIVERSITA DEGLI STUDI DI MILANO", "MILANO", "IT"),
]
WITHOUT_ATHENS = [row for row in ECHE_2025 if row[1] != "G  ATHINE42"]


def _withdrawn_on(code: str) -> Any:
    return Institution.objects.get(erasmus_code=code).eche_withdrawn_on


@pytest.mark.integration
@pytest.mark.django_db
def test_an_institution_missing_from_a_new_edition_is_marked_and_named(tmp_path: Path) -> None:
    import_eche(write_eche(tmp_path / "eche_20250101.xlsx", ECHE_2025))
    report = import_eche(write_eche(tmp_path / "eche_20260101.xlsx", WITHOUT_ATHENS))

    assert report.withdrawn == ["G  ATHINE42"]
    lines = list(report.lines())
    assert lines[0].endswith("0 rows rejected, 1 were withdrawn from the list")
    assert "Withdrawn, no longer on the list (1):" in lines
    assert "  G  ATHINE42" in lines
    assert _withdrawn_on("G  ATHINE42") is not None
    assert _withdrawn_on("NL DELFT01") is None
    assert Institution.objects.count() == 3  # marked, not deleted
    event = AuditEvent.objects.filter(action="institutions.imported").latest("id")
    assert event.data["withdrawn"] == ["G  ATHINE42"]

    # A third edition without it names it no more: it is already marked.
    again = import_eche(write_eche(tmp_path / "eche_20260601.xlsx", WITHOUT_ATHENS))
    assert again.withdrawn == []


@pytest.mark.integration
@pytest.mark.django_db
def test_a_row_rejected_in_the_new_edition_is_not_a_withdrawal(tmp_path: Path) -> None:
    import_eche(write_eche(tmp_path / "eche_20250101.xlsx", ECHE_2025))
    rows = [*WITHOUT_ATHENS, eche_row("G  ATHINE42", "  ", "ATHINA", "EL")]
    report = import_eche(write_eche(tmp_path / "eche_20260101.xlsx", rows))
    assert len(report.rejected) == 1
    assert report.withdrawn == []


@pytest.mark.integration
@pytest.mark.django_db
def test_dry_run_names_the_withdrawn_and_changes_nothing(tmp_path: Path) -> None:
    import_eche(write_eche(tmp_path / "eche_20250101.xlsx", ECHE_2025))
    events = AuditEvent.objects.count()
    path = write_eche(tmp_path / "eche_20260101.xlsx", WITHOUT_ATHENS)

    out = StringIO()
    call_command("import-institutions", str(path), "--dry-run", stdout=out)

    printed = out.getvalue().splitlines()
    assert printed[0].endswith("1 would be withdrawn from the list")
    assert "  G  ATHINE42" in printed
    assert _withdrawn_on("G  ATHINE42") is None
    assert AuditEvent.objects.count() == events


@pytest.mark.integration
@pytest.mark.django_db
def test_an_institution_back_on_the_list_is_unmarked(tmp_path: Path) -> None:
    import_eche(write_eche(tmp_path / "eche_20250101.xlsx", ECHE_2025))
    import_eche(write_eche(tmp_path / "eche_20260101.xlsx", WITHOUT_ATHENS))
    assert _withdrawn_on("G  ATHINE42") is not None

    report = import_eche(write_eche(tmp_path / "eche_20270101.xlsx", ECHE_2025))

    assert report.reinstated == ["G  ATHINE42"]
    assert report.withdrawn == []
    assert "Back on the list (1):" in list(report.lines())
    assert _withdrawn_on("G  ATHINE42") is None
    event = AuditEvent.objects.filter(action="institutions.imported").latest("id")
    assert event.data["reinstated"] == ["G  ATHINE42"]


@pytest.mark.integration
@pytest.mark.django_db
def test_the_home_and_hand_made_institutions_are_never_withdrawn(tmp_path: Path) -> None:
    import_eche(write_eche(tmp_path / "eche_20250101.xlsx", ECHE_2025))
    home = Institution.objects.get(erasmus_code="I  MILANO01")
    home.is_home = True
    home.save()
    Institution.objects.create(name="Hand made", country="FR", erasmus_code="F  PARIS999")
    Institution.objects.create(
        name="Typed in", country="FR", erasmus_code="F  LYON01", source="the office"
    )

    only_delft = [row for row in ECHE_2025 if row[1] == "NL DELFT01"]
    report = import_eche(write_eche(tmp_path / "eche_20260101.xlsx", only_delft))

    assert report.withdrawn == ["G  ATHINE42"]
    for code in ("I  MILANO01", "F  PARIS999", "F  LYON01"):
        assert _withdrawn_on(code) is None


@pytest.mark.integration
@pytest.mark.django_db
def test_a_file_whose_rows_are_all_rejected_withdraws_nothing(tmp_path: Path) -> None:
    import_eche(write_eche(tmp_path / "eche_20250101.xlsx", ECHE_2025))
    report = import_eche(
        write_eche(tmp_path / "eche_20260101.xlsx", [eche_row("BAD", "X", "X", "NL")])
    )
    assert report.withdrawn == []
    assert not Institution.objects.filter(eche_withdrawn_on__isnull=False).exists()


@pytest.mark.integration
@pytest.mark.django_db
def test_the_home_named_by_the_setting_is_never_withdrawn(tmp_path: Path, settings: Any) -> None:
    settings.HOME_ERASMUS_CODE = "G  ATHINE42"
    import_eche(write_eche(tmp_path / "eche_20250101.xlsx", ECHE_2025))
    report = import_eche(write_eche(tmp_path / "eche_20260101.xlsx", WITHOUT_ATHENS))
    assert report.withdrawn == []
    assert _withdrawn_on("G  ATHINE42") is None
