"""The background tasks of the core, run by ``python -m abroad db_worker`` (django-tasks'
database backend: the queue is a table, no broker; docs/operator-guide.md)."""

from __future__ import annotations

from django_tasks import task

from abroad.core import mail


@task()
def deliver(message_id: int) -> str:
    """Render and send one outbox message (:func:`abroad.core.mail.deliver_message`)."""
    return mail.deliver_message(message_id)
