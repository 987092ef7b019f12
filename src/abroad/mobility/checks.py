"""The checks of a learning agreement, run while the student types and again on submission.

Pure functions over plain data (no database): the views build a :class:`Context` once and call
:func:`check` with the rows as they are in the form, saved or not. An ``error`` blocks the
submission; a ``warning`` is shown to the student and to the promoter, who decides.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from django.utils.translation import gettext as _

from abroad.core.enums import CEFR
from abroad.mobility.enums import ComponentStatus, ReasonCode, Stage, Table

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Row:
    """A component as typed: ``ects`` is None when the field is empty or not a number."""

    table: str
    title: str = ""
    code: str = ""
    term: str = ""
    ects: Decimal | None = None
    is_thesis: bool = False
    status: str = ComponentStatus.UNCHANGED
    reason_code: str = ""
    reason_text: str = ""

    @property
    def counts(self) -> bool:
        """A deleted component of a change no longer counts."""
        return is_live(self)


@dataclass(frozen=True)
class Context:
    """What the checks compare the rows with."""

    months: int
    credits_per_semester: int = 30
    stage: str = Stage.BEFORE
    thesis: bool = False
    language: str = ""  # the offer's language of instruction
    language_name: str = ""
    required_level: str = ""  # the offer's requirement (CEFR), "" for none
    certificates: Mapping[str, str] = field(default_factory=dict)  # language -> best level
    declared_level: str = ""  # the level the student wrote in the agreement
    passed: Mapping[str, str] = field(default_factory=dict)  # home course code -> title

    @property
    def semesters(self) -> int:
        return max(1, math.ceil(self.months / 6))

    @property
    def expected_credits(self) -> int:
        return self.credits_per_semester * self.semesters


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    message: str
    table: str = ""
    row: int | None = None  # 1-based within its table


def is_live(row: Any) -> bool:
    """Does the row count? A component that a change deletes no longer does. Rows are
    :class:`Row` or stored components alike."""
    return bool(row.status != ComponentStatus.DELETED)


def credits(rows: Iterable[Any], table: str | None = None) -> Decimal:
    """The ECTS of ``rows`` (of one table when given), deleted components of a change not
    counted and missing credits as 0. Rows are :class:`Row` or stored components alike."""
    return sum(
        (
            row.ects or Decimal(0)
            for row in rows
            if is_live(row) and (table is None or row.table == table)
        ),
        Decimal(0),
    )


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _row_findings(table: str, number: int, row: Row, context: Context) -> list[Finding]:
    found: list[Finding] = []
    where = {"table": table, "row": number}
    if not row.title.strip():
        found.append(
            Finding(
                "error",
                "title",
                _("Table %(table)s, row %(row)s: give the title.") % where,
                table,
                number,
            )
        )
    if row.ects is None or row.ects <= 0:
        found.append(
            Finding(
                "error",
                "ects",
                _("Table %(table)s, row %(row)s: give the ECTS credits (a number above 0).")
                % where,
                table,
                number,
            )
        )
    if row.is_thesis and not context.thesis:
        found.append(
            Finding(
                "error",
                "thesis",
                _("Table %(table)s, row %(row)s: thesis credits belong to thesis mobilities only.")
                % where,
                table,
                number,
            )
        )
    if table == Table.B and row.code and row.counts and row.code in context.passed:
        found.append(
            Finding(
                "error",
                "passed",
                _(
                    "Table B, row %(row)s: you already passed %(code)s %(title)s at home; "
                    "it cannot be recognised again."
                )
                % {"row": number, "code": row.code, "title": context.passed[row.code]},
                table,
                number,
            )
        )
    if context.stage == Stage.DURING and row.status:
        if not row.reason_code:
            found.append(
                Finding(
                    "error",
                    "reason",
                    _("Table %(table)s, row %(row)s: a change needs its reason.") % where,
                    table,
                    number,
                )
            )
        elif row.reason_code == ReasonCode.OTHER and not row.reason_text.strip():
            found.append(
                Finding(
                    "error",
                    "reason_text",
                    _("Table %(table)s, row %(row)s: explain the reason.") % where,
                    table,
                    number,
                )
            )
    return found


def check(rows: Sequence[Row], context: Context) -> list[Finding]:
    """Every finding for these rows, errors first, in table and row order."""
    found: list[Finding] = []
    by_table: dict[str, list[Row]] = {table: [] for table in Table.values}
    for row in rows:
        by_table.setdefault(row.table, []).append(row)
    for table, table_rows in by_table.items():
        for number, row in enumerate(table_rows, start=1):
            found.extend(_row_findings(table, number, row, context))
        codes = Counter(
            row.code.strip().upper() for row in table_rows if row.code.strip() and row.counts
        )
        for code, times in sorted(codes.items()):
            if times > 1:
                found.append(
                    Finding(
                        "error",
                        "duplicate",
                        _("Table %(table)s lists %(code)s %(times)s times.")
                        % {"table": table, "code": code, "times": times},
                        table,
                    )
                )
    studied = [row for row in by_table[Table.A] if row.counts]
    if not studied:
        found.append(
            Finding(
                "error", "empty", _("Add the courses you will take at the host (table A)."), Table.A
            )
        )
    total_a = credits(studied)
    total_b = credits(by_table[Table.B])
    expected = Decimal(context.expected_credits)
    if studied and total_a != expected:
        found.append(
            Finding(
                "warning",
                "credits",
                _(
                    "Table A totals %(total)s ECTS; %(expected)s are expected for "
                    "%(semesters)s semester(s)."
                )
                % {
                    "total": _number(total_a),
                    "expected": context.expected_credits,
                    "semesters": context.semesters,
                },
                Table.A,
            )
        )
    if studied and by_table[Table.B] and total_b != total_a:
        found.append(
            Finding(
                "warning",
                "recognition",
                _("Table B recognises %(b)s ECTS for %(a)s ECTS studied (table A).")
                % {"b": _number(total_b), "a": _number(total_a)},
                Table.B,
            )
        )
    found.extend(_language_findings(context))
    found.sort(key=lambda f: f.severity != "error")
    return found


def _language_findings(context: Context) -> list[Finding]:
    if not context.required_level or not context.language:
        return []
    needed = CEFR.rank(context.required_level)
    held = context.certificates.get(context.language)
    values = {
        "language": context.language_name or context.language,
        "level": context.required_level,
    }
    found: list[Finding] = []
    if held is None or CEFR.rank(held) < needed:
        message = (
            _(
                "The host asks for %(language)s %(level)s and you have no certificate of it yet: "
                "hosts refuse agreements for this, even late. Upload one to the office."
            )
            if held is None
            else _("The host asks for %(language)s %(level)s; your certificate shows %(held)s.")
        )
        found.append(Finding("warning", "language", message % {**values, "held": held}))
    declared = context.declared_level
    if declared and declared != "native" and CEFR.rank(declared) < needed:
        found.append(
            Finding(
                "warning",
                "declared_level",
                _("You declared %(declared)s in %(language)s; the host asks for %(level)s.")
                % {**values, "declared": declared},
            )
        )
    return found


def has_errors(findings: Sequence[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)
