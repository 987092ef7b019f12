"""The validated recognitions for the registrar (XLSX or CSV): one row per recognised home
component (a table B component with a grade) of every validated transcript, written by the
shared spreadsheet writer. Components not recognised (no grade) are not exported: there is
nothing to record in the career.

Column names are stable keys, not translated labels: the registrar's tools read these files.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone

from abroad.core import audit
from abroad.core.academic_year import format_year
from abroad.core.importing import Format, file_format, write_table
from abroad.mobility.queries import office_mobilities_q
from abroad.people.models import User
from abroad.recognition.enums import TranscriptState
from abroad.recognition.models import RecognitionLine

COLUMNS = (
    "student_number",
    "student",
    "course_code",
    "course_title",
    "credits",
    "grade",
    "host_institution",
    "academic_year",
    "validated_on",
    "validated_by",
)
# Kept as text in XLSX: Excel would turn 012345 into 12345, and grades are labels ("30L").
TEXT_COLUMNS = ("student_number", "course_code", "grade")

CONTENT_TYPES: dict[Format, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def validated_lines(academic_year: int | None = None) -> QuerySet[RecognitionLine]:
    """The recognised lines of validated transcripts (of one academic year, when given), by
    validation, student and position; one query."""
    lines = (
        RecognitionLine.objects.filter(transcript__state=TranscriptState.VALIDATED)
        .exclude(grade="")
        .select_related(
            "transcript__mobility__student",
            "transcript__mobility__host",
            "transcript__validated_by",
        )
        .order_by(
            "transcript__validated_at",
            "transcript__mobility__student__last_name",
            "transcript__mobility__student__first_name",
            "transcript_id",
            "position",
        )
    )
    if academic_year is not None:
        lines = lines.filter(transcript__mobility__academic_year=academic_year)
    return lines


def _name(user: User | None) -> str:
    """Surname first, as the registrar lists students."""
    if user is None:
        return ""
    name = f"{user.last_name} {user.first_name}".strip()
    return name or user.get_username()


def _credits(number: Decimal) -> int | Decimal:
    return int(number) if number == number.to_integral_value() else number.normalize()


def recognition_rows(lines: Iterable[RecognitionLine] | None = None) -> Iterator[dict[str, Any]]:
    """One row per recognised line (by default :func:`validated_lines`)."""
    for line in validated_lines() if lines is None else lines:
        transcript = line.transcript
        mobility = transcript.mobility
        student = mobility.student
        validated_at = transcript.validated_at
        yield {
            "student_number": student.student_number,
            "student": _name(student),
            "course_code": line.code,
            "course_title": line.title,
            "credits": _credits(line.credits),
            "grade": line.grade,
            "host_institution": mobility.host.display_name,
            "academic_year": format_year(mobility.academic_year),
            "validated_on": timezone.localdate(validated_at).isoformat() if validated_at else "",
            "validated_by": _name(transcript.validated_by),
        }


def export_recognitions(
    target: str | Path | IO[bytes],
    *,
    fmt: Format | None = None,
    actor: User | None = None,
    academic_year: int | None = None,
) -> int:
    """Write the validated recognitions (of one academic year, when given; of the actor's
    School, for a School-scoped office user) to ``target``
    (XLSX or CSV, by its name or ``fmt``); return the number of rows written."""
    if fmt is None:
        fmt = file_format(str(target) if isinstance(target, str | Path) else target.name)
    count = write_table(
        target,
        columns=COLUMNS,
        rows=recognition_rows(
            validated_lines(academic_year).filter(
                office_mobilities_q(actor, "transcript__mobility__")
            )
            if actor is not None
            else validated_lines(academic_year)
        ),
        fmt=fmt,
        sheet="Recognitions",
        text_columns=TEXT_COLUMNS,
    )
    audit.record(
        actor=actor,
        action="recognition.exported",
        format=fmt,
        rows=count,
        academic_year=academic_year,
    )
    return count
