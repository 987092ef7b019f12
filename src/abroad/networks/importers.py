"""Import an ATHENS session's course catalogue from XLSX or CSV (the network circulates it as a
spreadsheet before each session).

One row per course. The host is named by its Erasmus code (``host_erasmus_code``, written
with one space or padded) or its SCHAC code (``host_schac``), and must be a member of the
session's network. Each row creates the session's course with that ``code`` or replaces its
values; courses of the session that are not in the file are left as they are. All or nothing:
a file with any bad row imports nothing, and the report names every bad row with its line, its
column and what to do (see ``core/importing.py``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from abroad.catalogue import erasmus_code
from abroad.catalogue.models import Institution, NetworkMembership
from abroad.core import importing
from abroad.core.enums import Language
from abroad.core.importing import Invalid, Progress, Row, RowError, quoted
from abroad.networks.models import AthensCourse, AthensSession

CODE = "code"
HOST_ERASMUS_CODE = "host_erasmus_code"
HOST_SCHAC = "host_schac"
TITLE = "title"
ISCED = "isced"
LANGUAGE = "language"
STARTS_ON = "starts_on"
ENDS_ON = "ends_on"
CAPACITY = "capacity"
PREREQUISITES = "prerequisites"
DESCRIPTION = "description"
CULTURAL_PROGRAMME = "cultural_programme"
FEE = "fee"

COLUMNS = (
    CODE,
    HOST_ERASMUS_CODE,
    HOST_SCHAC,
    TITLE,
    ISCED,
    LANGUAGE,
    STARTS_ON,
    ENDS_ON,
    CAPACITY,
    PREREQUISITES,
    DESCRIPTION,
    CULTURAL_PROGRAMME,
    FEE,
)
REQUIRED_COLUMNS = (CODE, TITLE, CAPACITY)
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
MAX_CAPACITY = 100
MAX_FEE = Decimal(10000)


def column_help() -> list[tuple[str, str, bool]]:
    """(column, what to write, required) for each column: the import page shows it."""
    described = {
        CODE: _("the network's course code, like MI01; unique in the session"),
        HOST_ERASMUS_CODE: _("the host's Erasmus code, like NL DELFT01 (or give host_schac)"),
        HOST_SCHAC: _("the host's SCHAC code, like tudelft.nl (or give host_erasmus_code)"),
        TITLE: _("the course's title"),
        ISCED: _("the ISCED-F field, 3 or 4 digits like 0715; or empty"),
        LANGUAGE: _("the language of teaching, an ISO 639-1 code like en (empty: en)"),
        STARTS_ON: _("the first day, like 2027-03-13 or 13/03/2027 (empty: the session's)"),
        ENDS_ON: _("the last day (empty: the session's)"),
        CAPACITY: _("places for our students, 1 to %(max)d") % {"max": MAX_CAPACITY},
        PREREQUISITES: _("what students must know; or empty"),
        DESCRIPTION: _("what the course is about; or empty"),
        CULTURAL_PROGRAMME: _("the host's cultural activities; or empty"),
        FEE: _("the fee in euros, like 0 or 150.00 (empty: 0)"),
    }
    return [(column, str(described[column]), column in REQUIRED_COLUMNS) for column in COLUMNS]


@dataclass
class CourseImportReport(importing.ImportReport):
    created: int = 0
    updated: int = 0

    def imported_summary(self) -> str:
        return f"{super().imported_summary()}: {self.created} created, {self.updated} updated"


_check_header = importing.header_check(
    known=COLUMNS, required=REQUIRED_COLUMNS, one_of=[(HOST_ERASMUS_CODE, HOST_SCHAC)]
)


def _max_length(name: str) -> int:
    course_field = AthensCourse._meta.get_field(name)
    assert isinstance(course_field, models.CharField)
    assert course_field.max_length
    return course_field.max_length


def _date(text: str, default: dt.date) -> dt.date:
    if not text:
        return default
    for pattern in DATE_FORMATS:
        with contextlib.suppress(ValueError):
            return dt.datetime.strptime(text[:10], pattern).date()
    raise Invalid(
        _("%(value)s is not a date: write it like 2027-03-13 or 13/03/2027")
        % {"value": quoted(text)}
    )


def _capacity(text: str) -> int:
    if not re.fullmatch(r"\d+", text) or not 1 <= int(text) <= MAX_CAPACITY:
        raise Invalid(
            _("%(value)s is not a number of places between 1 and %(max)d")
            % {"value": quoted(text), "max": MAX_CAPACITY}
        )
    return int(text)


def _fee(text: str) -> Decimal:
    if not text:
        return Decimal(0)
    try:
        fee = Decimal(text.replace(",", "."))
    except InvalidOperation:
        fee = Decimal("NaN")
    if not fee.is_finite() or not Decimal(0) <= fee <= MAX_FEE:
        raise Invalid(
            _("%(value)s is not a fee in euros between 0 and %(max)s")
            % {"value": quoted(text), "max": MAX_FEE}
        )
    return fee.quantize(Decimal("0.01"))


def _isced(value: Any, text: str) -> str:
    if not text:
        return ""  # the field is optional
    return importing.isced(
        value,
        text,
        message=_("%(value)s is not an ISCED-F field of 3 or 4 digits, like 071 or 0715"),
    )


def _language(text: str) -> str:
    key = text.lower() or Language.EN
    if key not in Language.values:
        raise Invalid(
            _("%(value)s is not a language code: write an ISO 639-1 code like en, fr or de")
            % {"value": quoted(text)}
        )
    return key


@dataclass
class Hosts:
    by_code: dict[str, Institution]
    by_schac: dict[str, Institution]
    members: set[int]


def _hosts(rows: list[Row], session: AthensSession) -> Hosts:
    codes = set()
    for row in rows:
        with contextlib.suppress(erasmus_code.InvalidErasmusCode):
            codes.add(erasmus_code.normalise(row.text(HOST_ERASMUS_CODE)))
    schacs = {row.text(HOST_SCHAC).lower() for row in rows} - {""}
    institutions = list(
        Institution.objects.filter(
            models.Q(erasmus_code__in=codes) | models.Q(schac_code__in=schacs)
        )
    )
    return Hosts(
        by_code={
            erasmus_code.single_space(i.erasmus_code): i for i in institutions if i.erasmus_code
        },
        by_schac={i.schac_code: i for i in institutions if i.schac_code},
        members=set(
            NetworkMembership.objects.filter(network=session.network).values_list(
                "institution_id", flat=True
            )
        ),
    )


def _host(row: Row, hosts: Hosts, session: AthensSession) -> tuple[str, Institution]:
    """The row's host and the column that named it."""
    code_text, schac_text = row.text(HOST_ERASMUS_CODE), row.text(HOST_SCHAC).lower()
    if not code_text and not schac_text:
        raise Invalid(_("give the host's Erasmus code or its SCHAC code"))
    host = None
    column = HOST_ERASMUS_CODE
    if code_text:
        try:
            code = erasmus_code.normalise(code_text)
        except erasmus_code.InvalidErasmusCode:
            raise Invalid(
                _("%(value)s is not an Erasmus code: write it like NL DELFT01")
                % {"value": quoted(code_text)}
            ) from None
        host = hosts.by_code.get(erasmus_code.single_space(code))
    if host is None and schac_text:
        column = HOST_SCHAC
        host = hosts.by_schac.get(schac_text)
    if host is None:
        raise Invalid(_("no institution in the catalogue has this code: add the institution first"))
    if host.pk not in hosts.members:
        raise Invalid(
            _("%(host)s is not a member of %(network)s: record its membership first")
            % {"host": host.display_name, "network": session.network.name}
        )
    return column, host


