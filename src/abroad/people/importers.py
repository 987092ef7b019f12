"""Import what the registrar knows of students' careers (XLSX or CSV): credits, averages,
first enrolment, previous exchanges and months used, and language certificates.

One row per student, or several when the student has several certificates: the career columns
are then repeated, the same, on each of the student's rows, and each row names one
certificate (``language``, ``level``). The import is atomic: a file with any bad row imports
nothing, and the report names every bad row with its line, its column and what to do.

For each student in the file the career is created or replaced by the file's, and each of the
file's certificates is added, or updates the level of the student's certificate in that
language. Students who are not in the file, and certificates in other languages, are left as
they are.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from abroad.core import importing
from abroad.core.academic_year import current_start_year, format_year
from abroad.core.enums import CEFR, Language
from abroad.core.importing import Invalid, Progress, Row, RowError, clean, quoted
from abroad.people.enums import Role
from abroad.people.models import LanguageCertificate, PassedCourse, StudentCareer, User

STUDENT_NUMBER = "student_number"
FIRST_ENROLMENT_YEAR = "first_enrolment_year"
CREDITS_BACHELOR = "credits_bachelor"
CREDITS_MASTER = "credits_master"
AVERAGE_BACHELOR = "average_bachelor"
AVERAGE_MASTER = "average_master"
FIRST_YEAR_COMPLETED = "first_year_completed"
PREVIOUS_EXCHANGES = "previous_exchanges"
MONTHS_USED = "months_used"
LANGUAGE = "language"
LEVEL = "level"

CAREER_COLUMNS = (
    FIRST_ENROLMENT_YEAR,
    CREDITS_BACHELOR,
    CREDITS_MASTER,
    AVERAGE_BACHELOR,
    AVERAGE_MASTER,
    FIRST_YEAR_COMPLETED,
    PREVIOUS_EXCHANGES,
    MONTHS_USED,
)
COLUMNS = (STUDENT_NUMBER, *CAREER_COLUMNS, LANGUAGE, LEVEL)
REQUIRED_COLUMNS = (STUDENT_NUMBER, *CAREER_COLUMNS)
CERTIFICATE_COLUMNS = (LANGUAGE, LEVEL)

# Plausible bounds that are not in the model: a study cycle has at most 360 credits at a level
# (a single-cycle degree 300, with extra exams), a student at most a few exchanges, and
# 24 months of mobility per cycle at most (single-cycle degrees).
MAX_CREDITS = 360
MAX_EXCHANGES = 10
MAX_MONTHS = 24
OLDEST_ENROLMENT = 1970
TWO_PLACES = Decimal("0.01")


def _average_bounds() -> tuple[Decimal, Decimal]:
    """18 and 30: the model's validators hold the rule."""
    low, high = Decimal(18), Decimal(30)
    average = StudentCareer._meta.get_field(AVERAGE_BACHELOR)
    assert isinstance(average, models.Field)
    for validator in average.validators:
        if isinstance(validator, MinValueValidator):
            low = Decimal(validator.limit_value)
        elif isinstance(validator, MaxValueValidator):
            high = Decimal(validator.limit_value)
    return low, high


def column_help() -> list[tuple[str, str, bool]]:
    """(column, what to write, required) for each column."""
    low, high = _average_bounds()
    described = {
        STUDENT_NUMBER: _("the student number (matricola) of a student known to abroad"),
        FIRST_ENROLMENT_YEAR: _("the year of the first enrolment, like 2023 or 2023/2024"),
        CREDITS_BACHELOR: _("credits earned at the first level, 0 to %(max)d")
        % {"max": MAX_CREDITS},
        CREDITS_MASTER: _("credits earned at the second level, 0 to %(max)d")
        % {"max": MAX_CREDITS},
        AVERAGE_BACHELOR: _(
            "the credit-weighted average at the first level, %(low)s to %(high)s, or empty"
        )
        % {"low": low, "high": high},
        AVERAGE_MASTER: _(
            "the credit-weighted average at the second level, %(low)s to %(high)s, or empty"
        )
        % {"low": low, "high": high},
        FIRST_YEAR_COMPLETED: _("yes or no"),
        PREVIOUS_EXCHANGES: _("exchanges already done, 0 to %(max)d (empty: 0)")
        % {"max": MAX_EXCHANGES},
        MONTHS_USED: _("months of mobility used in this study cycle, 0 to %(max)d (empty: 0)")
        % {"max": MAX_MONTHS},
        LANGUAGE: _("a certificate's language, an ISO 639-1 code like en; or empty"),
        LEVEL: _("the certificate's CEFR level, A1 to C2; empty when language is"),
    }
    return [(column, str(described[column]), column in REQUIRED_COLUMNS) for column in COLUMNS]


