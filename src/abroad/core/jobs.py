"""Long imports and exports, run by the background worker.

A page that imports or exports something that grows with the university does not do it in
the request: it stores the upload and writes a :class:`~abroad.core.models.Job` (``submit``),
in the request's transaction, and the job is handed to the worker when that transaction
commits (nothing for a rolled-back request). The request then redirects to the job's page
(``/jobs/<id>/``), which refreshes itself while the job waits or runs, and shows the import's
report or offers the file made, to the person who asked and to their School's office.

Each app registers its kinds in its ``AppConfig.ready`` (``jobs.register(Kind(...))``), so
that core never imports the apps above it. A kind's ``run(job, progress)`` does the work with
the app's own importer or exporter and returns a :class:`Done`: an import's report (rendered
once, in the asker's language, with the app's ``report_template``: the same table the page
showed when the import ran in the request) or an export's file. An exception is a crash, not
a bad file (bad files are in the report): the job is tried again later (``JOBS_RETRY_SECONDS``,
then twice that...) up to ``JOBS_MAX_ATTEMPTS`` times, then marked failed. The importers are
all-or-nothing, so a crashed attempt leaves nothing written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any, TypeVar
from uuid import UUID

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from abroad.core.importing import ImportReport, Progress
from abroad.core.models import Job, JobState

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class Done:
    """What a job made: an import's report, or an export's file (its name, its bytes, the
    number of rows), or both."""

    report: ImportReport | None = None
    file_name: str = ""
    content: bytes = b""
    rows: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Kind:
    """A kind of job: its name (``"catalogue.agreements_import"``), what the page calls it,
    the work itself and, for an import, the template of its report (given ``report``)."""

    name: str
    label: Any
    run: Callable[[Job, Progress], Done]
    report_template: str = ""
    # where the job's page links back to (the import's page, the list exported)
    back: Callable[[Job], str] | None = None


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    KINDS[kind.name] = kind


def kind_of(job: Job) -> Kind | None:
    return KINDS.get(job.kind)


def submit(
    kind: str,
    *,
    requested_by: Any,
    school_id: int | None = None,
    params: dict[str, Any] | None = None,
    upload: IO[bytes] | None = None,
    upload_name: str = "",
) -> Job:
    """Write the job (with its uploaded file) and hand it to the worker when the current
    transaction commits (at once outside one). The job's School is ``school_id``, by default
    the asker's office School (``office_school``): that School's office sees the job too."""
    if kind not in KINDS:
        raise KeyError(f"No job of kind {kind!r} is registered.")
    if school_id is None:
        school_id = getattr(requested_by, "office_school_id", None)
    job = Job(
        kind=kind,
        requested_by=requested_by if getattr(requested_by, "is_authenticated", False) else None,
        school_id=school_id,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        params=params or {},
    )
    if upload is not None:
        name = upload_name or getattr(upload, "name", "") or "upload"
        job.upload_name = name
        job.upload.save(name, upload, save=False)
    job.save()
    pk = job.pk
    transaction.on_commit(lambda: enqueue(pk))
    return job


def enqueue(pk: UUID, delay: timedelta | None = None) -> None:
    from abroad.core.tasks import run_job

    task = run_job
    if delay is not None and run_job.get_backend().supports_defer:
        task = run_job.using(run_after=timezone.now() + delay)
    task.enqueue(str(pk))


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th crash: JOBS_RETRY_SECONDS, then twice that."""
    return timedelta(seconds=settings.JOBS_RETRY_SECONDS * 2 ** max(attempts - 1, 0))


