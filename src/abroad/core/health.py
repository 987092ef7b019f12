"""What /health reports: the database answers, the background queue moves (the oldest task
due and not yet run), the scheduler ran recently. Nothing secret: states and ages only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone


@dataclass(frozen=True)
class Health:
    database: bool
    oldest_queued_seconds: float | None
    last_scheduler_run: datetime | None
    checked_at: datetime

    @property
    def queue_ok(self) -> bool:
        return (
            self.oldest_queued_seconds is None
            or self.oldest_queued_seconds <= settings.HEALTH_QUEUE_MAX_SECONDS
        )

    @property
    def scheduler_ok(self) -> bool:
        hours = settings.HEALTH_SCHEDULER_HOURS
        if not hours:
            return True
        if self.last_scheduler_run is None:
            return False
        return (self.checked_at - self.last_scheduler_run).total_seconds() <= hours * 3600

    @property
    def ok(self) -> bool:
        return self.database and self.queue_ok and self.scheduler_ok

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else "failing",
            "database": "ok" if self.database else "failing",
            "queue": {
                "status": "ok" if self.queue_ok else "failing",
                "oldest_queued_seconds": (
                    None
                    if self.oldest_queued_seconds is None
                    else round(self.oldest_queued_seconds)
                ),
            },
            "scheduler": {
                "status": "ok" if self.scheduler_ok else "failing",
                "last_run": (
                    None if self.last_scheduler_run is None else self.last_scheduler_run.isoformat()
                ),
            },
        }


def check(now: datetime | None = None) -> Health:
    now = timezone.now() if now is None else now
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return Health(True, _oldest_queued_seconds(now), _last_scheduler_run(), now)
    except DatabaseError:
        return Health(False, None, None, now)


def _oldest_queued_seconds(now: datetime) -> float | None:
    """How long the oldest task due to run has waited (since it was due: a retry planned for
    later is not late), None when nothing waits."""
    from django_tasks_db.models import DBTaskResult

    task = DBTaskResult.objects.ready().order_by("enqueued_at").only("enqueued_at", "run_after")
    due = [
        max(t.enqueued_at, t.run_after if t.run_after.year < 9999 else t.enqueued_at)
        for t in task[:50]
    ]
    if not due:
        return None
    return max(0.0, (now - min(due)).total_seconds())


def _last_scheduler_run() -> datetime | None:
    from abroad.core import scheduled

    run = scheduled.last_run()
    return None if run is None else run.started_at
