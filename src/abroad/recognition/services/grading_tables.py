"""A home grading table built from a file of past grades."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from abroad.catalogue.models import CourseOfStudy, Institution
from abroad.core import audit, importing
from abroad.core.importing import ImportReport, RowError
from abroad.people.models import User
from abroad.recognition import importers
from abroad.recognition.enums import Cycle
from abroad.recognition.models import (
    GradingScale,
    GradingTable,
)
from abroad.recognition.services.base import (
    RecognitionError,
    _require,
    _scale,
)

# ---------------------------------------------------------------------------- grading tables


@dataclass
class GradingTableReport(ImportReport):
    table: GradingTable | None = None
    grades: int = 0  # passing grades counted in the table
    failing: int = 0  # fail grades left out
    other_fields: int = 0  # grades of other ISCED-F fields left out

    def imported_summary(self) -> str:
        return (
            f"{super().imported_summary()}: {self.grades} passing grades counted, "
            f"{self.failing} fail grades and {self.other_fields} grades of other fields left out"
        )


PERCENT_PLACES = Decimal("0.01")


def build_home_grading_table(
    *,
    institution: Institution,
    scale: GradingScale,
    isced_code: str,
    cycle: str,
    file: importing.Source,
    actor: User | None,
    name: str | None = None,
    dry_run: bool = False,
) -> GradingTableReport:
    """The grading table of ``isced_code`` and ``cycle`` (the reference group) from a CSV or
    XLSX file of past grades (columns course_of_study or isced, academic_year, grade, and
    optionally count): the distribution of the passing grades of the courses in that field
    (their ISCED-F code starts with ``isced_code``), over at least two academic years. The
    table of the same group and years is replaced. Any bad row: nothing is stored, and the
    report names each."""
    _require(
        actor,
        "recognition.add_gradingtable",
        None,
        _("Only the International Mobility Unit builds grading tables."),
        system=True,
    )
    report = GradingTableReport(file=importing.source_name(file, name), dry_run=dry_run)
    isced_code = isced_code.strip()
    if not isced_code.isdigit() or not 2 <= len(isced_code) <= 4:
        raise RecognitionError(
            _("%(value)s is not an ISCED-F code: give 2 to 4 digits, like 0715")
            % {"value": isced_code}
        )
    if cycle not in Cycle.values:
        raise RecognitionError(
            _("%(value)s is not a cycle: choose one of %(cycles)s")
            % {"value": cycle, "cycles": ", ".join(Cycle.values)}
        )
    home = _scale(scale)
    courses = {
        code.upper(): isced
        for code, isced in CourseOfStudy.objects.values_list("code", "isced_code")
    }
    grades = importers.read_past_grades(file, report, scale=home, courses=courses)
    if report.errors:
        return report
    counts: Counter[str] = Counter()
    years: set[int] = set()
    for grade in grades:
        if not grade.isced.startswith(isced_code):
            report.other_fields += grade.count
        elif not grade.grade.passed:
            report.failing += grade.count
        else:
            counts[grade.grade.label] += grade.count
            years.add(grade.year)
    if len(years) < 2:
        report.errors.append(
            RowError(
                None,
                importers.ACADEMIC_YEAR,
                _(
                    "the passing grades of ISCED-F %(isced)s cover %(years)s: a grading table "
                    "needs at least two academic years"
                )
                % {
                    "isced": isced_code,
                    "years": importers.years_text(sorted(years)) or _("no year"),
                },
            )
        )
        return report
    first, last = min(years), max(years)
    ordered = {g.label: counts[g.label] for g in home.passing_grades() if counts[g.label]}
    total = sum(ordered.values())
    percentages = {
        label: str((Decimal(100) * n / total).quantize(PERCENT_PLACES))
        for label, n in ordered.items()
    }
    report.grades = total
    with transaction.atomic():
        table, _created = GradingTable.objects.update_or_create(
            institution=institution,
            scale=scale,
            isced_code=isced_code,
            cycle=cycle,
            first_year=first,
            last_year=last,
            defaults={
                "percentages": percentages,
                "counts": ordered,
                "source": f"{Path(report.file).name}: {total} passing grades, "
                f"{importers.years_text(sorted(years))}",
            },
        )
        try:
            table.table()
        except ValueError as error:
            report.errors.append(RowError(None, None, str(error)))
            transaction.set_rollback(True)
            return report
        if dry_run:
            transaction.set_rollback(True)
            return report
        report.table = table
        audit.record(
            actor=actor,
            action="gradingtable.built",
            obj=table,
            file=Path(report.file).name,
            **report.counts(),
        )
    return report
