"""``python -m abroad import-institutions FILE [--dry-run]``: the Commission's ECHE list."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from abroad.catalogue.importers.eche import import_eche
from abroad.core.importing import TableError, terminal_progress


class Command(BaseCommand):
    help = (
        "Create or update institutions from the European Commission's list of ECHE holders "
        "(the XLSX as published). Rows that cannot be imported are listed and skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the ECHE list, .xlsx (or .csv with the same header)")
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would change, write nothing"
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = import_eche(
                options["file"],
                dry_run=options["dry_run"],
                progress=terminal_progress(quiet=options["quiet"]),
            )
        except TableError as error:
            raise CommandError(str(error)) from None
        if report.rejected and not (report.created or report.updated or report.unchanged):
            for line in report.lines():
                self.stderr.write(line)
            raise CommandError(f"nothing was imported: every row of {options['file']} was rejected")
        if options["verbosity"] >= 1:
            for line in report.lines(verbose=options["verbosity"] >= 2):
                self.stdout.write(line)