# ---------------------------------------------------------------------------------------
# The report


@dataclass
class CareerImportReport(importing.ImportReport):
    students: int = 0
    careers_created: int = 0
    careers_updated: int = 0
    careers_unchanged: int = 0
    certificates_created: int = 0
    certificates_updated: int = 0
    certificates_unchanged: int = 0

    def imported_summary(self) -> str:
        return (
            f"{super().imported_summary()}, {self.students} students: careers "
            f"{self.careers_created} created, {self.careers_updated} updated, "
            f"{self.careers_unchanged} unchanged; certificates {self.certificates_created} "
            f"created, {self.certificates_updated} updated, {self.certificates_unchanged} "
            "unchanged"
        )


# ---------------------------------------------------------------------------------------
# Reading cells


def _whole(text: str, low: int, high: int) -> int:
    if not re.fullmatch(r"\d+", text) or not low <= int(text) <= high:
        raise Invalid(
            _("%(value)s is not a whole number between %(low)d and %(high)d")
            % {"value": quoted(text), "low": low, "high": high}
        )
    return int(text)


def _year(text: str) -> int:
    latest = current_start_year()
    year = importing.academic_year(
        text,
        plain=True,
        message=_(
            "%(value)s is not a year: write the year of the first enrolment, like 2023 or 2023/2024"
        ),
    )
    if not OLDEST_ENROLMENT <= year <= latest:
        raise Invalid(
            _("%(value)s is not a first enrolment between %(low)d and %(high)s")
            % {"value": quoted(text), "low": OLDEST_ENROLMENT, "high": format_year(latest)}
        )
    return year


def _average(value: Any, text: str) -> Decimal:
    low, high = _average_bounds()
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = Decimal(str(value))
    else:
        try:
            number = Decimal(text.replace(",", "."))  # Italian Excel writes 27,5
        except InvalidOperation:
            number = Decimal("NaN")
    if not number.is_finite() or not low <= number <= high:
        raise Invalid(
            _("%(value)s is not an average between %(low)s and %(high)s")
            % {"value": quoted(text), "low": low, "high": high}
        )
    return number.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _language(text: str) -> str:
    key = text.lower()
    if key in Language.values:
        return key
    raise Invalid(
        _("%(value)s is not a language code abroad knows: write an ISO 639-1 code like en, fr, de")
        % {"value": quoted(text)}
    )


def _level(text: str) -> str:
    key = text.upper()
    if key in CEFR.values:
        return key
    raise Invalid(
        _("%(value)s is not a CEFR level: write A1, A2, B1, B2, C1 or C2") % {"value": quoted(text)}
    )


@dataclass
class _Student:
    """What the file says of one student, gathered from their rows."""

    user: User
    line: int
    career: dict[str, Any]
    certificates: dict[str, tuple[str, int]] = field(default_factory=dict)  # language -> level


class _RowReader:
    def __init__(self, row: Row, errors: list[RowError]) -> None:
        self.row = row
        self.errors = errors
        self.ok = True

    def error(self, column: str | None, message: str) -> None:
        self.errors.append(RowError(self.row.line, column, message))
        self.ok = False

    def read(self, column: str, parse: Any, *, required: bool, default: Any = None) -> Any:
        value = self.row[column]
        text = clean(value)
        if not text:
            if required:
                self.error(column, _("the cell is empty: write %(what)s") % _what(column))
            return default
        try:
            return parse(value, text)
        except Invalid as error:
            self.error(column, str(error))
            return default


def _what(column: str) -> dict[str, str]:
    return {"what": dict((c, h) for c, h, _r in column_help())[column]}


