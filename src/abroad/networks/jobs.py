"""The ATHENS courses import, run by the background worker (abroad.core.jobs)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from abroad.core import jobs
from abroad.core.importing import Progress
from abroad.core.models import Job
from abroad.networks import importers
from abroad.networks.models import AthensSession

COURSES_IMPORT = "networks.courses_import"


def run_courses_import(job: Job, progress: Progress) -> jobs.Done:
    session = AthensSession.objects.get(code=job.params["session"])
    with jobs.open_upload(job) as upload:
        report = importers.import_courses(
            upload,
            session=session,
            name=job.upload_name,
            actor=job.requested_by,
            progress=progress,
        )
    return jobs.Done(report=report)


def register() -> None:
    jobs.register(
        jobs.Kind(
            name=COURSES_IMPORT,
            label=_("Import the courses"),
            run=run_courses_import,
            report_template="networks/office/_import_report.html",
            back=lambda job: reverse("networks:office_session", args=[job.params["session"]]),
        )
    )
