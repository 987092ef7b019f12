"""The pure checks of a learning agreement: exact messages, and properties over any rows."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abroad.mobility.checks import Context, Finding, Row, check, has_errors
from abroad.mobility.enums import ComponentStatus, ReasonCode, Stage, Table

pytestmark = pytest.mark.unit

SEMESTER = Context(months=6)


def a(title: str = "Host course", ects: str | None = "6", code: str = "", **kwargs: object) -> Row:
    return Row(
        table=Table.A,
        title=title,
        code=code,
        ects=Decimal(ects) if ects is not None else None,
        **kwargs,  # type: ignore[arg-type]
    )


def b(title: str = "Home course", ects: str | None = "6", code: str = "", **kwargs: object) -> Row:
    return Row(
        table=Table.B,
        title=title,
        code=code,
        ects=Decimal(ects) if ects is not None else None,
        **kwargs,  # type: ignore[arg-type]
    )


def semester(n: int = 5) -> list[Row]:
    """A complete semester: ``n`` host courses of 30/n ECTS and as many home courses."""
    each = str(Decimal(30) / n)
    return [a(f"Host {i}", each, f"H{i}") for i in range(n)] + [
        b(f"Home {i}", each, f"P{i}") for i in range(n)
    ]


def messages(found: list[Finding]) -> list[str]:
    return [f.message for f in found]


# ------------------------------------------------------------------------------- examples


def test_check_a_complete_semester_finds_nothing() -> None:
    assert check(semester(), SEMESTER) == []


def test_check_empty_agreement_asks_for_table_a() -> None:
    assert check([], SEMESTER) == [
        Finding("error", "empty", "Add the courses you will take at the host (table A).", "A")
    ]


def test_check_row_without_title_or_credits() -> None:
    rows = [*semester(), a(title=" ", ects=None, code="X1")]

    found = check(rows, SEMESTER)

    assert found[:2] == [
        Finding("error", "title", "Table A, row 6: give the title.", "A", 6),
        Finding(
            "error",
            "ects",
            "Table A, row 6: give the ECTS credits (a number above 0).",
            "A",
            6,
        ),
    ]
    assert has_errors(found)


@pytest.mark.parametrize("ects", ["0", "-3"])
def test_check_credits_must_be_above_zero(ects: str) -> None:
    found = check([a(ects=ects)], SEMESTER)

    assert "Table A, row 1: give the ECTS credits (a number above 0)." in messages(found)


def test_check_thesis_credits_only_in_a_thesis_mobility() -> None:
    rows = [*semester(), b("Thesis work", "10", is_thesis=True)]

    not_thesis = check(rows, SEMESTER)
    thesis = check(rows, Context(months=6, thesis=True))

    assert not_thesis[0] == Finding(
        "error",
        "thesis",
        "Table B, row 6: thesis credits belong to thesis mobilities only.",
        "B",
        6,
    )
    assert [f.code for f in thesis] == ["recognition"]


def test_check_passed_course_cannot_be_recognised_again() -> None:
    context = Context(months=6, passed={"052450": "Fluid Machines"})
    rows = [*semester(), b("Fluid machines again", "6", "052450")]

    assert check(rows, context)[0] == Finding(
        "error",
        "passed",
        "Table B, row 6: you already passed 052450 Fluid Machines at home; it cannot be "
        "recognised again.",
        "B",
        6,
    )


def test_check_passed_course_deleted_in_a_change_is_fine() -> None:
    context = Context(months=6, stage=Stage.DURING, passed={"052450": "Fluid Machines"})
    deleted = b(
        "Fluid machines",
        "6",
        "052450",
        status=ComponentStatus.DELETED,
        reason_code=ReasonCode.NOT_AVAILABLE,
    )

    assert [f.code for f in check([*semester(), deleted], context)] == []


def test_check_duplicate_codes_in_a_table() -> None:
    rows = [*semester(), a("Again", "6", "h1"), a("Once more", "6", "H1")]

    found = check(rows, SEMESTER)

    assert found[0] == Finding("error", "duplicate", "Table A lists H1 3 times.", "A")


def test_check_same_code_in_two_tables_is_no_duplicate() -> None:
    rows = [a("Thermodynamics", "30", "X1"), b("Thermodynamics", "30", "X1")]

    assert check(rows, SEMESTER) == []


def test_check_blank_codes_are_no_duplicates() -> None:
    rows = [a("One", "15", " "), a("Two", "15", " ")]

    assert check(rows, SEMESTER) == []


def test_check_deleted_duplicate_is_no_duplicate() -> None:
    context = Context(months=6, stage=Stage.DURING)
    deleted = a(
        "Old",
        "6",
        "H1",
        status=ComponentStatus.DELETED,
        reason_code=ReasonCode.TIMETABLE_CONFLICT,
    )

    assert check([*semester(), deleted], context) == []


def test_check_change_needs_a_reason() -> None:
    context = Context(months=6, stage=Stage.DURING)
    rows = [
        *semester(),
        a("Added", "6", "N1", status=ComponentStatus.INSERTED),
        a("Other", "6", "N2", status=ComponentStatus.INSERTED, reason_code=ReasonCode.OTHER),
        a(
            "Explained",
            "6",
            "N3",
            status=ComponentStatus.DELETED,
            reason_code=ReasonCode.OTHER,
            reason_text="The host closed it",
        ),
    ]

    errors = [f for f in check(rows, context) if f.severity == "error"]

    assert errors == [
        Finding("error", "reason", "Table A, row 6: a change needs its reason.", "A", 6),
        Finding("error", "reason_text", "Table A, row 7: explain the reason.", "A", 7),
    ]


def test_check_status_before_the_mobility_needs_no_reason() -> None:
    rows = [a("One", "24"), a("Added", "6", "N1", status=ComponentStatus.INSERTED), b("H", "30")]

    assert check(rows, SEMESTER) == []


def test_check_credits_warning_names_the_total_and_the_expected() -> None:
    rows = [a("One", "12"), a("Two", "12.5"), b("Home", "24.5")]

    assert check(rows, SEMESTER) == [
        Finding(
            "warning",
            "credits",
            "Table A totals 24.5 ECTS; 30 are expected for 1 semester(s).",
            "A",
        )
    ]


@pytest.mark.parametrize(
    ("months", "expected", "semesters"), [(3, 30, 1), (6, 30, 1), (7, 60, 2), (12, 60, 2)]
)
def test_check_expected_credits_by_months(months: int, expected: int, semesters: int) -> None:
    context = Context(months=months)

    assert context.expected_credits == expected
    assert check([a("One", "1")], context)[0].message == (
        f"Table A totals 1 ECTS; {expected} are expected for {semesters} semester(s)."
    )


def test_check_course_with_other_credits_per_semester() -> None:
    context = Context(months=6, credits_per_semester=27)

    assert check([a("One", "27"), b("Two", "27")], context) == []


def test_check_recognition_differs_from_what_is_studied() -> None:
    rows = [*semester(), b("Extra", "6", "P9")]

    assert check(rows, SEMESTER) == [
        Finding(
            "warning",
            "recognition",
            "Table B recognises 36 ECTS for 30 ECTS studied (table A).",
            "B",
        )
    ]


def test_check_without_table_b_no_recognition_warning() -> None:
    assert check([a("Only", "30")], SEMESTER) == []


ENGLISH_B2 = {"language": "en", "language_name": "English", "required_level": "B2"}


def test_check_language_without_certificate() -> None:
    context = Context(months=6, **ENGLISH_B2)  # type: ignore[arg-type]

    assert check(semester(), context) == [
        Finding(
            "warning",
            "language",
            "The host asks for English B2 and you have no certificate of it yet: hosts refuse "
            "agreements for this, even late. Upload one to the office.",
        )
    ]


def test_check_language_certificate_too_low_and_declared_too_low() -> None:
    context = Context(
        months=6,
        certificates={"en": "B1", "fr": "C2"},
        declared_level="A2",
        **ENGLISH_B2,  # type: ignore[arg-type]
    )

    assert messages(check(semester(), context)) == [
        "The host asks for English B2; your certificate shows B1.",
        "You declared A2 in English; the host asks for B2.",
    ]


@pytest.mark.parametrize("declared", ["", "B2", "C1", "native"])
def test_check_language_met(declared: str) -> None:
    context = Context(
        months=6,
        certificates={"en": "C1"},
        declared_level=declared,
        **ENGLISH_B2,  # type: ignore[arg-type]
    )

    assert check(semester(), context) == []


def test_check_no_language_requirement() -> None:
    context = Context(months=6, language="en", declared_level="A1")

    assert check(semester(), context) == []


def test_check_errors_come_before_warnings() -> None:
    rows = [a("One", "6", "X"), a("", "6", "Y")]
    context = Context(months=6, **ENGLISH_B2)  # type: ignore[arg-type]

    assert [(f.severity, f.code) for f in check(rows, context)] == [
        ("error", "title"),
        ("warning", "credits"),
        ("warning", "language"),
    ]


def test_row_counts_unless_deleted() -> None:
    assert a().counts
    assert a(status=ComponentStatus.INSERTED).counts
    assert not a(status=ComponentStatus.DELETED).counts


# ----------------------------------------------------------------------------- properties

TABLES = st.sampled_from([Table.A, Table.B, Table.C])
CODES = st.sampled_from(["", "H1", "H2", "h2", "H3", "052450"])
TITLES = st.sampled_from(["", "Thermodynamics", "Machine design", "  "])
ECTS = st.one_of(
    st.none(),
    st.decimals(min_value=Decimal("-1"), max_value=Decimal(30), places=1),
)
STATUSES = st.sampled_from(list(ComponentStatus.values))
REASONS = st.sampled_from(["", ReasonCode.OTHER, ReasonCode.NOT_AVAILABLE])

rows_strategy = st.lists(
    st.builds(
        Row,
        table=TABLES,
        title=TITLES,
        code=CODES,
        ects=ECTS,
        is_thesis=st.booleans(),
        status=STATUSES,
        reason_code=REASONS,
        reason_text=st.sampled_from(["", "explained"]),
    ),
    max_size=12,
)
contexts = st.builds(
    Context,
    months=st.integers(min_value=1, max_value=24),
    credits_per_semester=st.sampled_from([27, 30]),
    stage=st.sampled_from(list(Stage.values)),
    thesis=st.booleans(),
    language=st.sampled_from(["", "en"]),
    language_name=st.just("English"),
    required_level=st.sampled_from(["", "B1", "C1"]),
    certificates=st.sampled_from([{}, {"en": "B2"}]),
    declared_level=st.sampled_from(["", "A2", "C2", "native"]),
    passed=st.just({"052450": "Fluid Machines"}),
)

ROW_NUMBER = re.compile(r"row \d+")


def without_row_numbers(found: list[Finding]) -> Counter[tuple[str, str, str, str]]:
    return Counter((f.severity, f.code, f.table, ROW_NUMBER.sub("row #", f.message)) for f in found)


@settings(max_examples=200, deadline=None)
@given(rows=rows_strategy, context=contexts, data=st.data())
def test_property_findings_do_not_depend_on_row_order(
    rows: list[Row], context: Context, data: st.DataObject
) -> None:
    """Shuffling the rows changes at most the row numbers in the findings."""
    shuffled = data.draw(st.permutations(rows))

    assert without_row_numbers(check(shuffled, context)) == without_row_numbers(
        check(rows, context)
    )


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=8),
    context=contexts,
)
def test_property_expected_total_never_warns_about_credits(
    parts: list[int], context: Context
) -> None:
    """Table A rows whose credits add up to the expected total never get the credits warning
    (the split of the total into rows is arbitrary, halves included)."""
    expected = Decimal(context.expected_credits)
    weights = [Decimal(p) for p in parts]
    credits = [(w * expected / sum(weights)).quantize(Decimal("0.5")) for w in weights]
    credits[-1] = expected - sum(credits[:-1], Decimal(0))
    rows = [Row(table=Table.A, title=f"Course {i}", ects=c) for i, c in enumerate(credits)]

    assert "credits" not in {f.code for f in check(rows, context)}


@settings(max_examples=200, deadline=None)
@given(rows=rows_strategy, context=contexts, table=TABLES, data=st.data())
def test_property_deleting_a_duplicated_row_removes_the_duplicate_error(
    rows: list[Row], context: Context, table: str, data: st.DataObject
) -> None:
    """Add a row twice; the duplicate error for its code goes when one copy is removed (if
    nothing else repeats the code)."""
    others = [r for r in rows if not (r.table == table and r.code.strip().upper() == "DUP1")]
    duplicated = Row(table=table, title="Twice", code="DUP1", ects=Decimal(6))
    position = data.draw(st.integers(min_value=0, max_value=len(others)))
    twice = [*others[:position], duplicated, *others[position:], duplicated]

    def duplicates(found: list[Finding]) -> list[str]:
        return [f.message for f in found if f.code == "duplicate" and "DUP1" in f.message]

    assert duplicates(check(twice, context)) == [f"Table {table} lists DUP1 2 times."]
    assert duplicates(check(twice[:-1], context)) == []


@settings(max_examples=100, deadline=None)
@given(rows=rows_strategy, context=contexts)
def test_property_findings_are_errors_first_and_name_a_known_table(
    rows: list[Row], context: Context
) -> None:
    found = check(rows, context)

    severities = [f.severity for f in found]
    assert severities == sorted(severities, key=lambda s: s != "error")
    assert {f.table for f in found} <= {"", "A", "B", "C"}
    assert all(f.row is None or f.row >= 1 for f in found)
    assert has_errors(found) == ("error" in severities)
