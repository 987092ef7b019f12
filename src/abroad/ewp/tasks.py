"""The EWP node's background work, run by ``python -m abroad db_worker`` (django-tasks' database
backend, as the e-mails are: docs/operator-guide.md). Every change notification is a task: the
request or the change only enqueues, when its transaction commits (nothing for a rolled-back
change, nothing lost for a committed one), and the worker makes the calls.

- :func:`process_cnr`: a partner's notification (:class:`~abroad.ewp.models.PendingCnr`) is
  fetched into the inbox; a partner that is down leaves it waiting with the error (the inbox
  page shows it), and the task is enqueued again for the time of its next try (the pauses of
  :func:`abroad.ewp.network.cnr.pause`).
- :func:`send_iia_cnr`, :func:`send_la_cnr`: a change of an agreement or a learning agreement
  enqueues one task per row, due :data:`~abroad.ewp.network.cnr.DEBOUNCE` after the change;
  a further change meanwhile pushes the same task later instead of adding one (a burst of
  edits is one notification). A failed notification is enqueued again after its pause.
- :func:`ask_approvals`: after a partner's IIA CNR, ask its IIAs Approval API what it
  approved (IIAs v7 partners announce an approval with an IIA CNR).

The logic lives in :mod:`abroad.ewp.network.cnr` (and ``la_cnr``, ``approval``); the
``ewp.cnrs`` job of ``run-scheduled`` (:func:`abroad.ewp.network.cnr.sweep`) hands the worker
again any row whose task was lost.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task
from django_tasks_db import DatabaseBackend

READY = ("READY", "RUNNING")


@task()
def process_cnr(pending_id: int) -> str:
    """Fetch what a partner's notification names into the inbox, once; what became of it."""
    from abroad.ewp.network import cnr

    return cnr.run_received(pending_id)


@task()
def send_iia_cnr(agreement_id: int, force: bool = False) -> str:
    """Tell the partner the agreement changed (or, ``force``, that we approved its copy)."""
    from abroad.ewp.network import cnr

    return cnr.run_agreement(agreement_id, force=force)


@task()
def send_la_cnr(mobility_id: int) -> str:
    """Tell the receiving HEI the mobility's learning agreement changed."""
    from abroad.ewp.network import la_cnr

    return la_cnr.run_mobility(mobility_id)


@task()
def ask_approvals(hei_id: str) -> str:
    """Ask ``hei_id`` which of our agreements it approved (after its IIA CNR)."""
    from abroad.ewp.network import approval

    result = approval.fetch_approvals(hei_id)
    return result.problem or f"{len(result.calls)} calls, {len(result.failed)} failed"


def defers(job: Task) -> bool:
    return bool(job.get_backend().supports_defer)


def waiting(job: Task, *args: object) -> bool:
    """Whether a task ``job(*args)`` waits in the queue or runs (database backend only)."""
    if not isinstance(job.get_backend(), DatabaseBackend):
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=job.module_path, status__in=READY, args_kwargs__args=list(args)
    ).exists()


def schedule(job: Task, *args: object, at: datetime | None = None) -> None:
    """Have ``job(*args)`` run at ``at`` (now when None): the one task of these arguments still
    waiting in the queue is moved to ``at``, else one is enqueued. A backend that cannot defer
    (the tests' immediate one) runs what is due now and leaves later work to the sweep."""
    now = timezone.now()
    at = at if at is not None and at > now else None
    if at is not None and not defers(job):
        return
    if isinstance(job.get_backend(), DatabaseBackend):
        from django_tasks_db.models import DBTaskResult

        moved = DBTaskResult.objects.filter(
            task_path=job.module_path, status="READY", args_kwargs__args=list(args)
        ).update(run_after=at or now)
        if moved:
            return
    (job.using(run_after=at) if at is not None else job).enqueue(*args)


def process_on_commit(ids: list[int]) -> None:
    """Once the current transaction commits, have the worker process the received
    notifications ``ids`` now (a request only enqueues)."""

    def enqueue() -> None:
        for pk in ids:
            schedule(process_cnr, pk)

    transaction.on_commit(enqueue)
