"""``python -m abroad apply-retention [--dry-run]``: apply the retention rules of the
settings (docs/privacy.md). Meant to run nightly from a systemd timer."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from abroad.privacy.retention import apply_retention


class Command(BaseCommand):
    help = "Delete replaced and expired documents and pseudonymise inactive students."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be done; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = apply_retention(actor=None, dry_run=options["dry_run"])
        for line in report.lines:
            self.stdout.write(line)
        verb = "Would delete" if report.dry_run else "Deleted"
        self.stdout.write(
            f"{verb} {len(report.replaced_documents)} replaced and "
            f"{len(report.record_documents)} expired documents; "
            f"{'would pseudonymise' if report.dry_run else 'pseudonymised'} "
            f"{len(report.erased)} inactive students ({len(report.refused)} skipped)."
        )