def _read_career(reader: _RowReader) -> dict[str, Any]:
    career = {
        "first_enrolment_year": reader.read(
            FIRST_ENROLMENT_YEAR, lambda _v, t: _year(t), required=True
        ),
        "credits_bachelor": reader.read(
            CREDITS_BACHELOR, lambda _v, t: _whole(t, 0, MAX_CREDITS), required=False, default=0
        ),
        "credits_master": reader.read(
            CREDITS_MASTER, lambda _v, t: _whole(t, 0, MAX_CREDITS), required=False, default=0
        ),
        "average_bachelor": reader.read(AVERAGE_BACHELOR, _average, required=False),
        "average_master": reader.read(AVERAGE_MASTER, _average, required=False),
        "first_year_completed": reader.read(
            FIRST_YEAR_COMPLETED, lambda _v, t: importing.yes_no(t), required=True
        ),
        "previous_exchanges": reader.read(
            PREVIOUS_EXCHANGES, lambda _v, t: _whole(t, 0, MAX_EXCHANGES), required=False, default=0
        ),
        "months_used": reader.read(
            MONTHS_USED, lambda _v, t: _whole(t, 0, MAX_MONTHS), required=False, default=0
        ),
    }
    for level, credits_column, average_column in (
        ("bachelor", CREDITS_BACHELOR, AVERAGE_BACHELOR),
        ("master", CREDITS_MASTER, AVERAGE_MASTER),
    ):
        credits, average = career[f"credits_{level}"], career[f"average_{level}"]
        if credits and average is None and not clean(reader.row[average_column]):
            reader.error(
                average_column,
                _("%(credits)s is %(value)d but %(average)s is empty: write the average")
                % {"credits": credits_column, "value": credits, "average": average_column},
            )
        elif average is not None and not credits and not clean(reader.row[credits_column]):
            reader.error(
                credits_column,
                _("%(average)s is given but %(credits)s is empty: write the credits")
                % {"credits": credits_column, "average": average_column},
            )
    return career


def _read_certificate(reader: _RowReader, present: set[str]) -> tuple[str, str] | None:
    if LANGUAGE not in present:
        return None
    language = reader.read(LANGUAGE, lambda _v, t: _language(t), required=False)
    level = reader.read(LEVEL, lambda _v, t: _level(t), required=False)
    language_text, level_text = clean(reader.row[LANGUAGE]), clean(reader.row[LEVEL])
    if language_text and not level_text:
        reader.error(
            LEVEL,
            _("the cell is empty: write the level of the %(language)s certificate")
            % {"language": language_text},
        )
    elif level_text and not language_text:
        reader.error(
            LANGUAGE,
            _("the cell is empty: write the language of the %(level)s certificate")
            % {"level": level_text},
        )
    if language and level:
        return language, level
    return None


_check_header = importing.header_check(
    known=COLUMNS, required=REQUIRED_COLUMNS, together=[CERTIFICATE_COLUMNS]
)


def _collect(
    rows: list[Row],
    present: set[str],
    users: dict[str, User],
    errors: list[RowError],
    progress: Progress,
) -> dict[str, _Student]:
    students: dict[str, _Student] = {}
    for row in progress(rows, total=len(rows), desc="checking rows"):
        reader = _RowReader(row, errors)
        number = row.text(STUDENT_NUMBER)
        user = None
        if not number:
            reader.error(
                STUDENT_NUMBER, _("the cell is empty: write %(what)s") % _what(STUDENT_NUMBER)
            )
        else:
            user = users.get(number)
            if user is None:
                reader.error(
                    STUDENT_NUMBER,
                    _(
                        "no student has the number %(value)s: check it, or create the "
                        "student's account first"
                    )
                    % {"value": quoted(number)},
                )
            elif user.role != Role.STUDENT:
                reader.error(
                    STUDENT_NUMBER,
                    _("%(value)s is the number of %(user)s, who is not a student")
                    % {"value": quoted(number), "user": user},
                )
        career = _read_career(reader)
        certificate = _read_certificate(reader, present)
        if user is None or not reader.ok:
            continue
        student = students.get(number)
        if student is None:
            student = students[number] = _Student(user=user, line=row.line, career=career)
        else:
            for name, value in career.items():
                if value != student.career[name]:
                    shown = _shown(student.career[name])
                    errors.append(
                        RowError(
                            row.line,
                            name,
                            _(
                                "%(value)s differs from %(first)s on line %(line)d for the same "
                                "student %(number)s: a student's career columns must be the "
                                "same on all their rows"
                            )
                            % {
                                "value": quoted(_shown(value)),
                                "first": quoted(shown),
                                "line": student.line,
                                "number": quoted(number),
                            },
                        )
                    )
        if certificate is not None:
            language, level = certificate
            if language in student.certificates:
                _level, first_line = student.certificates[language]
                errors.append(
                    RowError(
                        row.line,
                        LANGUAGE,
                        _(
                            "the student %(number)s already has a %(language)s certificate on "
                            "line %(line)d: keep one row per language, with the highest level"
                        )
                        % {"number": quoted(number), "language": language, "line": first_line},
                    )
                )
            else:
                student.certificates[language] = (level, row.line)
    return students


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# ---------------------------------------------------------------------------------------
# Import


