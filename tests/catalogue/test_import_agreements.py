"""The agreements spreadsheet: import (atomic, every bad row reported), export, round trip,
and the two commands."""

from __future__ import annotations

import csv
import io
from io import StringIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import ProtectedError, QuerySet

from abroad.catalogue.enums import AgreementStatus, MobilityType, Programme
from abroad.catalogue.importers.agreements import (
    COLUMNS,
    Change,
    RowError,
    export_agreements,
    import_agreements,
)
from abroad.catalogue.models import Agreement, Offer, School
from abroad.core.models import AuditEvent
from tests.factories import (
    AgreementFactory,
    OfferFactory,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

HEADER = list(COLUMNS[:19])  # the office's sheet, without the three optional extras

GOOD_ROWS = [
    # Delft: an Erasmus+ agreement with two offers; the second names a School.
    ["DELFT-1", "NL DELFT01", "", "erasmus", "", "2026/2027", "2028/2029", "active", "rossi",
     "study", "7", "0715", "MECH-MSC", "3", "6", "yes", "en", "B2", "Good labs"],
    ["DELFT-1", "NL DELFT01", "", "erasmus", "", "2026/2027", "2028/2029", "active", "rossi",
     "thesis", "6;7", "0715", "3I", "1", "5", "no", "en", "", ""],
    # ETH through IDEA League, the partner named by its SCHAC code, the promoter by e-mail.
    ["ETH-IDEA", "", "ethz.ch", "network", "idea-league", "2026/2027", "2026/2027", "draft",
     "rossi@polimi.example", "study_thesis", "7", "0731", "ARCH-MSC;MECH-MSC", "2", "10", "no",
     "de", "C1", ""],
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
    sheet.title = "Agreements"
    sheet.append(["Agreements of the International Mobility Unit"])  # a title above
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def with_cell(column: str, value: Any, row: int = 0) -> list[list[Any]]:
    rows = [list(good) for good in GOOD_ROWS]
    rows[row][HEADER.index(column)] = value
    return rows


def snapshot() -> list[tuple[Any, ...]]:
    """The agreements and offers, in a form that compares equal when they are the same."""
    result = []
    for agreement in Agreement.objects.order_by("code"):
        offers = sorted(
            (
                offer.mobility_type,
                offer.level_bachelor,
                offer.level_master,
                offer.level_doctorate,
                offer.isced_code,
                tuple(sorted(course.code for course in offer.courses.all())),
                offer.seats,
                offer.months,
                offer.extendable,
                offer.language,
                offer.language_level,
                offer.language_notes,
                offer.notes,
            )
            for offer in agreement.offers.all()
        )
        result.append(
            (
                agreement.code,
                agreement.partner_id,
                agreement.programme,
                agreement.network_id,
                agreement.start_year,
                agreement.end_year,
                agreement.status,
                agreement.promoter_id,
                agreement.partner_contact,
                agreement.notes,
                offers,
            )
        )
    return result


def database_state() -> tuple[Any, ...]:
    return (
        list(Agreement.objects.order_by("pk").values()),
        list(Offer.objects.order_by("pk").values()),
        list(Offer.courses.through.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


# ---------------------------------------------------------------------------------------
# Good files


@pytest.mark.parametrize("writer", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_a_good_file_creates_the_agreements_and_their_offers(
    agreement_refs: dict[str, Any], tmp_path: Path, writer: Any
) -> None:
    suffix = ".csv" if writer is write_csv else ".xlsx"
    report = import_agreements(writer(tmp_path / f"agreements{suffix}", GOOD_ROWS))

    assert report.errors == []
    assert report.counts() == {
        "rows": 3,
        "agreements_created": 2,
        "agreements_updated": 0,
        "agreements_unchanged": 0,
        "offers_created": 3,
        "offers_removed": 0,
        "offers_unchanged": 0,
    }
    delft = Agreement.objects.get(code="DELFT-1")
    assert delft.partner == agreement_refs["delft"]
    assert (delft.programme, delft.start_year, delft.end_year) == (Programme.ERASMUS, 2026, 2028)
    assert delft.status == AgreementStatus.ACTIVE
    assert delft.promoter == agreement_refs["promoter"]
    study, thesis = delft.offers.order_by("id")
    assert study.mobility_type == MobilityType.STUDY
    assert study.eqf_levels == [7]
    assert (study.isced_code, study.seats, study.months, study.extendable) == ("0715", 3, 6, True)
    assert (study.language, study.language_level, study.notes) == ("en", "B2", "Good labs")
    assert list(study.courses.all()) == [agreement_refs["mech_msc"]]
    # "3I" is every course of the School at the offer's levels 6 and 7.
    assert thesis.eqf_levels == [6, 7]
    assert {course.code for course in thesis.courses.all()} == {"MECH-MSC", "MECH-BSC"}
    assert (thesis.extendable, thesis.language_level) == (False, "")

    eth = Agreement.objects.get(code="ETH-IDEA")
    assert (eth.partner, eth.network) == (agreement_refs["eth"], agreement_refs["network"])
    assert eth.promoter == agreement_refs["promoter"]
    assert eth.status == AgreementStatus.DRAFT
    (offer,) = eth.offers.all()
    assert {course.code for course in offer.courses.all()} == {"ARCH-MSC", "MECH-MSC"}

    event = AuditEvent.objects.get(action="agreements.imported")
    assert event.data["agreements_created"] == 2
    assert event.data["offers_created"] == 3


def test_excel_numbers_and_loose_spelling_are_read(
    agreement_refs: dict[str, Any], tmp_path: Path
) -> None:
    """Excel stores 0715 as 715 and 3 as 3.0; people write 'I MILANO02' with one space,
    'Study Thesis', 'en ' and 'b2'."""
    rows = [
        ["AGR-1", "NL  DELFT01", "TUDelft.nl", "Erasmus", None, "2026-2027", "2026/2027",
         "Active", None, "Study Thesis", 7, 715, "mech-msc", 3.0, 6, "YES", "EN ", "b2", None],
    ]  # fmt: skip
    report = import_agreements(write_xlsx(tmp_path / "a.xlsx", rows))
    assert report.errors == []
    offer = Offer.objects.get()
    assert (offer.isced_code, offer.seats, offer.mobility_type) == ("0715", 3, "study_thesis")
    assert (offer.extendable, offer.language, offer.language_level) == (True, "en", "B2")


def test_a_semicolon_separated_csv_with_a_bom_is_read(
    agreement_refs: dict[str, Any], tmp_path: Path
) -> None:
    """What Excel in Italian saves as CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(HEADER)
    writer.writerows(GOOD_ROWS)
    path = tmp_path / "agreements.csv"
    path.write_bytes(("\ufeff" + buffer.getvalue()).encode("utf-8"))
    report = import_agreements(path)
    assert report.errors == []
    assert Offer.objects.count() == 3


def test_dry_run_reports_and_writes_nothing(agreement_refs: dict[str, Any], tmp_path: Path) -> None:
    report = import_agreements(write_csv(tmp_path / "a.csv", GOOD_ROWS), dry_run=True)
    assert report.errors == []
    assert (len(report.created), report.offers_created) == (2, 3)
    assert Agreement.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_reimporting_an_agreement_updates_it_and_replaces_its_offers(
    agreement_refs: dict[str, Any], tmp_path: Path
) -> None:
    import_agreements(write_csv(tmp_path / "a.csv", GOOD_ROWS))
    kept = Offer.objects.get(agreement__code="DELFT-1", mobility_type="study")
    rows = [list(row) for row in GOOD_ROWS[:2]]
    for row in rows:
        row[HEADER.index("status")] = "suspended"
    rows[1][HEADER.index("seats")] = "2"  # the thesis offer changes: one removed, one created
    report = import_agreements(write_csv(tmp_path / "b.csv", rows))

    assert report.errors == []
    (outcome,) = report.outcomes
    assert outcome.changes == (Change("status", "active", "suspended"),)
    assert (outcome.offers_created, outcome.offers_removed, outcome.offers_unchanged) == (1, 1, 1)
    assert str(outcome) == (
        "DELFT-1: status: 'active' -> 'suspended'; offers 1 created, 1 removed, 1 unchanged"
    )
    delft = Agreement.objects.get(code="DELFT-1")
    assert delft.status == AgreementStatus.SUSPENDED
    assert sorted(delft.offers.values_list("seats", flat=True)) == [2, 3]
    # The unchanged offer is the same row: what refers to it stays valid.
    assert delft.offers.filter(pk=kept.pk).exists()
    # The agreement that is not in the file is left alone.
    assert Agreement.objects.get(code="ETH-IDEA").offers.count() == 1


# ---------------------------------------------------------------------------------------
# Bad rows: each names its line, column, the value and the fix


BAD_CELLS = [
    pytest.param(
        "partner_erasmus_code",
        "F  PARIS001",
        "no institution has the Erasmus code 'F  PARIS001': check the code, or add the "
        "institution first (import-institutions loads the Commission's list)",
        id="unknown-partner",
    ),
    pytest.param(
        "partner_erasmus_code",
        "DELFT",
        "'DELFT' is not an Erasmus code: write one like 'I MILANO02' or 'NL DELFT01'",
        id="bad-erasmus-code",
    ),
    pytest.param(
        "partner_erasmus_code",
        "",
        "no partner: write the partner's Erasmus code or its SCHAC code",
        id="no-partner",
    ),
    pytest.param(
        "partner_schac",
        "ethz.ch",
        "'ethz.ch' is the SCHAC code of ETH Zurich, but the Erasmus code 'NL DELFT01' is that "
        "of TU Delft: correct one of the two, or leave one empty",
        id="two-partners",
    ),
    pytest.param(
        "agreement_code",
        "X" * 41,
        f"'{'X' * 41}' is longer than 40 characters: shorten it",
        id="agreement-code-too-long",
    ),
    pytest.param(
        "programme",
        "erasmus+",
        "'erasmus+' is not one of erasmus, bilateral, double_degree, network",
        id="bad-programme",
    ),
    pytest.param(
        "start_year",
        "2026",
        "'2026' is not an academic year like 2026/2027",
        id="bad-year",
    ),
    pytest.param(
        "end_year",
        "2025/2027",
        "'2025/2027' is not an academic year like 2026/2027",
        id="bad-year-span",
    ),
    pytest.param(
        "end_year",
        "2025/2026",
        "'2025/2026' comes before the start_year '2026/2027': the last academic year cannot "
        "come before the first",
        id="end-before-start",
    ),
    pytest.param(
        "status",
        "open",
        "'open' is not one of draft, active, suspended, ended",
        id="bad-status",
    ),
    pytest.param(
        "promoter",
        "bianchi",
        "no promoter has the username or e-mail 'bianchi': write those of a user who is a "
        "promoter, or leave the cell empty",
        id="unknown-promoter",
    ),
    pytest.param(
        "mobility_type",
        "internship",
        "'internship' is not one of study, thesis, study_thesis",
        id="bad-mobility-type",
    ),
    pytest.param(
        "eqf_levels",
        "5",
        "'5' is not a list of EQF levels among 6, 7 and 8 separated by ';', like 6;7",
        id="bad-eqf",
    ),
    pytest.param(
        "isced",
        "9999",
        "'9999' is not an ISCED-F field code: write a code like 0715 (mechanics), 0731 "
        "(architecture), 0732 (civil engineering), 0613 (software) or 0212 (design)",
        id="bad-isced",
    ),
    pytest.param(
        "courses",
        "MECH-MSC;NOPE",
        "'NOPE': not the code of a course of study or of a School; check the codes in the "
        "courses of study",
        id="unknown-course",
    ),
    pytest.param(
        "courses",
        "MECH-BSC",
        "the course of study 'MECH-BSC' is at EQF 6, which is not among the offer's eqf_levels "
        "7: add its level or remove the course",
        id="course-at-another-level",
    ),
    pytest.param(
        "courses",
        "",
        "the cell is empty: write course of study codes separated by ';', or School codes for "
        "all the School's courses at the offer's levels",
        id="no-course",
    ),
    pytest.param(
        "seats",
        "three",
        "'three' is not a whole number between 1 and 200",
        id="seats-not-a-number",
    ),
    pytest.param(
        "seats",
        "0",
        "'0' is not a whole number between 1 and 200",
        id="seats-zero",
    ),
    pytest.param(
        "months",
        "2.5",
        "'2.5' is not a whole number between 1 and 24",
        id="months-not-whole",
    ),
    pytest.param(
        "months",
        "",
        "the cell is empty: write months per seat, a whole number between 1 and 24",
        id="months-empty",
    ),
    pytest.param(
        "extendable",
        "maybe",
        "'maybe' is not yes or no",
        id="bad-extendable",
    ),
    pytest.param(
        "language",
        "english",
        "'english' is not an ISO 639-1 language code abroad knows, like en, it, fr, de or es",
        id="bad-language",
    ),
    pytest.param(
        "language_level",
        "B3",
        "'B3' is not a CEFR level (A1, A2, B1, B2, C1 or C2), or empty",
        id="bad-cefr",
    ),
]


@pytest.mark.parametrize(("column", "value", "message"), BAD_CELLS)
def test_a_bad_cell_is_reported_with_line_column_and_fix_and_nothing_is_imported(
    agreement_refs: dict[str, Any], tmp_path: Path, column: str, value: str, message: str
) -> None:
    report = import_agreements(write_csv(tmp_path / "a.csv", with_cell(column, value)))
    assert report.errors == [RowError(2, column, message)]
    assert not report.imported
    assert Agreement.objects.count() == 0


def test_the_seats_message_reads_as_the_office_sees_it(
    agreement_refs: dict[str, Any], tmp_path: Path
) -> None:
    rows = [*GOOD_ROWS, *with_cell("seats", "three")[:1]]
    report = import_agreements(write_csv(tmp_path / "a.csv", rows))
    assert [str(error) for error in report.errors] == [
        "line 5, column 'seats': 'three' is not a whole number between 1 and 200"
    ]


def test_a_network_programme_without_its_network_is_refused(
    agreement_refs: dict[str, Any], tmp_path: Path
) -> None:
    report = import_agreements(write_csv(tmp_path / "a.csv", with_cell("network", "", row=2)))
    assert report.errors == [
        RowError(
            4,
            "network",
            "a network programme needs its network's code here: write one of idea-league",
        )
    ]


def test_an_unknown_network_is_refused(agreement_refs: dict[str, Any], tmp_path: Path) -> None:
    report = import_agreements(write_csv(tmp_path / "a.csv", with_cell("network", "atenas", 2)))
    assert report.errors == [
        RowError(4, "network", "no network has the code 'atenas': write one of idea-league")
    ]


def test_rows_of_one_agreement_must_agree(agreement_refs: dict[str, Any], tmp_path: Path) -> None:
    rows = with_cell("programme", "bilateral", row=1)
    report = import_agreements(write_csv(tmp_path / "a.csv", rows))
    assert report.errors == [
        RowError(
            3,
            "programme",
            "'bilateral' differs from 'erasmus' on line 2 for the same agreement 'DELFT-1': an "
            "agreement's columns must be the same on all its rows",
        )
    ]


def test_every_bad_row_is_reported(agreement_refs: dict[str, Any], tmp_path: Path) -> None:
    rows = [list(row) for row in GOOD_ROWS]
    rows[0][HEADER.index("seats")] = "three"
    rows[0][HEADER.index("language_level")] = "B3"
    rows[2][HEADER.index("start_year")] = "26/27"
    report = import_agreements(write_csv(tmp_path / "a.csv", rows))
    assert [(error.line, error.column) for error in report.errors] == [
        (2, "seats"),
        (2, "language_level"),
        (4, "start_year"),
    ]
    assert report.summary() == (
        "a.csv: 3 problem(s) in 3 rows; nothing was imported. Correct the file and import it again."
    )


def test_a_missing_required_column_is_named(agreement_refs: dict[str, Any], tmp_path: Path) -> None:
    header = [column for column in HEADER if column != "seats"]
    rows = [[cell for column, cell in zip(HEADER, row, strict=True) if column != "seats"]
            for row in GOOD_ROWS]  # fmt: skip
    report = import_agreements(write_csv(tmp_path / "a.csv", rows, header=header))
    assert report.errors == [RowError(1, "seats", "the header row has no column seats: add it")]
    assert str(report.errors[0]) == (
        "line 1, column 'seats': the header row has no column seats: add it"
    )


def test_both_partner_columns_missing_is_named(
    agreement_refs: dict[str, Any], tmp_path: Path
) -> None:
    header = [c for c in HEADER if c not in ("partner_erasmus_code", "partner_schac")]
    report = import_agreements(write_csv(tmp_path / "a.csv", [], header=header))
    assert report.errors == [
        RowError(
            1,
            "partner_erasmus_code",
            "the header row has neither partner_erasmus_code nor partner_schac: add one of them",
        )
    ]


def test_an_unknown_column_is_named(agreement_refs: dict[str, Any], tmp_path: Path) -> None:
    header = [*HEADER[:-1], "langauge_notes"]
    report = import_agreements(write_csv(tmp_path / "a.csv", GOOD_ROWS, header=header))
    assert len(report.errors) == 1
    assert report.errors[0].column == "langauge_notes"
    assert report.errors[0].message.startswith(
        "abroad does not read a column 'langauge_notes': rename it to one of agreement_code, "
    )


def test_a_file_without_the_header_row_is_refused(tmp_path: Path, db: None) -> None:
    path = tmp_path / "a.csv"
    path.write_text("code,partner\nX,Y\n", encoding="utf-8")
    report = import_agreements(path)
    assert [str(error) for error in report.errors] == [
        "a.csv has no header row with the columns agreement_code in its first 20 rows"
    ]


def test_an_unreadable_file_is_refused(tmp_path: Path, db: None) -> None:
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"not a spreadsheet")
    report = import_agreements(path)
    assert len(report.errors) == 1
    assert str(report.errors[0]).startswith("a.xlsx is not an XLSX file")


def test_one_bad_row_among_good_ones_leaves_the_database_exactly_as_before(
    agreement_refs: dict[str, Any], tmp_path: Path
) -> None:
    import_agreements(write_csv(tmp_path / "first.csv", GOOD_ROWS[:1]))
    before = database_state()
    rows = [list(row) for row in GOOD_ROWS]
    rows[0][HEADER.index("seats")] = "5"  # would update DELFT-1's offer
    rows[2][HEADER.index("months")] = "many"  # but this row is bad
    report = import_agreements(write_csv(tmp_path / "second.csv", rows))
    assert report.errors == [RowError(4, "months", "'many' is not a whole number between 1 and 24")]
    assert report.outcomes == []
    assert database_state() == before


# ---------------------------------------------------------------------------------------
# Export and the round trip


@pytest.fixture
def agreements(agreement_refs: dict[str, Any]) -> list[Agreement]:
    delft = AgreementFactory.create(
        code="DELFT-1",
        partner=agreement_refs["delft"],
        promoter=agreement_refs["promoter"],
        partner_contact="Erasmus office, TU Delft",
        notes="Apply early.\nMechanical engineering only.",
    )
    OfferFactory.create(
        agreement=delft, courses=[agreement_refs["mech_msc"]], notes='Labs, "clean" room'
    )
    OfferFactory.create(
        agreement=delft,
        mobility_type=MobilityType.THESIS,
        level_bachelor=True,
        level_master=True,
        isced_code="0731",
        seats=1,
        months=12,
        extendable=True,
        language="nl",
        language_level="",
        language_notes="Dutch courses for the thesis",
        courses=[
            agreement_refs["mech_msc"],
            agreement_refs["mech_bsc"],
            agreement_refs["arch_msc"],
        ],
    )
    eth = AgreementFactory.create(
        code="ETH-IDEA",
        partner=agreement_refs["eth"],
        programme=Programme.NETWORK,
        network=agreement_refs["network"],
        status=AgreementStatus.DRAFT,
        start_year=2027,
        end_year=2027,
    )
    OfferFactory.create(agreement=eth, level_doctorate=True, language="de", language_level="C2",
                 courses=[agreement_refs["arch_msc"]])  # fmt: skip
    empty = AgreementFactory.create(code="EMPTY-1", partner=agreement_refs["delft"], status="ended")
    return [Agreement.objects.get(code=agreement.code) for agreement in (delft, eth, empty)]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_into_an_empty_catalogue_reproduces_the_agreements(
    agreements: list[Agreement], tmp_path: Path, suffix: str
) -> None:
    before = snapshot()
    path = tmp_path / f"agreements{suffix}"
    assert export_agreements(path) == 4  # three offers, and a row for the agreement without
    Agreement.objects.all().delete()
    assert Offer.objects.count() == 0

    report = import_agreements(path)

    assert report.errors == []
    assert (len(report.created), report.offers_created) == (3, 3)
    assert snapshot() == before
    # Importing the same file again changes nothing.
    again = import_agreements(path)
    assert again.counts() == {
        "rows": 4,
        "agreements_created": 0,
        "agreements_updated": 0,
        "agreements_unchanged": 3,
        "offers_created": 0,
        "offers_removed": 0,
        "offers_unchanged": 3,
    }
    assert snapshot() == before


def test_the_export_writes_the_columns_the_import_reads(
    agreements: list[Agreement], tmp_path: Path
) -> None:
    path = tmp_path / "agreements.csv"
    export_agreements(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert list(rows[0]) == list(COLUMNS)
    thesis = next(row for row in rows if row["mobility_type"] == "thesis")
    assert {k: thesis[k] for k in HEADER} == {
        "agreement_code": "DELFT-1",
        "partner_erasmus_code": "NL DELFT01",
        "partner_schac": "tudelft.nl",
        "programme": "erasmus",
        "network": "",
        "start_year": "2026/2027",
        "end_year": "2028/2029",
        "status": "active",
        "promoter": "rossi",
        "mobility_type": "thesis",
        "eqf_levels": "6;7",
        "isced": "0731",
        "courses": "ARCH-MSC;MECH-BSC;MECH-MSC",
        "seats": "1",
        "months": "12",
        "extendable": "yes",
        "language": "nl",
        "language_level": "",
        "notes": "",
    }
    assert AuditEvent.objects.get(action="agreements.exported").data == {
        "format": "csv",
        "rows": 4,
    }


def test_the_xlsx_export_keeps_codes_as_text(agreements: list[Agreement], tmp_path: Path) -> None:
    path = tmp_path / "agreements.xlsx"
    export_agreements(path, agreements=Agreement.objects.filter(code="DELFT-1"))
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3
    isced = sheet.cell(row=2, column=COLUMNS.index("isced") + 1)
    assert (isced.value, isced.number_format) == ("0715", "@")


# ---------------------------------------------------------------------------------------
# The commands


def test_import_command_prints_the_report(agreement_refs: dict[str, Any], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "agreements.csv", GOOD_ROWS)
    out = StringIO()
    call_command("import-agreements", str(path), "--dry-run", stdout=out)
    assert out.getvalue().splitlines()[0] == (
        "DRY RUN, nothing was written. 3 rows in agreements.csv: agreements 2 created, "
        "0 updated, 0 unchanged; offers 3 created, 0 removed, 0 unchanged"
    )
    assert Agreement.objects.count() == 0

    out = StringIO()
    call_command("import-agreements", str(path), "--quiet", stdout=out)
    assert out.getvalue().splitlines() == [
        "3 rows in agreements.csv: agreements 2 created, 0 updated, 0 unchanged; offers "
        "3 created, 0 removed, 0 unchanged",
        "  DELFT-1: created with 2 offer(s)",
        "  ETH-IDEA: created with 1 offer(s)",
    ]
    assert Agreement.objects.count() == 2


def test_import_command_fails_listing_every_bad_row(
    agreement_refs: dict[str, Any], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "agreements.csv", with_cell("seats", "three"))
    err = StringIO()
    with pytest.raises(CommandError, match=r"nothing was imported: 1 problem\(s\) in "):
        call_command("import-agreements", str(path), stderr=err)
    assert err.getvalue().splitlines() == [
        "agreements.csv: 1 problem(s) in 3 rows; nothing was imported. Correct the file and "
        "import it again.",
        "  line 2, column 'seats': 'three' is not a whole number between 1 and 200",
    ]
    assert Agreement.objects.count() == 0


def test_export_command_writes_the_file(agreements: list[Agreement], tmp_path: Path) -> None:
    out = StringIO()
    path = tmp_path / "agreements.xlsx"
    call_command("export-agreements", str(path), stdout=out)
    assert out.getvalue() == f"4 rows written to {path}\n"
    assert import_agreements(path, dry_run=True).errors == []

    out = StringIO()
    call_command("export-agreements", str(tmp_path / "a.csv"), "--status", "draft", stdout=out)
    assert out.getvalue().startswith("1 rows written")


def test_export_command_refuses_another_format(tmp_path: Path, db: None) -> None:
    with pytest.raises(CommandError, match=r"'a.pdf' is neither an .xlsx nor a .csv file"):
        call_command("export-agreements", str(tmp_path / "a.pdf"))


def test_schools_with_sections_expand_to_the_sections_courses(
    agreement_refs: dict[str, Any], tmp_path: Path
) -> None:
    rows = with_cell("courses", "AUIC", row=2)
    report = import_agreements(write_csv(tmp_path / "a.csv", rows))
    assert report.errors == []
    offer = Offer.objects.get(agreement__code="ETH-IDEA")
    assert [course.code for course in offer.courses.all()] == ["ARCH-MSC"]
    assert School.objects.get(code="AUIC-ARCH").parent == School.objects.get(code="AUIC")


def test_offers_in_use_stop_the_whole_import(
    agreement_refs: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When an offer the file would remove is protected (students chose it), nothing of the
    file is imported, not even the agreements before it."""
    import_agreements(write_csv(tmp_path / "first.csv", GOOD_ROWS[:2]))
    before = database_state()
    original = QuerySet.delete

    def protected(self: QuerySet[Any]) -> Any:
        if self.model is Offer:
            raise ProtectedError("in use", set())
        return original(self)

    monkeypatch.setattr(QuerySet, "delete", protected)
    rows = [GOOD_ROWS[2], *with_cell("seats", "9")[:2]]  # ETH-IDEA first, then DELFT-1 changes
    report = import_agreements(write_csv(tmp_path / "second.csv", rows))

    assert report.errors == [
        RowError(
            3,
            "agreement_code",
            "this file would remove offers of agreement 'DELFT-1' that are in use (students "
            "chose them): keep those offers in the file as they are, or change them in the admin",
        )
    ]
    assert database_state() == before


def _planner(table: str) -> tuple[float | None, int]:
    """How many rows the database's query planner believes ``table`` holds (None: it has no
    statistics for it), and how many times it was analysed (PostgreSQL; 0 on SQLite, whose
    statistics table is transactional: the rows alone tell)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone() is None:
                return None, 0
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
            row = cursor.fetchone()
            return (float(row[0].split()[0]) if row else None), 0
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT c.reltuples, s.analyze_count FROM pg_class c"
            " JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relname = %s",
            [table],
        )
        rows, analyses = cursor.fetchone()
        return (None if rows < 0 else float(rows)), analyses


@pytest.mark.django_db(transaction=True)
def test_an_import_leaves_the_planner_fresh_statistics(
    agreement_refs: dict[str, Any], tmp_path: Path
) -> None:
    """After an import has committed, the query planner knows the new size of the tables
    (SQLite guesses without ``ANALYZE``: with ten times the demo a catalogue filter took 440 ms
    instead of 4)."""
    OfferFactory.create_batch(4)
    _rows, analyses = _planner("catalogue_offer")
    report = import_agreements(write_csv(tmp_path / "a.csv", GOOD_ROWS))
    assert report.errors == []
    assert Offer.objects.count() == 7
    rows, analyses_after = _planner("catalogue_offer")
    assert rows == 7
    assert _planner("catalogue_agreement")[0] == Agreement.objects.count()
    if connection.vendor == "postgresql":
        assert analyses_after == analyses + 1


def test_no_statistics_are_written_inside_a_transaction_on_postgresql(
    agreement_refs: dict[str, Any], tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    """PostgreSQL keeps a table's size outside transactions: an import rolled back (a test's,
    run inside one) must not leave the planner a size that never was. SQLite's statistics
    are rolled back with the rest, so it analyses there."""
    _rows, analyses = _planner("catalogue_offer")
    with django_capture_on_commit_callbacks(execute=True):
        import_agreements(write_csv(tmp_path / "a.csv", GOOD_ROWS))
    rows, analyses_after = _planner("catalogue_offer")
    if connection.vendor == "postgresql":
        assert analyses_after == analyses
    else:
        assert rows == Offer.objects.count()