def _read_row(
    row: Row, session: AthensSession, hosts: Hosts, errors: list[RowError]
) -> dict[str, Any] | None:
    values: dict[str, Any] = {}
    before = len(errors)

    def cell(column: str, read: Any) -> None:
        try:
            values[column] = read(row.text(column))
        except Invalid as problem:
            errors.append(RowError(row.line, column, str(problem)))

    code = row.text(CODE)
    if not code:
        errors.append(RowError(row.line, CODE, _("give the course's code")))
    elif len(code) > _max_length(CODE):
        errors.append(
            RowError(
                row.line,
                CODE,
                _("the code is longer than %(max)d characters") % {"max": _max_length(CODE)},
            )
        )
    values[CODE] = code
    title = row.text(TITLE)
    if not title:
        errors.append(RowError(row.line, TITLE, _("give the course's title")))
    elif len(title) > _max_length(TITLE):
        errors.append(
            RowError(
                row.line,
                TITLE,
                _("the title is longer than %(max)d characters") % {"max": _max_length(TITLE)},
            )
        )
    values[TITLE] = title
    try:
        column, host = _host(row, hosts, session)
        values["host"] = host
    except Invalid as problem:
        column = HOST_ERASMUS_CODE if row.text(HOST_ERASMUS_CODE) else HOST_SCHAC
        errors.append(RowError(row.line, column, str(problem)))
    cell(ISCED, lambda text: _isced(row[ISCED], text))
    cell(LANGUAGE, _language)
    cell(STARTS_ON, lambda text: _date(text, session.starts_on))
    cell(ENDS_ON, lambda text: _date(text, session.ends_on))
    cell(CAPACITY, _capacity)
    cell(FEE, _fee)
    starts, ends = values.get(STARTS_ON), values.get(ENDS_ON)
    if starts and ends and ends < starts:
        errors.append(RowError(row.line, ENDS_ON, _("the course ends before it starts")))
    for column in (PREREQUISITES, DESCRIPTION, CULTURAL_PROGRAMME):
        values[column] = importing.clean_text(row[column])
    return values if len(errors) == before else None


