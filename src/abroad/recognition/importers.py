"""Reading the recognition spreadsheets (XLSX or CSV, through ``core.importing``): a host's
transcript of records, and the past home grades a grading table is built from. Reading only:
each reader returns the rows it understood and adds every bad cell to the report's errors
(line, column, what to do); ``services`` writes, all or nothing.

Transcript: one row per host component, columns ``code``, ``grade`` (required) and ``title``,
``ects`` (optional). An empty grade means the transcript does not report the component
(missing).

Past grades: one row per grade given (or per grade and year with a ``count``), columns
``academic_year``, ``grade`` and ``course_of_study`` (a home course code, whose ISCED-F field
abroad knows) or ``isced`` (the ISCED-F code itself).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from abroad.core import importing
from abroad.core.academic_year import format_year
from abroad.core.importing import ImportReport, Invalid, Row, RowError, clean, quoted
from abroad.recognition.conversion import Grade, Scale

CODE = "code"
TITLE = "title"
ECTS = "ects"
GRADE = "grade"
TRANSCRIPT_COLUMNS = (CODE, TITLE, ECTS, GRADE)
TRANSCRIPT_REQUIRED = (CODE, GRADE)

COURSE_OF_STUDY = "course_of_study"
ISCED = "isced"
ACADEMIC_YEAR = "academic_year"
COUNT = "count"
GRADES_COLUMNS = (COURSE_OF_STUDY, ISCED, ACADEMIC_YEAR, GRADE, COUNT)
GRADES_REQUIRED = (ACADEMIC_YEAR, GRADE)

MAX_ECTS = Decimal(60)
ONE_PLACE = Decimal("0.1")
MAX_CODE = 40
MAX_TITLE = 250


@dataclass(frozen=True)
class TranscriptRow:
    """One row of a transcript file, as read (the grade not yet parsed)."""

    line: int
    code: str
    title: str
    ects: Decimal | None
    grade: str


@dataclass(frozen=True)
class PastGrade:
    """Grades given at home: ``count`` times ``grade`` in a course of ISCED-F ``isced``."""

    line: int
    isced: str
    year: int
    grade: Grade
    count: int


def ects(value: Any, text: str) -> Decimal:
    """Credits: 0.5 to 60, at most one decimal; "7,5" is 7.5."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = Decimal(str(value))
    else:
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            number = Decimal("NaN")
    if not number.is_finite() or not Decimal("0.5") <= number <= MAX_ECTS:
        raise Invalid(
            _("%(value)s is not a number of credits between 0.5 and 60") % {"value": quoted(text)}
        )
    if number != number.quantize(ONE_PLACE):
        raise Invalid(
            _("%(value)s has more than one decimal: write credits like 6 or 7.5")
            % {"value": quoted(text)}
        )
    return number.quantize(ONE_PLACE)


_check_transcript_header = importing.header_check(
    known=TRANSCRIPT_COLUMNS, required=TRANSCRIPT_REQUIRED
)


def _text(row: Row, column: str, limit: int, errors: list[RowError]) -> str:
    text = row.text(column)
    if len(text) > limit:
        errors.append(
            RowError(
                row.line,
                column,
                _("%(value)s is longer than %(max)d characters")
                % {"value": quoted(text), "max": limit},
            )
        )
    return text


def read_transcript(source: importing.Source, report: ImportReport) -> list[TranscriptRow]:
    """The rows of a transcript file; the problems of the file go to ``report.errors``."""
    table = importing.read_import_table(
        source, report, anchors=(CODE, GRADE), check_header=_check_transcript_header
    )
    if table is None:
        return []
    rows = []
    for row in table.rows:
        before = len(report.errors)
        code = _text(row, CODE, MAX_CODE, report.errors)
        title = _text(row, TITLE, MAX_TITLE, report.errors)
        if not code:
            report.errors.append(
                RowError(
                    row.line,
                    CODE,
                    _("the cell is empty: write the host's code of the component"),
                )
            )
        credits = None
        if clean(row[ECTS]):
            try:
                credits = ects(row[ECTS], clean(row[ECTS]))
            except Invalid as error:
                report.errors.append(RowError(row.line, ECTS, str(error)))
        if len(report.errors) == before:
            rows.append(TranscriptRow(row.line, code, title, credits, row.text(GRADE)))
    return rows


_check_grades_header = importing.header_check(
    known=GRADES_COLUMNS, required=GRADES_REQUIRED, one_of=[(COURSE_OF_STUDY, ISCED)]
)


def _year(text: str) -> int:
    return importing.academic_year(
        text, message=_("%(value)s is not an academic year: write it like 2023/2024")
    )


def _isced(row: Row, courses: Mapping[str, str]) -> str:
    """The row's ISCED-F field: its own, or its course of study's."""
    text = row.text(ISCED)
    if text:
        return importing.isced(
            row[ISCED],
            text,
            lengths=(2, 3, 4),
            message=_("%(value)s is not an ISCED-F code: write 2 to 4 digits, like 0715"),
        )
    code = row.text(COURSE_OF_STUDY)
    if not code:
        raise Invalid(_("the cell is empty: write the course of study's code or the ISCED-F code"))
    isced = courses.get(code.upper())
    if isced is None:
        raise Invalid(
            _("no course of study has the code %(value)s: check it, or write the ISCED-F code")
            % {"value": quoted(code)}
        )
    if not isced:
        raise Invalid(
            _("the course of study %(value)s has no ISCED-F field: write it in the isced column")
            % {"value": quoted(code)}
        )
    return isced


def read_past_grades(
    source: importing.Source,
    report: ImportReport,
    *,
    scale: Scale,
    courses: Mapping[str, str],
) -> list[PastGrade]:
    """The grades in a file of past home grades; ``courses`` maps course codes (upper case)
    to their ISCED-F field. Fail grades are read too (the caller leaves them out)."""
    table = importing.read_import_table(
        source, report, anchors=(ACADEMIC_YEAR, GRADE), check_header=_check_grades_header
    )
    if table is None:
        return []
    grades = []
    for row in table.rows:
        ok = True
        values: dict[str, Any] = {}
        for column, read in (
            (COURSE_OF_STUDY, lambda r: _isced(r, courses)),
            (ACADEMIC_YEAR, lambda r: _year(r.text(ACADEMIC_YEAR))),
            (GRADE, lambda r: _grade(r.text(GRADE), scale)),
            (COUNT, lambda r: _count(r.text(COUNT))),
        ):
            try:
                values[column] = read(row)
            except Invalid as error:
                where = column
                if column == COURSE_OF_STUDY and row.text(ISCED):
                    where = ISCED
                report.errors.append(RowError(row.line, where, str(error)))
                ok = False
        if ok:
            grades.append(
                PastGrade(
                    row.line,
                    values[COURSE_OF_STUDY],
                    values[ACADEMIC_YEAR],
                    values[GRADE],
                    values[COUNT],
                )
            )
    return grades


def _grade(text: str, scale: Scale) -> Grade:
    if not text:
        raise Invalid(_("the cell is empty: write the grade"))
    try:
        return scale.parse(text)
    except ValueError as error:
        raise Invalid(str(error)) from None


def _count(text: str) -> int:
    if not text:
        return 1
    if not re.fullmatch(r"\d+", text) or int(text) < 1:
        raise Invalid(
            _("%(value)s is not a count: write how many times the grade was given, like 12")
            % {"value": quoted(text)}
        )
    return int(text)


def years_text(years: list[int]) -> str:
    return ", ".join(format_year(year) for year in years)
