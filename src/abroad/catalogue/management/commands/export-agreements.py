"""``python -m abroad export-agreements FILE``: the agreements spreadsheet, XLSX or CSV."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from abroad.catalogue.importers.agreements import export_agreements
from abroad.catalogue.models import Agreement
from abroad.core.importing import TableError, file_format


class Command(BaseCommand):
    help = (
        "Write the agreements, one row per offer, to an .xlsx or .csv file (by its name) that "
        "import-agreements reads back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the file to write, .xlsx or .csv")
        parser.add_argument(
            "--status",
            action="append",
            default=[],
            help="only agreements with this status (repeat for several)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            file_format(options["file"])
        except TableError as error:
            raise CommandError(str(error)) from None
        agreements = None
        if options["status"]:
            agreements = Agreement.objects.filter(status__in=options["status"])
        rows = export_agreements(options["file"], agreements=agreements)
        if options["verbosity"] >= 1:
            self.stdout.write(f"{rows} rows written to {options['file']}")
