"""``python -m abroad recognition <step> ...``: the office's recognition work from the shell.

    recognition export [--year 2026] [--format csv|xlsx] [--output FILE]
    recognition import-transcript MOBILITY_ID FILE [--scale CODE] [--dry-run]
    recognition grading-table [--institution ERASMUS_CODE] [--scale CODE] --isced 0715
                              --cycle second FILE [--dry-run]
    recognition rules

``export`` writes the validated recognitions for the registrar (CSV to the terminal without
--output); ``import-transcript`` enters a host's transcript from a spreadsheet (all rows or
none: every bad row is named); ``grading-table`` builds a home grading table from a file of past
grades (the home institution and the Italian scale unless told otherwise); ``rules`` lists the
conversion rules by scope. Each step calls the same service as the office pages; a refused
step (RecognitionError) is a CommandError with the service's message.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from abroad.catalogue import erasmus_code
from abroad.catalogue.models import Institution
from abroad.core.academic_year import format_year
from abroad.core.importing import Format, ImportReport, TableError, file_format
from abroad.core.management.arguments import academic_year
from abroad.mobility.models import Mobility
from abroad.recognition import conversion, exports, importers, services
from abroad.recognition.enums import Method
from abroad.recognition.models import HOME_STANDARD, ConversionRule, GradingScale
from abroad.recognition.services import RecognitionError

FORMATS: tuple[Format, ...] = ("csv", "xlsx")
# The scopes, the most specific first, and how the listing titles them.
SCOPES = (
    (conversion.Scope.PARTNER, "Partner institution"),
    (conversion.Scope.COURSE_OF_STUDY, "Course of study"),
    (conversion.Scope.SCHOOL, "School"),
    (conversion.Scope.DEFAULT, "Every mobility (default)"),
)


def plural(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def scope_of(rule: ConversionRule) -> conversion.Scope:
    """The most specific scope the rule names."""
    if rule.partner_id is not None:
        return conversion.Scope.PARTNER
    if rule.course_of_study_id is not None:
        return conversion.Scope.COURSE_OF_STUDY
    if rule.school_id is not None:
        return conversion.Scope.SCHOOL
    return conversion.Scope.DEFAULT


def where(rule: ConversionRule) -> str:
    """Where a rule applies, in codes: "partner TU Delft, course of study 3I-MSC-MECH"."""
    parts = []
    if rule.partner is not None:
        parts.append(f"partner {rule.partner.display_name}")
    if rule.course_of_study is not None:
        parts.append(f"course of study {rule.course_of_study.code}")
    if rule.school is not None:
        parts.append(f"School {rule.school.code}")
    return ", ".join(parts) or "every mobility"


def how(rule: ConversionRule) -> str:
    """The method and what it uses: "linear formula, rounding half up"."""
    parameters = rule.parameters if isinstance(rule.parameters, dict) else {}
    label = str(rule.get_method_display())
    text = label if label.startswith("ECTS") else label[0].lower() + label[1:]
    if rule.method == Method.LINEAR:
        text += f", rounding {parameters.get('rounding', 'half up')}"
        if parameters.get("lode_at_best"):
            text += ", 30L for the host's best grade"
    elif rule.method == Method.FIXED_TABLE:
        text += f", {len(parameters.get('bands') or [])} bands"
    elif rule.method == Method.TWO_STEP:
        text += f", {len(parameters.get('host_bands') or [])} host bands"
    else:
        text += f", {parameters.get('policy', 'closest')}"
        tables = [
            f"{what} table #{table.pk} ({table.institution.display_name}, {table.describe()})"
            for what, table in (("host", rule.host_table), ("home", rule.home_table))
            if table is not None
        ]
        if tables:
            text += "; " + ", ".join(tables)
    return text


class Command(BaseCommand):
    help = (
        "Recognition from the shell: export (the validated recognitions for the registrar), "
        "import-transcript, grading-table (a home grading table from past grades), rules. "
        "Run 'recognition <step> --help' for each step's options."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        steps = parser.add_subparsers(dest="step", required=True, metavar="STEP")

        export = steps.add_parser(
            "export", help="write the validated recognitions for the registrar (CSV or XLSX)"
        )
        export.add_argument(
            "--year", help="only this academic year's mobilities: 2026 or 2026/2027"
        )
        export.add_argument(
            "--format",
            choices=FORMATS,
            dest="fmt",
            help="csv or xlsx (default: the output file's extension, else csv)",
        )
        export.add_argument(
            "--output", help="the .csv or .xlsx file to write (default: CSV to the terminal)"
        )

        transcript = steps.add_parser(
            "import-transcript",
            help="enter a host's transcript from a CSV or XLSX file (columns "
            f"{', '.join(importers.TRANSCRIPT_COLUMNS)}); all rows or none",
        )
        transcript.add_argument("mobility", type=int, metavar="MOBILITY_ID")
        transcript.add_argument("file", metavar="FILE", help="an .xlsx or .csv file")
        transcript.add_argument(
            "--scale",
            help="the code of the transcript's grading scale (default: the transcript's, "
            "else the only scale of the host's country)",
        )
        transcript.add_argument(
            "--dry-run", action="store_true", help="check the file and report, write nothing"
        )

        table = steps.add_parser(
            "grading-table",
            help="build a home grading table from a CSV or XLSX file of past grades (columns "
            f"{', '.join(importers.GRADES_COLUMNS)})",
        )
        table.add_argument("file", metavar="FILE", help="an .xlsx or .csv file")
        table.add_argument(
            "--institution",
            metavar="ERASMUS_CODE",
            help="whose grades (default: the home institution), e.g. 'I  MILANO02'",
        )
        table.add_argument(
            "--scale", help="the code of the grades' scale (default: the Italian 18-30 scale)"
        )
        table.add_argument("--isced", required=True, help="the ISCED-F field, e.g. 0715")
        table.add_argument("--cycle", required=True, help="first, second, third or 'long single'")
        table.add_argument(
            "--dry-run", action="store_true", help="check the file and report, write nothing"
        )

        steps.add_parser("rules", help="list the conversion rules by scope")

    def handle(self, *args: Any, **options: Any) -> None:
        step = options["step"]
        started = time.perf_counter()
        try:
            if step == "rules":
                self.rules()
                return
            if step == "export":
                timed = self.export(options.get("year"), options.get("fmt"), options.get("output"))
            elif step == "import-transcript":
                self.import_transcript(
                    options["mobility"], options["file"], options.get("scale"), options["dry_run"]
                )
                timed = True
            else:
                self.grading_table(options)
                timed = True
        except RecognitionError as error:
            raise CommandError(str(error)) from None
        if timed:
            self.stdout.write(f"Done in {time.perf_counter() - started:.2f} s.")

    # -------------------------------------------------------------------------- helpers

    def _scale(self, code: str) -> GradingScale:
        try:
            return GradingScale.objects.get(code=code)
        except GradingScale.DoesNotExist:
            known = ", ".join(GradingScale.objects.order_by("code").values_list("code", flat=True))
            raise CommandError(
                f"no grading scale has the code {code!r}; the scales are: {known or 'none yet'}"
            ) from None

    def _file(self, file: str) -> Path:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"there is no file {file}")
        return path

    def _report(self, report: ImportReport, file: str) -> None:
        """An import's report: on stdout, or every problem on stderr and a CommandError."""
        if report.errors:
            for line in report.lines():
                self.stderr.write(line)
            raise CommandError(f"nothing was imported: {len(report.errors)} problem(s) in {file}")
        for line in report.lines():
            self.stdout.write(line)

    # ---------------------------------------------------------------------------- steps

    def export(self, year_text: str | None, fmt: Format | None, output: str | None) -> bool:
        """Write the export; True when it went to a file (and the timing may follow)."""
        year = academic_year(year_text) if year_text is not None else None
        if output is not None:
            try:
                named = file_format(output)
            except TableError as error:
                raise CommandError(str(error)) from None
            if fmt is not None and fmt != named:
                raise CommandError(
                    f"--format {fmt} but {Path(output).name} is a .{named} file: make them agree"
                )
            fmt = named
            path = Path(output)
            if not path.parent.is_dir():
                raise CommandError(f"there is no folder {path.parent} to write {path.name} in")
        elif fmt == "xlsx":
            raise CommandError("an XLSX file cannot go to the terminal: add --output FILE.xlsx")
        lines = exports.validated_lines(year)
        transcripts = lines.order_by().values("transcript_id").distinct().count()
        of_year = f" of {format_year(year)}" if year is not None else ""
        what = f"recognised components ({plural(transcripts, 'validated transcript')}{of_year})"
        if output is None:
            buffer = io.BytesIO()
            count = exports.export_recognitions(buffer, fmt="csv", academic_year=year)
            text = buffer.getvalue().decode("utf-8-sig").replace("\r\n", "\n")
            self.stdout.write(text, ending="")
            self.stderr.write(f"Wrote {count} {what}.")
            return False
        count = exports.export_recognitions(output, fmt=fmt, academic_year=year)
        self.stdout.write(f"Wrote {count} {what} to {output}.")
        return True

    def import_transcript(
        self, mobility_id: int, file: str, scale_code: str | None, dry_run: bool
    ) -> None:
        mobility = Mobility.objects.select_related("student", "host").filter(pk=mobility_id).first()
        if mobility is None:
            raise CommandError(f"no mobility has the id {mobility_id}")
        scale = self._scale(scale_code) if scale_code is not None else None
        report = services.import_transcript(
            mobility=mobility,
            file=str(self._file(file)),
            actor=None,
            host_scale=scale,
            dry_run=dry_run,
        )
        self._report(report, file)
        if report.transcript is not None:
            self.stdout.write(
                f"Transcript of {mobility}: {report.transcript.get_state_display().lower()} "
                "to accept it."
            )

    def grading_table(self, options: dict[str, Any]) -> None:
        code = options.get("institution")
        if code is None:
            institution = Institution.objects.find_home()
            if institution is None:
                raise CommandError("no home institution yet: give --institution ERASMUS_CODE")
        else:
            try:
                normalised = erasmus_code.normalise(code)
            except erasmus_code.InvalidErasmusCode as error:
                raise CommandError(str(error)) from None
            institution = Institution.objects.filter(erasmus_code=normalised).first()
            if institution is None:
                raise CommandError(f"no institution has the Erasmus code {normalised!r}")
        scale_code = options.get("scale")
        if scale_code is None:
            scale = GradingScale.objects.filter(standard=HOME_STANDARD).first()
            if scale is None:
                raise CommandError("the Italian scale is not in the database yet: give --scale")
        else:
            scale = self._scale(scale_code)
        file = options["file"]
        report = services.build_home_grading_table(
            institution=institution,
            scale=scale,
            isced_code=options["isced"],
            cycle=options["cycle"],
            file=str(self._file(file)),
            actor=None,
            dry_run=options["dry_run"],
        )
        self._report(report, file)
        table = report.table
        if table is not None:
            self.stdout.write(f"Grading table #{table.pk} of {institution}: {table.describe()}:")
            self.stdout.write(
                "  "
                + ", ".join(f"{grade} {percent} %" for grade, percent in table.percentages.items())
            )

    def rules(self) -> None:
        rules = list(
            ConversionRule.objects.select_related(
                "school",
                "course_of_study",
                "partner",
                "host_scale",
                "home_scale",
                "host_table__institution",
                "home_table__institution",
            ).order_by("host_scale__name", "name", "pk")
        )
        if not rules:
            self.stdout.write("No conversion rules yet: the office adds them in the admin.")
            return
        by_scope: dict[conversion.Scope, list[ConversionRule]] = {}
        for rule in rules:
            by_scope.setdefault(scope_of(rule), []).append(rule)
        counts = ", ".join(f"{len(by_scope.get(scope, []))} {scope}" for scope, _title in SCOPES)
        self.stdout.write(
            f"{plural(len(rules), 'conversion rule')} ({counts}); for a mobility the most "
            "specific that applies wins."
        )
        for scope, title in SCOPES:
            if scope not in by_scope:
                continue
            self.stdout.write(f"{title}:")
            for rule in by_scope[scope]:
                shown = f" [{where(rule)}]" if scope != conversion.Scope.DEFAULT else ""
                line = (
                    f"  #{rule.pk} {rule.name}{shown}: {rule.host_scale} → {rule.home_scale}, "
                    f"{how(rule)}"
                )
                try:
                    rule.strategy()
                except ValueError as error:
                    line += f"; CANNOT CONVERT: {error}"
                self.stdout.write(line)
