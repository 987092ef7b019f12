"""The "proof of mobility periods" the Italian public universities owe the national data
platform (PDND, PNRR measure 1.3.1, e-service IFS02.5): for each student, each period spent
abroad, from the mobility records. docs/ifs02.md has the mapping and what is assumed.

One row per mobility period (the e-service answers a list of periods per person): the
person's identifiers, the EQF level, the dates, the period type, the departure and
destination institutions with their Erasmus codes and countries. The columns keep the field
names of the e-service's draft response (``IFS02.5-response.json``), so whoever feeds the
platform maps nothing; a few of ours (``mobility_id``, ``student_number``, the country codes)
come first or after them. Withdrawn mobilities and stays not yet begun are not periods.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import translation
from django_countries import countries

from abroad.catalogue.models import Institution, School
from abroad.core import importing
from abroad.core.academic_year import format_year
from abroad.mobility.enums import MobilityKind, MobilityState
from abroad.mobility.models import LearningAgreement, Mobility
from abroad.mobility.queries import office_mobilities_q
from abroad.reporting.queries import school_q, student_eqf

COLUMNS = (
    "mobility_id",
    "student_number",
    "tax_code",
    "given_name",
    "family_name",
    "academic_year",
    "eqf_level",
    "mobility_start_date",
    "mobility_end_date",
    "dates_source",
    "mobility_period_type",
    "destination_institute_name",
    "destination_erasmus_code",
    "destination_department",
    "destination_country",
    "destination_country_code",
    "departure_institute_name",
    "departure_erasmus_code",
    "departure_department",
    "departure_country",
    "departure_country_code",
)
TEXT_COLUMNS = ("student_number", "tax_code", "destination_erasmus_code", "departure_erasmus_code")

# The period types the e-service's draft names.
SHORT_TERM = "breve_termine"
QUARTER = "trimestrale"
SEMESTER = "semestrale"
YEAR = "annuale"
LONG_TERM = "lungo_termine"

# The states of a mobility that is (or was) a period abroad.
PERIOD_STATES = (MobilityState.IN_MOBILITY, MobilityState.COMPLETED)


def period_type(kind: str, start: dt.date, end: dt.date) -> str:
    """The e-service's period type of a stay of ``kind`` from ``start`` to ``end`` (both days
    included): a short network programme is short-term; a double degree, or anything over a
    year, long-term; otherwise by its days: up to 120 a quarter, up to 240 a semester, beyond
    that a year."""
    days = (end - start).days + 1
    if kind == MobilityKind.SHORT:
        return SHORT_TERM
    if kind == MobilityKind.DOUBLE_DEGREE or days > 366:
        return LONG_TERM
    if days <= 120:
        return QUARTER
    if days <= 240:
        return SEMESTER
    return YEAR


def italian_country(code: str) -> str:
    """The country's name in Italian, as the e-service's example writes it ("Spagna")."""
    if not code:
        return ""
    with translation.override("it"):
        return str(countries.name(code)) or code


def periods(
    user: Any = None, *, year: int | None = None, school: int | School | None = None
) -> QuerySet[Mobility]:
    """The periods abroad: mobilities in mobility or completed, of academic year ``year`` and
    of students of ``school`` (its sections too) if given, within ``user``'s office scope
    (None: the system, everything); by student and start. One query with its columns."""
    found = Mobility.objects.filter(state__in=PERIOD_STATES, actual_start__isnull=False)
    if user is not None:
        found = found.filter(office_mobilities_q(user))
    if year is not None:
        found = found.filter(academic_year=year)
    found = found.filter(school_q("student__course_of_study__", school))
    agreement_eqf = (
        LearningAgreement.objects.filter(mobility=OuterRef("pk"), eqf__isnull=False)
        .order_by("-number")
        .values("eqf")[:1]
    )
    return (
        found.select_related("student__course_of_study__school", "host")
        .annotate(agreement_eqf=Subquery(agreement_eqf), course_eqf=student_eqf())
        .order_by("student__last_name", "student__first_name", "student_id", "actual_start", "pk")
    )


def rows(mobilities: Iterable[Mobility], home: Institution | None) -> Iterator[dict[str, Any]]:
    """The export's rows, keyed by :data:`COLUMNS`."""
    names: dict[str, str] = {}  # a country's Italian name, looked up once per country

    def italian(code: str) -> str:
        if code not in names:
            names[code] = italian_country(code)
        return names[code]

    for mobility in mobilities:
        student = mobility.student
        start = mobility.start
        end = mobility.end
        assert start is not None
        course = student.course_of_study
        eqf = getattr(mobility, "agreement_eqf", None) or getattr(mobility, "course_eqf", None)
        yield {
            "mobility_id": mobility.pk,
            "student_number": student.student_number,
            "tax_code": student.fiscal_code,
            "given_name": student.first_name,
            "family_name": student.last_name,
            "academic_year": format_year(mobility.academic_year),
            "eqf_level": eqf,
            "mobility_start_date": start.isoformat(),
            "mobility_end_date": end.isoformat() if end else "",
            "dates_source": "actual" if mobility.actual_end else "planned_end",
            "mobility_period_type": period_type(mobility.kind, start, end) if end else "",
            "destination_institute_name": mobility.host.display_name,
            "destination_erasmus_code": mobility.host.erasmus_code or "",
            "destination_department": "",
            "destination_country": italian(str(mobility.host.country)),
            "destination_country_code": str(mobility.host.country),
            "departure_institute_name": home.display_name if home else "",
            "departure_erasmus_code": (home.erasmus_code or "") if home else "",
            "departure_department": course.school.display_name if course else "",
            "departure_country": italian(str(home.country)) if home else "",
            "departure_country_code": str(home.country) if home else "",
        }


def export(
    target: str | IO[bytes],
    fmt: importing.Format,
    user: Any = None,
    *,
    year: int | None = None,
    school: int | School | None = None,
) -> int:
    """Write the proof of mobility periods (CSV or XLSX, formulas defused); return the rows."""
    return importing.write_table(
        target,
        columns=COLUMNS,
        rows=rows(periods(user, year=year, school=school), Institution.objects.find_home()),
        fmt=fmt,
        sheet="IFS02.5",
        text_columns=TEXT_COLUMNS,
    )
