"""``python -m abroad ifs02 [--year 2025] [--school CODE] [--format csv|xlsx] [--output FILE]``:
the proof of mobility periods for the national data platform (e-service IFS02.5), one row per
period abroad (docs/ifs02.md). CSV to the terminal without --output. The same export as the
dashboard's download, for the whole university (the operator is the system)."""

from __future__ import annotations

import io
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from abroad.catalogue.models import School
from abroad.core.importing import Format, file_format
from abroad.core.management.arguments import academic_year
from abroad.reporting import ifs02


class Command(BaseCommand):
    help = "The proof of mobility periods (IFS02.5), one row per period abroad, CSV or XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=academic_year, default=None, help="academic year")
        parser.add_argument("--school", default=None, help="a School's code (its sections too)")
        parser.add_argument("--format", choices=("csv", "xlsx"), default=None)
        parser.add_argument("--output", default=None, help="the file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        school = None
        if options["school"]:
            school = School.objects.filter(code=options["school"]).first()
            if school is None:
                raise CommandError(f"No School {options['school']}.")
        output = options["output"]
        fmt: Format = options["format"] or (file_format(output) if output else "csv")
        if output is None:
            if fmt != "csv":
                raise CommandError("Give --output to write XLSX.")
            buffer = io.BytesIO()
            ifs02.export(buffer, fmt, year=options["year"], school=school)
            self.stdout.write(buffer.getvalue().decode("utf-8-sig"), ending="")
            return
        count = ifs02.export(output, fmt, year=options["year"], school=school)
        self.stdout.write(f"{count} periods written to {output}")