def _write(students: dict[str, _Student], report: CareerImportReport, progress: Progress) -> None:
    user_ids = [student.user.pk for student in students.values()]
    careers = {c.student_id: c for c in StudentCareer.objects.filter(student_id__in=user_ids)}
    certificates: dict[tuple[int, str], list[LanguageCertificate]] = {}
    for certificate in LanguageCertificate.objects.filter(student_id__in=user_ids):
        certificates.setdefault((certificate.student_id, certificate.language), []).append(
            certificate
        )
    new_careers: list[StudentCareer] = []
    new_certificates: list[LanguageCertificate] = []
    for student in progress(list(students.values()), total=len(students), desc="writing"):
        user_id = student.user.pk
        career = careers.get(user_id)
        if career is None:
            new_careers.append(StudentCareer(student=student.user, **student.career))
        elif any(getattr(career, name) != value for name, value in student.career.items()):
            for name, value in student.career.items():
                setattr(career, name, value)
            career.save()
            report.careers_updated += 1
        else:
            report.careers_unchanged += 1
        for language, (level, _line) in student.certificates.items():
            held = certificates.get((user_id, language), [])
            if not held:
                new_certificates.append(
                    LanguageCertificate(student=student.user, language=language, level=level)
                )
                continue
            changed = [certificate for certificate in held if certificate.level != level]
            for certificate in changed:
                certificate.level = level
                certificate.save(update_fields=["level"])
            if changed:
                report.certificates_updated += 1
            else:
                report.certificates_unchanged += 1
    StudentCareer.objects.bulk_create(new_careers)
    LanguageCertificate.objects.bulk_create(new_certificates)
    report.careers_created = len(new_careers)
    report.certificates_created = len(new_certificates)


def import_careers(
    source: importing.Source,
    *,
    name: str | None = None,
    dry_run: bool = False,
    actor: User | None = None,
    progress: Progress = importing.no_progress,
) -> CareerImportReport:
    """Import the careers in ``source`` (an XLSX or CSV file, or an open file with its
    ``name``): all of them, or none when any row is bad (see the report's ``errors``)."""
    report = CareerImportReport(file=importing.source_name(source, name), dry_run=dry_run)
    table = importing.read_import_table(
        source, report, anchors=(STUDENT_NUMBER,), check_header=_check_header
    )
    if table is None:
        return report
    numbers = {row.text(STUDENT_NUMBER) for row in table.rows} - {""}
    users = {user.student_number: user for user in User.objects.filter(student_number__in=numbers)}
    students = _collect(table.rows, set(table.columns), users, report.errors, progress)
    if report.errors:
        return report
    report.students = len(students)
    importing.write_atomically(
        report, lambda: _write(students, report, progress), actor=actor, action="careers.imported"
    )
    return report


# =======================================================================================
# Passed courses: the exams a student has already passed at home
#
# One row per exam (student_number, code, title, credits, and optionally grade and
# passed_on). All or nothing, like the careers. Each row creates the student's passed course
# with that code, or updates it when the file says otherwise; passed courses that are not in
# the file are left as they are. When the file has no grade (or passed_on) column, the grades
# (dates) already recorded are kept; an empty cell in a present column clears them.

CODE = "code"
TITLE = "title"
CREDITS = "credits"
GRADE = "grade"
PASSED_ON = "passed_on"

