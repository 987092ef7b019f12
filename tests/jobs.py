"""Long imports and exports run as jobs (abroad.core.jobs): what the tests of a page that
starts one do after posting it. ``run_queued_jobs`` runs the waiting jobs as the worker's
task does (tests/core/test_jobs.py runs the real ``db_worker``)."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from abroad.core import jobs
from abroad.core.models import Job, JobState


def run_queued_jobs() -> int:
    """Run every waiting job, oldest first; returns how many."""
    queued = Job.objects.filter(state=JobState.QUEUED).order_by("created_at")
    waiting = list(queued.values_list("pk", flat=True))
    for pk in waiting:
        jobs.run(pk)
    return len(waiting)


def follow_job(client: Client, response: Any) -> tuple[Job, Any]:
    """The page posted redirected to a job's page: run the job, then read that page."""
    assert response.status_code == 302, response.status_code
    url = str(response["Location"])
    assert url.startswith("/jobs/"), url
    run_queued_jobs()
    job = Job.objects.get(pk=url.split("/")[2])
    return job, client.get(url)


def exported(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
    """Ask for an export (the page's form posts to ``url``), let its job run and download
    the file made from the job's page."""
    job, page = follow_job(client, client.post(url, data or {}))
    assert job.state == JobState.DONE, (job.state, job.error)
    assert reverse("job_file", args=[job.pk]) in page.content.decode()
    return client.get(reverse("job_file", args=[job.pk]))
