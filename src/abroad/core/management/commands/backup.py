"""python -m abroad backup [FILE]: the database and the uploaded files in one file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from abroad.core.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Write the database and the uploaded files to one backup file (see docs/operator-guide.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            nargs="?",
            help="the backup to write (default: abroad-YYYY-MM-DD-HHMMSS.tar here)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["file"] or f"abroad-{timezone.localtime():%Y-%m-%d-%H%M%S}.tar")
        try:
            summary = backup(target)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"{summary.path}: the {summary.vendor} database and "
            f"{summary.media_files} uploaded files"
        )
