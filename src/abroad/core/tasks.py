"""The background tasks of the core, run by ``python -m abroad db_worker`` (django-tasks'
database backend: the queue is a table, no broker; docs/operator-guide.md)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from abroad.core import mail


@task()
def deliver(message_id: int) -> str:
    """Render and send one outbox message (:func:`abroad.core.mail.deliver_message`)."""
    return mail.deliver_message(message_id)


@task()
def run_job(job_id: str) -> str:
    """Run one long import or export (:func:`abroad.core.jobs.run`)."""
    from abroad.core import jobs

    return jobs.run(job_id)


def waiting_for(function: Any) -> set[Any] | None:
    """The one argument of each task of ``function`` still to run (ready or running) in the
    database queue; None when the queue is not the database's (nothing to look at)."""
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(function.get_backend(), DatabaseBackend):
        return None
    tasks = DBTaskResult.objects.filter(
        task_path=function.module_path, status__in=("READY", "RUNNING")
    ).values_list("args_kwargs", flat=True)
    return {
        args[0] for args in (task.get("args", []) for task in tasks.iterator()) if len(args) == 1
    }
