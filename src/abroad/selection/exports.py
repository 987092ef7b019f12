"""The office's downloads of a call: the nominations to send to the hosts (XLSX or CSV) and the
ranking (CSV). The rows are built here, once, and written by the spreadsheet writer the
catalogue's exports use, so that a file opens in Excel with its codes and accents intact.

The rows are keyed by stable column names; the header row and the values a person reads
(levels, yes/no, the parts of a score) are labels in the language of whoever downloads the
file (issue 18, point 15): these files are opened in Excel, by the office and by the hosts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext_lazy, pgettext_lazy

from abroad.core import audit
from abroad.core.academic_year import format_year
from abroad.core.importing import Format, file_format, labels, write_table, yes_no_label
from abroad.matching import ranking
from abroad.people.models import User
from abroad.selection import services
from abroad.selection.models import Application, Assignment, Call

NOMINATION_COLUMNS = (
    "partner",
    "partner_erasmus_code",
    "student",
    "student_number",
    "email",
    "course_of_study",
    "level",
    "months",
    "academic_year",
)
NOMINATION_HEADERS = (
    gettext_lazy("Partner"),
    gettext_lazy("Erasmus code"),
    gettext_lazy("Student"),
    gettext_lazy("Student number"),
    gettext_lazy("E-mail"),
    gettext_lazy("Course of study"),
    gettext_lazy("Level"),
    gettext_lazy("Months"),
    gettext_lazy("Academic year"),
)
# Kept as text in XLSX: Excel would turn a student number like 012345 into 12345.
NOMINATION_TEXT_COLUMNS = ("partner_erasmus_code", "student_number")

RANKING_COLUMNS = (
    "rank",
    "student",
    "student_number",
    "course_of_study",
    "level",
    "score",
    "score_parts",
    "eligible",
    "eligibility_notes",
    "preferences",
)
RANKING_HEADERS = (
    gettext_lazy("Rank"),
    gettext_lazy("Student"),
    gettext_lazy("Student number"),
    gettext_lazy("Course of study"),
    gettext_lazy("Level"),
    gettext_lazy("Score"),
    gettext_lazy("How it was computed"),
    pgettext_lazy("ranking export", "Eligible"),
    gettext_lazy("Eligibility notes"),
    gettext_lazy("Preferences"),
)
# The terms of a score (matching.ranking's keys), labelled for people: the ranking page and its
# export say the same.
SCORE_PART_LABELS = {
    "average": gettext_lazy("average"),
    "credits_per_year": gettext_lazy("credits per year"),
    "credits_bonus": gettext_lazy("credits bonus"),
    "exchanges_penalty": gettext_lazy("exchanges penalty"),
    "portfolio": gettext_lazy("portfolio"),
    "languages_motivation_cv": gettext_lazy("languages, motivation, CV"),
    "interview": gettext_lazy("interview"),
    "missing": gettext_lazy("missing"),
}

CONTENT_TYPES: dict[Format, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _student_name(student: Any) -> str:
    """Surname first, as the hosts' nomination forms ask."""
    name = f"{student.last_name} {student.first_name}".strip()
    return name or student.get_username()


def nomination_rows(
    call: Call, assignments: Iterable[Assignment] | None = None
) -> Iterator[dict[str, Any]]:
    """One row per accepted seat of ``call``, by partner then student (services.nominations)."""
    year = format_year(call.academic_year)
    for assignment in services.nominations(call) if assignments is None else assignments:
        student = assignment.application.student
        course = student.course_of_study
        assert assignment.call_offer is not None  # an accepted seat is on an offer
        offer = assignment.call_offer.offer
        partner = offer.agreement.partner
        yield {
            "partner": partner.display_name,
            "partner_erasmus_code": partner.erasmus_code or "",
            "student": _student_name(student),
            "student_number": student.student_number,
            "email": student.email,
            "course_of_study": course.display_name if course else "",
            "level": course.get_level_display() if course else "",
            "months": offer.months,
            "academic_year": year,
        }


def export_nominations(
    call: Call,
    target: str | Path | IO[bytes],
    *,
    fmt: Format | None = None,
    actor: Any = None,
) -> int:
    """Write the nominations of ``call`` to ``target`` (XLSX or CSV, by its name or ``fmt``);
    return the number of students written."""
    if fmt is None:
        fmt = file_format(str(target) if isinstance(target, str | Path) else target.name)
    count = write_table(
        target,
        columns=NOMINATION_COLUMNS,
        rows=nomination_rows(call),
        fmt=fmt,
        sheet="Nominations",
        text_columns=NOMINATION_TEXT_COLUMNS,
        headers=labels(NOMINATION_HEADERS),
    )
    audit.record(actor=actor, action="call.nominations_exported", obj=call, format=fmt, rows=count)
    return count


def _parts(details: dict[str, Any]) -> str:
    return "; ".join(
        f"{SCORE_PART_LABELS.get(name, name)}: {value}"
        for name, value in ranking.ordered_parts(details)
    )


def ranking_rows(applications: Iterable[Application]) -> Iterator[dict[str, Any]]:
    """One row per application, as the ranking page shows it (preferences prefetched)."""
    for application in applications:
        student = application.student
        course = student.course_of_study
        yield {
            "rank": application.rank if application.rank is not None else "",
            "student": _student_name(student),
            "student_number": student.student_number,
            "course_of_study": course.display_name if course else "",
            "level": course.get_level_display() if course else "",
            "score": str(application.score) if application.score is not None else "",
            "score_parts": _parts(application.score_details),
            "eligible": yes_no_label(application.eligible),
            "eligibility_notes": " ".join(application.eligibility_notes),
            "preferences": "; ".join(
                str(preference.call_offer.offer.agreement.partner)
                for preference in application.preferences.all()
            ),
        }


def export_ranking(
    applications: Iterable[Application],
    target: IO[bytes],
    *,
    call: Call,
    actor: User | None,
    fmt: Format = "csv",
    filters: dict[str, str] | None = None,
) -> int:
    """The ranking (as filtered) to a spreadsheet; who exported what is in the audit log."""
    count = write_table(
        target,
        columns=RANKING_COLUMNS,
        rows=ranking_rows(applications),
        fmt=fmt,
        sheet="Ranking",
        text_columns=("student_number",),
        headers=labels(RANKING_HEADERS),
    )
    audit.record(
        actor=actor,
        action="call.ranking_exported",
        obj=call,
        format=fmt,
        rows=count,
        filters=filters or {},
    )
    return count