PASSED_COLUMNS = (STUDENT_NUMBER, CODE, TITLE, CREDITS, GRADE, PASSED_ON)
PASSED_REQUIRED_COLUMNS = (STUDENT_NUMBER, CODE, TITLE, CREDITS)
# A single exam is worth half a credit at least, a whole year's worth at most.
MIN_COURSE_CREDITS = Decimal("0.5")
MAX_COURSE_CREDITS = Decimal(60)
ONE_PLACE = Decimal("0.1")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def _max_length(name: str) -> int:
    passed_field = PassedCourse._meta.get_field(name)
    assert isinstance(passed_field, models.CharField)
    assert passed_field.max_length
    return passed_field.max_length


def passed_course_column_help() -> list[tuple[str, str, bool]]:
    """(column, what to write, required) for each column of the passed courses' file."""
    described = {
        STUDENT_NUMBER: _("the student number (matricola) of a student known to abroad"),
        CODE: _(
            "the code of the exam at home, as in the learning agreements; at most %(max)d "
            "characters"
        )
        % {"max": _max_length(CODE)},
        TITLE: _("the title of the exam at home; at most %(max)d characters")
        % {"max": _max_length(TITLE)},
        CREDITS: _("the exam's credits (ECTS), %(low)s to %(high)s, like 6 or 7.5")
        % {"low": MIN_COURSE_CREDITS, "high": MAX_COURSE_CREDITS},
        GRADE: _("the grade, like 28 or 30L, at most %(max)d characters; or empty")
        % {"max": _max_length(GRADE)},
        PASSED_ON: _("the day the exam was passed, like 2024-06-15 or 15/06/2024; or empty"),
    }
    return [
        (column, str(described[column]), column in PASSED_REQUIRED_COLUMNS)
        for column in PASSED_COLUMNS
    ]


@dataclass
class PassedCourseImportReport(importing.ImportReport):
    students: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def imported_summary(self) -> str:
        return (
            f"{super().imported_summary()}, {self.students} students: passed courses "
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        )


def _passed_what(column: str) -> dict[str, str]:
    return {"what": dict((c, h) for c, h, _r in passed_course_column_help())[column]}


class _PassedRowReader(_RowReader):
    def read(self, column: str, parse: Any, *, required: bool, default: Any = None) -> Any:
        if required and not clean(self.row[column]):
            self.error(column, _("the cell is empty: write %(what)s") % _passed_what(column))
            return default
        return super().read(column, parse, required=False, default=default)


def _text(text: str, column: str) -> str:
    limit = _max_length(column)
    if len(text) > limit:
        raise Invalid(
            _("%(value)s is longer than %(max)d characters") % {"value": quoted(text), "max": limit}
        )
    return text


def _course_credits(value: Any, text: str) -> Decimal:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = Decimal(str(value))
    else:
        try:
            number = Decimal(text.replace(",", "."))  # Italian Excel writes 7,5
        except InvalidOperation:
            number = Decimal("NaN")
    if not number.is_finite() or not MIN_COURSE_CREDITS <= number <= MAX_COURSE_CREDITS:
        raise Invalid(
            _("%(value)s is not a number of credits between %(low)s and %(high)s")
            % {"value": quoted(text), "low": MIN_COURSE_CREDITS, "high": MAX_COURSE_CREDITS}
        )
    if number != number.quantize(ONE_PLACE):
        raise Invalid(
            _("%(value)s has more than one decimal: write credits like 6 or 7.5")
            % {"value": quoted(text)}
        )
    return number.quantize(ONE_PLACE)


def _passed_on(value: Any, text: str) -> dt.date:
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        for fmt in DATE_FORMATS:
            try:
                day = dt.datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
        else:
            raise Invalid(
                _("%(value)s is not a date: write it like 2024-06-15 or 15/06/2024")
                % {"value": quoted(text)}
            )
    if day > timezone.localdate():
        raise Invalid(
            _("%(value)s is in the future: write the day the exam was passed")
            % {"value": quoted(text)}
        )
    return day


_check_passed_header = importing.header_check(
    known=PASSED_COLUMNS, required=PASSED_REQUIRED_COLUMNS
)


@dataclass
class _Passed:
    """One row of the file: one exam of one student."""

    user: User
    line: int
    code: str
    values: dict[str, Any]  # title, credits, and grade and passed_on when the file has them


