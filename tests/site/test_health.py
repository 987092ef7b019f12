"""/health: 200 when the database answers, no task due has waited too long and the scheduler
ran recently; 503 otherwise. States and ages only, nothing secret."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from abroad.core import scheduled
from abroad.core.models import SchedulerRun
from abroad.core.tasks import deliver

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def real_queue(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.HEALTH_QUEUE_MAX_SECONDS = 900
    settings.HEALTH_SCHEDULER_HOURS = 26


def health() -> tuple[int, dict[str, Any]]:
    response = Client().get("/health")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    return response.status_code, response.json()


def test_healthy() -> None:
    call_command("run-scheduled", stdout=StringIO())
    status, body = health()
    assert status == 200
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["queue"] == {"status": "ok", "oldest_queued_seconds": None}
    assert body["scheduler"]["status"] == "ok"
    assert body["scheduler"]["last_run"] == SchedulerRun.objects.get().started_at.isoformat()


def test_nothing_secret(settings: Any) -> None:
    settings.SECRET_KEY = "a-secret-key-of-this-test"
    settings.EMAIL_HOST_PASSWORD = "smtp-password-of-this-test"
    response = Client().get("/health")
    for secret in ("a-secret-key-of-this-test", "smtp-password-of-this-test", "postgres", "sqlite"):
        assert secret not in response.text


def test_a_scheduler_that_never_ran_or_stopped_is_failing(settings: Any) -> None:
    status, body = health()
    assert (status, body["scheduler"]) == (503, {"status": "failing", "last_run": None})
    SchedulerRun.objects.create(started_at=timezone.now() - dt.timedelta(hours=30))
    status, body = health()
    assert (status, body["status"], body["scheduler"]["status"]) == (503, "failing", "failing")
    settings.HEALTH_SCHEDULER_HOURS = 0  # not checked
    assert health()[0] == 200


def test_a_task_waiting_too_long_is_failing() -> None:
    call_command("run-scheduled", stdout=StringIO())
    deliver.enqueue(1)
    assert health()[0] == 200  # just queued
    DBTaskResult.objects.update(enqueued_at=timezone.now() - dt.timedelta(hours=1))
    status, body = health()
    assert status == 503
    assert body["queue"]["status"] == "failing"
    assert body["queue"]["oldest_queued_seconds"] >= 3600


def test_a_retry_planned_for_later_is_not_late() -> None:
    call_command("run-scheduled", stdout=StringIO())
    deliver.using(run_after=timezone.now() + dt.timedelta(hours=2)).enqueue(1)
    DBTaskResult.objects.update(enqueued_at=timezone.now() - dt.timedelta(hours=1))
    status, body = health()
    assert (status, body["queue"]["oldest_queued_seconds"]) == (200, None)


@pytest.fixture
def jobs() -> Iterator[None]:
    """The registered jobs, given back after the test."""
    registered = dict(scheduled.JOBS)
    scheduled.JOBS.clear()
    yield
    scheduled.JOBS.clear()
    scheduled.JOBS.update(registered)


def test_run_scheduled_runs_the_jobs_and_records_the_run(jobs: None) -> None:
    ran: list[dt.datetime] = []

    def job(now: dt.datetime) -> dict[str, int]:
        ran.append(now)
        return {"sent": 2}

    def broken(now: dt.datetime) -> None:
        raise RuntimeError("the job broke")

    scheduled.register("reminders", job)
    scheduled.register("broken", broken)
    out = StringIO()
    call_command("run-scheduled", stdout=out)
    run = SchedulerRun.objects.get()
    assert ran == [run.started_at]
    assert run.report == {
        "broken": {"error": "RuntimeError: the job broke"},
        "reminders": {"sent": 2},
    }
    assert run.finished_at is not None
    assert run.finished_at >= run.started_at
    assert json.loads(out.getvalue())["reminders"] == {"sent": 2}
