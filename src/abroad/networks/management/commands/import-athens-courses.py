"""``python -m abroad import-athens-courses SESSION FILE [--dry-run]``: a session's course
catalogue from the network's spreadsheet."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from abroad.core.importing import terminal_progress
from abroad.networks.importers import COLUMNS, REQUIRED_COLUMNS, import_courses
from abroad.networks.models import AthensSession


class Command(BaseCommand):
    help = (
        "Import an ATHENS session's courses from an XLSX or CSV file, with the columns "
        f"{', '.join(COLUMNS)} (required: {', '.join(REQUIRED_COLUMNS)}, and host_erasmus_code "
        "or host_schac). A row creates the course with its code or replaces its values. All or "
        "nothing: a file with a bad row imports nothing and every bad row is listed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("session", help="the session's code, e.g. 2027-03")
        parser.add_argument("file", help="an .xlsx or .csv file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report, write nothing"
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        session = (
            AthensSession.objects.select_related("network").filter(code=options["session"]).first()
        )
        if session is None:
            codes = ", ".join(AthensSession.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"there is no session {options['session']!r} (sessions: {codes})")
        started = time.perf_counter()
        report = import_courses(
            options["file"],
            session=session,
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
