"""``python -m abroad run-scheduled``: run the scheduled jobs once (abroad.core.scheduled) and
record the run (/health reports the last one). Run it from a timer (docs/operator-guide.md)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from abroad.core import scheduled


class Command(BaseCommand):
    help = "Run the scheduled jobs once (reminders and the like) and record the run."

    def handle(self, *args: Any, **options: Any) -> None:
        run = scheduled.run()
        self.stdout.write(json.dumps({"started_at": run.started_at.isoformat(), **run.report}))
