"""The background tasks of the core, run by ``python -m abroad db_worker`` (django-tasks'
database backend: the queue is a table, no broker; docs/operator-guide.md)."""

from __future__ import annotations

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
