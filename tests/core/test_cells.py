"""The cell parsers and the header check every importer shares (abroad.core.importing)."""

from __future__ import annotations

import pytest

from abroad.core.importing import (
    Invalid,
    RowError,
    academic_year,
    check_columns,
    header_check,
    isced,
    yes_no,
)


@pytest.mark.parametrize("text", ["yes", "Y", "true", "1", "sì", "si", "x", " YES "])
def test_yes(text: str) -> None:
    assert yes_no(text) is True


@pytest.mark.parametrize("text", ["no", "N", "false", "0"])
def test_no(text: str) -> None:
    assert yes_no(text) is False


def test_an_empty_cell_is_the_stated_default_or_an_error() -> None:
    assert yes_no("", default=False) is False
    assert yes_no("", default=True) is True
    with pytest.raises(Invalid, match=r"^'' is not yes or no$"):
        yes_no("")
    with pytest.raises(Invalid, match=r"^'maybe' is not yes or no$"):
        yes_no("maybe", default=False)


def test_academic_year() -> None:
    assert academic_year("2026/2027") == 2026
    assert academic_year("2026", plain=True) == 2026
    with pytest.raises(Invalid, match=r"^'2026' is not an academic year like 2026/2027$"):
        academic_year("2026")
    with pytest.raises(Invalid, match=r"^'soon' is wrong$"):
        academic_year("soon", message="%(value)s is wrong")


def test_isced_puts_back_the_leading_zero_excel_drops() -> None:
    assert isced(715, "715") == "0715"
    assert isced("071", "071") == "071"
    assert isced(71, "71") == "071"
    assert isced(7, "7", lengths=(2, 3, 4)) == "07"
    with pytest.raises(Invalid, match=r"^'07' is not an ISCED-F field code"):
        isced("07", "07")  # a broad field, where 3 or 4 digits are wanted
    with pytest.raises(Invalid, match=r"^'9999' is odd$"):
        isced(9999, "9999", message="%(value)s is odd")


def test_header_check() -> None:
    check = header_check(
        known=["a", "b", "c", "d", "e"], required=["a"], one_of=[("b", "c")], together=[("d", "e")]
    )
    errors: list[RowError] = []
    check(["d", "x"], 1, errors)
    assert [str(error) for error in errors] == [
        "line 1, column 'x': abroad does not read a column 'x': rename it to one of a, b, c, d, e, "
        "or remove it",
        "line 1, column 'a': the header row has no column a: add it",
        "line 1, column 'b': the header row has neither b nor c: add one of them",
        "line 1, column 'e': the columns d and e go together: add e",
    ]
    errors = []
    check_columns(["a", "c", "d", "e"], 1, errors, known=["a", "c", "d", "e"], required=["a"])
    assert errors == []