def _write(
    session: AthensSession, courses: list[dict[str, Any]], report: CourseImportReport
) -> None:
    existing = {course.code: course for course in AthensCourse.objects.filter(session=session)}
    for values in courses:
        fields = {
            "host": values["host"],
            "title": values[TITLE],
            "isced_code": values[ISCED],
            "language": values[LANGUAGE],
            "starts_on": values[STARTS_ON],
            "ends_on": values[ENDS_ON],
            "capacity": values[CAPACITY],
            "prerequisites": values[PREREQUISITES],
            "description": values[DESCRIPTION],
            "cultural_programme": values[CULTURAL_PROGRAMME],
            "fee": values[FEE],
        }
        course = existing.get(values[CODE])
        if course is None:
            AthensCourse.objects.create(session=session, code=values[CODE], **fields)
            report.created += 1
        else:
            for name, value in fields.items():
                setattr(course, name, value)
            course.save()
            report.updated += 1


def import_courses(
    source: importing.Source,
    *,
    session: AthensSession,
    name: str | None = None,
    dry_run: bool = False,
    actor: Any = None,
    progress: Progress = importing.no_progress,
) -> CourseImportReport:
    """Import the courses in ``source`` into ``session``: all of them, or none when any row
    is bad (see the report's ``errors``)."""
    report = CourseImportReport(file=importing.source_name(source, name), dry_run=dry_run)
    table = importing.read_import_table(
        source, report, anchors=(CODE, TITLE), check_header=_check_header
    )
    if table is None:
        return report
    hosts = _hosts(table.rows, session)
    courses: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for row in progress(table.rows, total=len(table.rows), desc="courses"):
        values = _read_row(row, session, hosts, report.errors)
        code = row.text(CODE)
        if code and code in seen:
            report.errors.append(
                RowError(
                    row.line,
                    CODE,
                    _("the code %(code)s is already on line %(line)d: each course once")
                    % {"code": quoted(code), "line": seen[code]},
                )
            )
            continue
        if code:
            seen[code] = row.line
        if values is not None:
            courses.append(values)
    if report.errors:
        return report
    importing.write_atomically(
        report,
        lambda: _write(session, courses, report),
        actor=actor,
        action="athens.courses_imported",
    )
    return report
