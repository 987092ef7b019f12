"""``python -m abroad grants <step> ...``: the grant amounts from the shell.

    grants import-rates FILE --year 2026 [--source TEXT] [--note TEXT] [--dry-run]
    grants export-rates --year 2026 [--format csv|xlsx] [--output FILE]
    grants show MOBILITY_ID

``import-rates`` replaces a year's amounts with a spreadsheet's (all rows or none: every bad
row is named); ``export-rates`` writes them in the same columns (CSV to the terminal without
--output); ``show`` prints a mobility's grant line by line. Each step calls the same service
as the pages.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from abroad.core.importing import Format, file_format
from abroad.core.management.arguments import academic_year
from abroad.grants import services
from abroad.grants.models import RateTable
from abroad.mobility.models import Mobility


class Command(BaseCommand):
    help = "Grant amounts: import-rates, export-rates, show. Run 'grants <step> --help'."

    def add_arguments(self, parser: CommandParser) -> None:
        steps = parser.add_subparsers(dest="step", required=True)
        load = steps.add_parser("import-rates", help="replace a year's amounts from a file")
        load.add_argument("file")
        load.add_argument("--year", required=True, type=academic_year)
        load.add_argument("--source", default=None, help="where the amounts come from")
        load.add_argument("--note", default=None, help="shown to students and the office")
        load.add_argument("--dry-run", action="store_true")
        dump = steps.add_parser("export-rates", help="write a year's amounts")
        dump.add_argument("--year", required=True, type=academic_year)
        dump.add_argument("--format", choices=("csv", "xlsx"), default=None)
        dump.add_argument("--output", default=None)
        show = steps.add_parser("show", help="a mobility's grant, line by line")
        show.add_argument("mobility", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        step = options["step"]
        if step == "import-rates":
            report = services.import_rates(
                options["file"],
                academic_year=options["year"],
                actor=None,
                source_note=options["source"],
                note=options["note"],
                dry_run=options["dry_run"],
            )
            for line in report.lines():
                self.stdout.write(line)
            if not report.ok:
                raise CommandError("Nothing was imported.")
        elif step == "export-rates":
            table = RateTable.objects.filter(academic_year=options["year"]).first()
            if table is None:
                raise CommandError(f"No rate table for {options['year']}.")
            output = options["output"]
            fmt: Format = options["format"] or (file_format(output) if output else "csv")
            if output is None:
                if fmt != "csv":
                    raise CommandError("Give --output to write XLSX.")
                buffer = io.BytesIO()
                services.export_rates(table, buffer, fmt)
                self.stdout.write(buffer.getvalue().decode("utf-8-sig"), ending="")
            else:
                count = services.export_rates(table, output, fmt)
                self.stdout.write(f"{count} amounts written to {output}")
        else:
            mobility = Mobility.objects.filter(pk=options["mobility"]).first()
            if mobility is None:
                raise CommandError(f"No mobility {options['mobility']}.")
            found = services.grant_of(mobility)
            if found.grant is None:
                raise CommandError(found.refused)
            for item in found.grant.lines:
                self.stdout.write(f"{item.label:<45} {item.quantity:<25} {item.amount:>10}")
            self.stdout.write(f"{'Total':<71} {found.grant.total:>10}")
            self.stdout.write("Instalments: " + " + ".join(str(p) for p in found.instalments))
