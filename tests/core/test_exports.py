"""Every export writes text that a spreadsheet shows but never runs (issue 13, item 2), and a
file exported and imported again comes back unchanged."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from abroad.core.importing import defuse, read_table, undefuse, write_table
from tests.factories import OfferFactory

ARMED = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
HARMLESS = ["TU Delft", "", "'quoted", "a=b", "2+2"]
COLUMNS = ["name", "number"]


@pytest.mark.parametrize("text", ARMED)
def test_armed_text_is_defused_and_comes_back(text: str) -> None:
    assert defuse(text).startswith("'")
    assert undefuse(defuse(text)) == text


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_text_is_left_alone(text: str) -> None:
    assert defuse(text) == text
    assert undefuse(text) == text


def test_numbers_stay_numbers() -> None:
    assert defuse(-3) == -3


def _rows() -> list[dict[str, object]]:
    return [{"name": text, "number": i} for i, text in enumerate(ARMED + HARMLESS)]


def test_a_csv_export_has_no_live_formula_and_reads_back_the_same() -> None:
    buffer = io.BytesIO()
    write_table(buffer, columns=COLUMNS, rows=_rows(), fmt="csv")
    lines = list(csv.reader(io.StringIO(buffer.getvalue().decode("utf-8-sig"), newline="")))
    for name, _number in lines[1:]:
        assert not name.startswith(("=", "+", "-", "@", "\t", "\r"))
    buffer.seek(0)
    table = read_table(buffer, anchors=COLUMNS, name="export.csv")
    assert [row.cells["name"] for row in table.rows if row.cells["name"]] == [
        text for text in ARMED + HARMLESS if text
    ]


def test_an_xlsx_export_has_text_cells_only() -> None:
    buffer = io.BytesIO()
    write_table(buffer, columns=COLUMNS, rows=_rows(), fmt="xlsx")
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as package:
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # no formula anywhere
    assert "<f " not in sheet
    buffer.seek(0)
    workbook = openpyxl.load_workbook(buffer)
    names = [cell.value for cell in next(iter(workbook.worksheets[0].iter_cols(min_row=2)))]
    assert [name for name in names if name] == [text for text in ARMED + HARMLESS if text]


@pytest.mark.django_db
def test_the_catalogue_export_defuses_a_partners_name(client: Client) -> None:
    OfferFactory.create(agreement__code="EU-1", agreement__partner__name="=1+2")
    response = client.get(reverse("catalogue:offers-export"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][1] == "'=1+2"


def test_headers_are_what_the_header_row_says_and_rows_stay_keyed() -> None:
    """Issue 18, point 15: a person reads labels in their language; the rows keep their keys."""
    from django.utils import translation
    from django.utils.translation import gettext_lazy

    from abroad.core.importing import country_label, labels, yes_no_label

    rows = [{"name": "Kraków", "number": 1}]
    with translation.override("it"):
        headers = labels([gettext_lazy("Country"), "=cmd"])
        buffer = io.BytesIO()
        write_table(buffer, columns=COLUMNS, rows=rows, fmt="csv", headers=headers)
        assert (country_label("PL"), yes_no_label(True), yes_no_label(None)) == (
            "Polonia",
            "sì",
            "",
        )
    data = buffer.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines() == ["Paese,'=cmd", "Kraków,1"]
    with pytest.raises(ValueError, match="one header per column"):
        write_table(io.BytesIO(), columns=COLUMNS, rows=rows, fmt="csv", headers=["one"])
    workbook = io.BytesIO()
    write_table(workbook, columns=COLUMNS, rows=rows, fmt="xlsx", headers=["Name", "Number"])
    workbook.seek(0)
    sheet = openpyxl.load_workbook(workbook).active
    assert sheet is not None
    assert list(sheet.iter_rows(values_only=True)) == [("Name", "Number"), ("Kraków", 1)]
