"""``python -m abroad import-agreements FILE [--dry-run]``: the agreements spreadsheet."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from abroad.catalogue.importers.agreements import import_agreements
from abroad.core.importing import terminal_progress


class Command(BaseCommand):
    help = (
        "Import agreements and their offers from an XLSX or CSV file with one row per offer "
        "(the columns export-agreements writes). All or nothing: a file with a bad row imports "
        "nothing and every bad row is listed. An agreement already there is updated and its "
        "offers are replaced by the file's."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="an .xlsx or .csv file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report, write nothing"
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        report = import_agreements(
            options["file"],
            dry_run=options["dry_run"],
            progress=terminal_progress(quiet=options["quiet"]),
        )
        if report.errors:
            for line in report.lines():
                self.stderr.write(line)
            raise CommandError(
                f"nothing was imported: {len(report.errors)} problem(s) in {options['file']}"
            )
        if options["verbosity"] >= 1:
            for line in report.lines():
                self.stdout.write(line)
