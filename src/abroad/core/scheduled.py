"""The jobs of ``python -m abroad run-scheduled`` (run by a timer, every few minutes or once
an hour, docs/operator-guide.md). An app registers its job in its ``AppConfig.ready``
(``scheduled.register("reminders", send_reminders)``); each run calls them in turn and is
recorded as a :class:`~abroad.core.models.SchedulerRun`, which /health reads."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.utils import timezone

from abroad.core.models import SchedulerRun

logger = logging.getLogger(__name__)

Job = Callable[[datetime], Any]
JOBS: dict[str, Job] = {}


def register(name: str, job: Job) -> None:
    """Run ``job(now)`` at every run of the scheduler (its result goes in the run's report)."""
    JOBS[name] = job


def run(now: datetime | None = None) -> SchedulerRun:
    """Run every registered job once; a job that fails is reported and the others still run."""
    started = timezone.now() if now is None else now
    report: dict[str, Any] = {}
    for name, job in sorted(JOBS.items()):
        try:
            report[name] = job(started)
        except Exception as error:
            logger.exception("scheduled job %s failed", name)
            report[name] = {"error": f"{type(error).__name__}: {error}"}
    return SchedulerRun.objects.create(
        started_at=started, finished_at=timezone.now(), report=_plain(report)
    )


def last_run() -> SchedulerRun | None:
    return SchedulerRun.objects.order_by("-started_at").first()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
