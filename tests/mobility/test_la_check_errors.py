"""The learning agreement editor's live checks when a value cannot be read (issue 18, point
11): the check answers 200 with the field's error, linked to the field, and the findings of
the rest; it never stops silently. And the editor's bounded "Add a row" (MAX_ROWS)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from abroad.mobility.enums import Table
from abroad.mobility.forms import EXTRA_ROWS, MAX_ROWS
from abroad.mobility.models import Mobility
from abroad.people.models import User
from tests.mobility.factories import MobilityFactory, agreement_with_rows

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def mobility(student: User) -> Mobility:
    found: Mobility = MobilityFactory.create(student=student)
    agreement_with_rows(found)
    return found


def _url(name: str, mobility: Mobility) -> str:
    return reverse(f"mobility:{name}", kwargs={"pk": mobility.pk})


def _data(a: list[dict[str, str]], *, total_a: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"language": "en", "language_level": "B2"}
    for table in Table.values:
        rows = a if table == Table.A else []
        count = total_a if (table == Table.A and total_a is not None) else len(rows)
        data |= {
            f"{table}-TOTAL_FORMS": str(count),
            f"{table}-INITIAL_FORMS": "0",
            f"{table}-MIN_NUM_FORMS": "0",
            f"{table}-MAX_NUM_FORMS": str(MAX_ROWS),
        }
        for index, row in enumerate(rows):
            data |= {f"{table}-{index}-{name}": value for name, value in row.items()}
    return data


def _row(ects: str, code: str = "HOST1") -> dict[str, str]:
    return {"code": code, "title": f"Course {code}", "term": "Fall", "ects": ects}


@pytest.mark.parametrize(
    ("ects", "error"),
    [
        ("999", "Ensure this value is less than or equal to 60."),
        ("-3", "Ensure this value is greater than or equal to 0.5."),
        ("12345", "Ensure that there are no more than 4 digits in total."),
        ("six", "Write the ECTS as a number, e.g. 6 or 7.5."),
        ("1e400", "Ensure that there are no more than 4 digits in total."),
    ],
)
def test_a_value_out_of_range_is_named_not_silent(
    personas: dict[str, Client], mobility: Mobility, ects: str, error: str
) -> None:
    data = _data([_row(ects), _row("6", "HOST2")])
    response = personas["student"].post(_url("la_check", mobility), data, **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page
    assert "Some values cannot be read: correct them and the checks go on." in page
    assert 'data-field="id_A-0-ects"' in page
    assert f'<a href="#id_A-0-ects">Table A, row 1, ECTS</a>: {error}' in page.replace(
        "&quot;", '"'
    ).replace("&#x27;", "'")
    # the rest is still checked: the row that can be read counts
    totals = {t.table: t.total for t in response.context["totals"]}
    assert totals["A"] == "6"


def test_a_readable_draft_has_no_field_errors(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    response = personas["student"].post(_url("la_check", mobility), _data([_row("6")]), **HTMX)
    assert response.status_code == 200
    assert "Some values cannot be read" not in response.content.decode()


def test_too_many_rows_are_refused_with_a_reason(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    rows = [_row("1", f"HOST{i}") for i in range(MAX_ROWS + 1)]
    response = personas["student"].post(_url("la_check", mobility), _data(rows), **HTMX)
    assert response.status_code == 200
    assert f"Table A: Please submit at most {MAX_ROWS} forms." in response.content.decode()


def test_the_editor_offers_add_a_row_up_to_the_maximum(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    page = personas["student"].get(_url("la_edit", mobility)).content.decode()
    for table in Table.values:
        assert f'data-add-row="{table}"' in page
        assert f'<template id="la-new-row-{table}">' in page
        assert f'name="{table}-MAX_NUM_FORMS" value="{MAX_ROWS}"' in page
    assert 'id="id_A-__prefix__-code"' in page
    assert "A table has at most 40 rows." in page
    assert EXTRA_ROWS[Table.A] == 3