def _passed_student(reader: _RowReader, users: dict[str, User]) -> User | None:
    number = reader.row.text(STUDENT_NUMBER)
    if not number:
        reader.error(
            STUDENT_NUMBER, _("the cell is empty: write %(what)s") % _passed_what(STUDENT_NUMBER)
        )
        return None
    user = users.get(number)
    if user is None:
        reader.error(
            STUDENT_NUMBER,
            _(
                "no student has the number %(value)s: check it, or create the student's "
                "account first"
            )
            % {"value": quoted(number)},
        )
    elif user.role != Role.STUDENT:
        reader.error(
            STUDENT_NUMBER,
            _("%(value)s is the number of %(user)s, who is not a student")
            % {"value": quoted(number), "user": user},
        )
        return None
    return user


def _collect_passed(
    rows: list[Row],
    present: set[str],
    users: dict[str, User],
    errors: list[RowError],
    progress: Progress,
) -> list[_Passed]:
    courses: list[_Passed] = []
    seen: dict[tuple[str, str], int] = {}  # (student number, code) -> its first line
    for row in progress(rows, total=len(rows), desc="checking rows"):
        reader = _PassedRowReader(row, errors)
        user = _passed_student(reader, users)
        code = reader.read(CODE, lambda _v, t: _text(t, CODE), required=True)
        values = {
            TITLE: reader.read(TITLE, lambda _v, t: _text(t, TITLE), required=True),
            CREDITS: reader.read(CREDITS, _course_credits, required=True),
        }
        if GRADE in present:
            values[GRADE] = reader.read(
                GRADE, lambda _v, t: _text(t, GRADE), required=False, default=""
            )
        if PASSED_ON in present:
            values[PASSED_ON] = reader.read(PASSED_ON, _passed_on, required=False)
        if user is None or code is None:
            continue
        number = row.text(STUDENT_NUMBER)
        first = seen.setdefault((number, code), row.line)
        if first != row.line:
            reader.error(
                CODE,
                _(
                    "the student %(number)s already has the course %(code)s on line %(line)d: "
                    "keep one row per student and course"
                )
                % {"number": quoted(number), "code": quoted(code), "line": first},
            )
        elif reader.ok:
            courses.append(_Passed(user=user, line=row.line, code=code, values=values))
    return courses


def _write_passed(
    courses: list[_Passed], report: PassedCourseImportReport, progress: Progress
) -> None:
    user_ids = {course.user.pk for course in courses}
    held = {
        (passed.student_id, passed.code): passed
        for passed in PassedCourse.objects.filter(student_id__in=user_ids)
    }
    new: list[PassedCourse] = []
    for course in progress(courses, total=len(courses), desc="writing"):
        passed = held.get((course.user.pk, course.code))
        if passed is None:
            new.append(PassedCourse(student=course.user, code=course.code, **course.values))
        elif any(getattr(passed, name) != value for name, value in course.values.items()):
            for name, value in course.values.items():
                setattr(passed, name, value)
            passed.save(update_fields=list(course.values))
            report.updated += 1
        else:
            report.unchanged += 1
    PassedCourse.objects.bulk_create(new)
    report.created = len(new)


def import_passed_courses(
    source: importing.Source,
    *,
    name: str | None = None,
    dry_run: bool = False,
    actor: User | None = None,
    progress: Progress = importing.no_progress,
) -> PassedCourseImportReport:
    """Import the passed courses in ``source`` (an XLSX or CSV file, or an open file with its
    ``name``): all of them, or none when any row is bad (see the report's ``errors``)."""
    report = PassedCourseImportReport(file=importing.source_name(source, name), dry_run=dry_run)
    table = importing.read_import_table(
        source, report, anchors=(STUDENT_NUMBER, CODE), check_header=_check_passed_header
    )
    if table is None:
        return report
    numbers = {row.text(STUDENT_NUMBER) for row in table.rows} - {""}
    users = {user.student_number: user for user in User.objects.filter(student_number__in=numbers)}
    courses = _collect_passed(table.rows, set(table.columns), users, report.errors, progress)
    if report.errors:
        return report
    report.students = len({course.user.pk for course in courses})
    importing.write_atomically(
        report,
        lambda: _write_passed(courses, report, progress),
        actor=actor,
        action="passed_courses.imported",
    )
    return report
