"""The bounds of every import (abroad.core.importing): bytes, rows and errors listed, and the
malformed files the one reader refuses before anything is built from them."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from abroad.core.importing import (
    Bounds,
    ErrorList,
    ImportReport,
    RowError,
    TableError,
    quoted,
    read_table,
)

BOUNDS = Bounds(max_bytes=1024 * 1024, max_rows=100, max_errors=3)


def xlsx(rows: list[list[Any]]) -> io.BytesIO:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    workbook.save(data)
    data.seek(0)
    data.name = "file.xlsx"
    return data


def csv(text: str | bytes) -> io.BytesIO:
    data = io.BytesIO(text.encode() if isinstance(text, str) else text)
    data.name = "file.csv"
    return data


def refusal(source: Any, bounds: Bounds = BOUNDS) -> str:
    with pytest.raises(TableError) as error:
        read_table(source, anchors=["code"], bounds=bounds)
    return str(error.value)


def test_the_settings_are_the_bounds(settings: Any) -> None:
    settings.IMPORT_MAX_MB = 2
    settings.IMPORT_MAX_ROWS = 10
    settings.IMPORT_MAX_ERRORS = 5
    bounds = Bounds.from_settings()
    assert (bounds.max_bytes, bounds.max_rows, bounds.max_errors) == (2 * 1024 * 1024, 10, 5)
    assert bounds.max_unpacked == 20 * 1024 * 1024


def test_the_defaults_are_generous_for_real_files() -> None:
    from abroad import settings

    assert settings.IMPORT_MAX_MB == 20
    assert settings.IMPORT_MAX_ROWS == 50_000
    assert settings.IMPORT_MAX_ERRORS == 200


def test_rows_up_to_the_cap_are_read() -> None:
    table = read_table(csv("code\n" + "x\n" * BOUNDS.max_rows), anchors=["code"], bounds=BOUNDS)
    assert len(table.rows) == BOUNDS.max_rows


def test_reading_stops_at_the_row_cap_of_a_csv() -> None:
    """A million rows under the size cap: refused at the row after the cap, which the message
    names (the reader stopped there)."""
    message = refusal(csv("code\n" + "x\n" * 1_000_000), Bounds(20 * 1024 * 1024, 100, 3))
    assert message == (
        "file.csv has more than 100 rows (line 102 is beyond): abroad imports up to 100 rows "
        "at a time. Split the file, or delete the rows below the data"
    )


def test_reading_stops_at_the_row_cap_of_an_xlsx() -> None:
    message = refusal(xlsx([["code"]] + [["x"]] * 1000))
    assert "more than 100 rows (line 102 is beyond)" in message


def test_blank_rows_count_towards_a_cap_of_lines() -> None:
    """A cell a million rows down is a million blank rows to openpyxl: the reader stops at
    twice the row cap."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["code"])
    sheet.cell(row=1_000_000, column=1, value="x")
    data = io.BytesIO()
    workbook.save(data)
    data.seek(0)
    data.name = "far.xlsx"
    assert "(line 202 is beyond)" in refusal(data)


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"code\n" + b"x" * (2 * 1024 * 1024))
    assert refusal(path) == (
        "big.csv is 2.0 MB: abroad imports files of up to 1.0 MB. Split it, or take out the "
        "rows and columns it does not need"
    )
    # An open file without a size (a pipe) is read up to the cap and no further.
    unsized = csv(b"code\n" + b"x" * (2 * 1024 * 1024))
    unsized.seekable = lambda: False  # type: ignore[method-assign]
    assert "abroad imports files of up to 1.0 MB" in refusal(unsized)


def test_a_zip_bomb_is_refused_before_openpyxl_opens_it() -> None:
    data = xlsx([["code"], ["x"]])
    with zipfile.ZipFile(data, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet2.xml", b" " * (11 * 1024 * 1024))
    assert len(data.getvalue()) < 100_000
    data.seek(0)
    assert refusal(data).startswith("file.xlsx unpacks to 11.0 MB, more than the 10.0 MB")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "file.xlsx is not an XLSX file (it may be empty or damaged)"),
        (b"\x00\x01junk", "file.xlsx is not an XLSX file (it may be empty or damaged)"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
            "file.xlsx is encrypted with a password, or an old Excel file (.xls)",
        ),
    ],
)
def test_what_is_not_an_xlsx_is_refused(content: bytes, message: str) -> None:
    data = io.BytesIO(content)
    data.name = "file.xlsx"
    assert refusal(data).startswith(message)