class JobProgress:
    """The importers' progress hook, kept on the job: how far, in per cent, and which step.
    Written at most once a second, and only outside a transaction (inside the import's own
    transaction nobody else would see it, and a rollback would take it back)."""

    def __init__(self, job: Job, *, every_seconds: float = 1.0) -> None:
        self.job = job
        self.every = every_seconds
        self.last = 0.0

    def save(self, percent: int, step: str, *, force: bool = False) -> None:
        now = time.monotonic()
        if connection.in_atomic_block or (not force and now - self.last < self.every):
            return
        self.last = now
        Job.objects.filter(pk=self.job.pk).update(
            progress=max(0, min(percent, 100)), step=step[:200], updated_at=timezone.now()
        )

    def __call__(self, iterable: Iterable[T], *, total: int, desc: str) -> Iterator[T]:
        self.save(0, desc, force=True)
        for index, item in enumerate(iterable):
            if total:
                self.save(index * 100 // total, desc)
            yield item


def run(pk: UUID | str) -> str:
    """Run one job (the worker's task): returns its state afterwards."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=pk).first()
        if job is None or job.state in (JobState.DONE, JobState.FAILED):
            return job.state if job is not None else "missing"
        kind = kind_of(job)
        job.attempts += 1
        job.state = JobState.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.save(update_fields=["attempts", "state", "started_at", "updated_at"])
    if kind is None:
        return _fail(job, f"No job of kind {job.kind!r} is registered.")
    try:
        with translation.override(job.language):
            done = kind.run(job, JobProgress(job))
            report = report_json(done.report, kind, job) if done.report is not None else {}
    except Exception as error:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        message = f"{type(error).__name__}: {error}"[:2000]
        if job.attempts < settings.JOBS_MAX_ATTEMPTS and run_backend_defers():
            delay = retry_delay(job.attempts)
            Job.objects.filter(pk=job.pk).update(
                state=JobState.QUEUED, error=message, updated_at=timezone.now()
            )
            enqueue(job.pk, delay)
            return JobState.QUEUED
        return _fail(job, message)
    if done.rows is not None:
        report["rows"] = done.rows
    report.update(done.extra)
    job.report = report
    if done.file_name:
        job.result_name = done.file_name
        job.result.save(done.file_name, ContentFile(done.content), save=False)
    job.state = JobState.DONE
    job.progress = 100
    job.step = ""
    job.error = ""
    job.finished_at = timezone.now()
    job.save()
    return JobState.DONE


def run_backend_defers() -> bool:
    from abroad.core.tasks import run_job

    return bool(run_job.get_backend().supports_defer)


def _fail(job: Job, message: str) -> str:
    Job.objects.filter(pk=job.pk).update(
        state=JobState.FAILED, error=message, finished_at=timezone.now(), updated_at=timezone.now()
    )
    return JobState.FAILED


def report_json(report: ImportReport, kind: Kind, job: Job) -> dict[str, Any]:
    """An import's report as the job keeps it: the figures, every problem listed (line,
    column, message) and the report's table as the import page draws it (``html``, rendered
    now in the asker's language from the app's template)."""
    data: dict[str, Any] = {
        "file": job.upload_name or report.file,
        "dry_run": report.dry_run,
        "imported": report.imported,
        "rows": report.rows,
        "problems": len(report.errors),
        "listed": getattr(report.errors, "listed", len(report.errors)),
        "errors": [
            {"line": error.line, "column": error.column, "message": str(error.message)}
            for error in report.errors
        ],
        "counts": dict(report.counts()),
        "summary": report.summary(),
    }
    if kind.report_template:
        data["html"] = render_to_string(kind.report_template, {"report": report, "job": job})
    return data


def open_upload(job: Job) -> File:
    """The job's uploaded file, open for reading (give the importer ``job.upload_name`` as
    the file's name: the format is read from it)."""
    return job.upload.open("rb")


def delete_files(job: Job) -> None:
    for stored in (job.upload, job.result):
        if stored:
            stored.storage.delete(stored.name)


def files_deleted(sender: Any, instance: Job, **kwargs: Any) -> None:
    """A job deleted (pruned, or with the person who asked) takes its files with it, once
    the deletion commits."""
    transaction.on_commit(lambda: delete_files(instance))


def prune(now: datetime) -> int:
    """Delete the jobs (their uploads and files with them) finished more than
    ``JOBS_KEEP_DAYS`` ago; 0 keeps them. Returns how many. Run by ``run-scheduled``."""
    days = settings.JOBS_KEEP_DAYS
    if days <= 0:
        return 0
    old = list(
        Job.objects.filter(
            state__in=(JobState.DONE, JobState.FAILED),
            finished_at__lt=now - timedelta(days=days),
        )
    )
    Job.objects.filter(pk__in=[job.pk for job in old]).delete()
    return len(old)


def requeue_stranded(now: datetime) -> int:
    """Hand the worker again the jobs still waiting that no task waits for and that nothing
    touched for ``MAIL_STRANDED_MINUTES`` (the process stopped between the commit and the
    enqueueing). Returns how many. Run by ``run-scheduled``."""
    from abroad.core.tasks import run_job, waiting_for

    waiting = [
        str(pk)
        for pk in Job.objects.filter(
            state=JobState.QUEUED,
            updated_at__lt=now - timedelta(minutes=settings.MAIL_STRANDED_MINUTES),
        ).values_list("pk", flat=True)
    ]
    if not waiting:
        return 0
    pending = waiting_for(run_job)
    if pending is not None:
        waiting = [pk for pk in waiting if pk not in {str(arg) for arg in pending}]
    for pk in waiting:
        enqueue(UUID(pk))
    return len(waiting)


def recover_stale(now: datetime) -> int:
    """The jobs left "running" by a worker that stopped in the middle (killed, the machine
    restarted): a job running that nothing touched for ``JOBS_STALE_MINUTES`` is given to the
    worker again while it has attempts left (an import is all or nothing, so its half-done
    try left nothing), else marked failed. Returns how many. Run by ``run-scheduled``."""
    stale = list(
        Job.objects.filter(
            state=JobState.RUNNING,
            updated_at__lt=now - timedelta(minutes=settings.JOBS_STALE_MINUTES),
        ).values_list("pk", "attempts")
    )
    message = "The worker stopped while it ran this job."
    for pk, attempts in stale:
        if attempts < settings.JOBS_MAX_ATTEMPTS:
            Job.objects.filter(pk=pk, state=JobState.RUNNING).update(
                state=JobState.QUEUED, error=message, updated_at=timezone.now()
            )
            enqueue(pk)
        else:
            Job.objects.filter(pk=pk, state=JobState.RUNNING).update(
                state=JobState.FAILED, error=message, finished_at=now, updated_at=timezone.now()
            )
    return len(stale)


def may_see(user: Any, job: Job) -> bool:
    """The person who asked, or the office of the job's School (the whole university's office
    for a job of no School): the rule ``core.view_job`` (abroad.people.rules)."""
    from abroad.core.permissions import can

    return can(user, "core.view_job", job)
