"""``python -m abroad import-passed-courses FILE [--dry-run]``: the exams students have
already passed at home, from the registrar."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from abroad.core.importing import terminal_progress
from abroad.people.importers import (
    PASSED_COLUMNS,
    PASSED_REQUIRED_COLUMNS,
    import_passed_courses,
)


class Command(BaseCommand):
    help = (
        "Import the exams students have already passed at home from the registrar's XLSX or "
        f"CSV file, with the columns {', '.join(PASSED_COLUMNS)} (required: "
        f"{', '.join(PASSED_REQUIRED_COLUMNS)}). One row per student and exam; a row creates "
        "the passed course or updates it. All or nothing: a file with a bad row imports "
        "nothing and every bad row is listed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="an .xlsx or .csv file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report, write nothing"
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        report = import_passed_courses(
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
            self.stdout.write(f"Done in {time.perf_counter() - started:.2f} s.")