def test_a_zip_that_is_not_a_workbook_is_refused() -> None:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("readme.txt", "hello")
    data.seek(0)
    data.name = "file.xlsx"
    assert refusal(data).startswith("file.xlsx cannot be read as XLSX (")


def test_a_nul_character_is_refused_with_its_line_and_column() -> None:
    assert refusal(csv("title\ncode,name\nA,ok\nB,b\x00d\n")) == (
        "line 4: file.csv holds a NUL character, which no text has: it is not a CSV file, or "
        "it is damaged. Save it again as CSV (UTF-8)"
    )


def test_a_csv_in_utf16_with_its_bom_is_read() -> None:
    table = read_table(csv("code\tname\nA\tÀ\n".encode("utf-16")), anchors=["code"], bounds=BOUNDS)
    assert [row.text("name") for row in table.rows] == ["À"]


def test_a_huge_csv_cell_is_refused_with_its_line() -> None:
    message = refusal(csv("code\nA\n" + "x" * 200_000 + "\n"))
    assert message.startswith("line 3 cannot be read as CSV (field larger than field limit")


def test_a_message_quotes_a_long_cell_in_part() -> None:
    assert quoted("x" * 1000) == "'" + "x" * 79 + "…'"
    assert quoted("short") == "'short'"


def test_the_errors_listed_stop_at_the_cap_and_count_the_rest() -> None:
    errors = ErrorList(limit=3)
    for line in range(2, 1002):
        errors.append(RowError(line, "code", "bad"))
    assert len(errors) == 1000
    assert errors.listed == 3
    assert [str(error) for error in errors] == [
        "line 2, column 'code': bad",
        "line 3, column 'code': bad",
        "line 4, column 'code': bad",
        "... and 997 more problems (only the first 3 are listed)",
    ]
    errors.extend([RowError(None, None, "one more")])
    assert len(errors) == 1001
    assert str(list(errors)[-1]) == "... and 998 more problems (only the first 3 are listed)"


def test_a_report_lists_at_most_the_cap(settings: Any) -> None:
    settings.IMPORT_MAX_ERRORS = 2
    report = ImportReport(file="big.csv", dry_run=False, rows=500)
    report.errors.extend(RowError(line, None, "bad") for line in range(2, 502))
    assert list(report.lines()) == [
        "big.csv: 500 problem(s) in 500 rows; nothing was imported. Correct the file and import "
        "it again.",
        "  line 2: bad",
        "  line 3: bad",
        "  ... and 498 more problems (only the first 2 are listed)",
    ]


def test_the_size_a_sheet_declares_is_not_trusted() -> None:
    """A1:XFD1048576 declared: the rows are as long as their cells, no blank rows added."""
    data = xlsx([["code", "name"], ["A", "a"]])
    out = io.BytesIO()
    with zipfile.ZipFile(data) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(
                    b'<dimension ref="A1:B2"', b'<dimension ref="A1:XFD1048576"'
                )
                assert b"XFD1048576" in content
            target.writestr(item, content)
    out.seek(0)
    out.name = "lying.xlsx"
    table = read_table(out, anchors=["code"], bounds=BOUNDS)
    assert [(row.line, row.text("name")) for row in table.rows] == [(2, "a")]


def test_cells_right_of_the_header_are_not_read() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["code"])
    sheet.cell(row=2, column=1, value="A")
    sheet.cell(row=3, column=16_384, value="far")  # a row blank under the header
    data = io.BytesIO()
    workbook.save(data)
    data.seek(0)
    data.name = "wide.xlsx"
    table = read_table(data, anchors=["code"], bounds=BOUNDS)
    assert [row.text("code") for row in table.rows] == ["A"]


def test_a_header_of_too_many_columns_is_refused() -> None:
    header = ",".join(["code"] + [f"c{n}" for n in range(300)])
    assert refusal(csv(header + "\n")) == (
        "the header row (line 1) names 301 columns: abroad reads at most 200. Delete the "
        "columns it does not need"
    )
