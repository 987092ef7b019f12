"""A job's page, ``/jobs/<id>/``: its state and progress while it waits or runs (the page
reloads itself with a ``<meta http-equiv="refresh">``, no script), then the import's report or
the file made; and the file itself, ``/jobs/<id>/file``. Who: the person who asked and the
office of the job's School (``core.view_job``); anybody else gets 404, anonymous visitors the
log-in page."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from abroad.core import jobs
from abroad.core.models import Job, JobState

# How often the page of a job still waiting or running reloads itself (seconds).
REFRESH_SECONDS = 2


def _job(request: HttpRequest, pk: UUID) -> Job:
    job = Job.objects.filter(pk=pk).first()
    if job is None or not jobs.may_see(request.user, job):
        raise Http404
    return job


@never_cache
@login_required
@require_GET
def job_page(request: HttpRequest, pk: UUID) -> HttpResponse:
    job = _job(request, pk)
    kind = jobs.kind_of(job)
    # the report's table was rendered by the worker from the app's template (autoescaped)
    report_html = mark_safe(job.report.get("html", ""))
    return render(
        request,
        "core/job.html",
        {
            "job": job,
            "label": kind.label if kind is not None else job.kind,
            "back": kind.back(job) if kind is not None and kind.back is not None else "",
            "running": job.state in (JobState.QUEUED, JobState.RUNNING),
            "refresh": REFRESH_SECONDS,
            "report_html": report_html,
        },
    )


@never_cache
@login_required
@require_GET
def job_file(request: HttpRequest, pk: UUID) -> FileResponse:
    job = _job(request, pk)
    if job.state != JobState.DONE or not job.result:
        raise Http404
    return FileResponse(job.result.open("rb"), as_attachment=True, filename=job.result_name)
