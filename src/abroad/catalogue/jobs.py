"""The catalogue's long jobs (abroad.core.jobs): the agreements import, run by the worker."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from abroad.catalogue.importers.agreements import import_agreements
from abroad.core import jobs
from abroad.core.importing import Progress
from abroad.core.models import Job

AGREEMENTS_IMPORT = "catalogue.agreements_import"


def run_agreements_import(job: Job, progress: Progress) -> jobs.Done:
    with jobs.open_upload(job) as upload:
        report = import_agreements(
            upload, name=job.upload_name, actor=job.requested_by, progress=progress
        )
    return jobs.Done(report=report)


def register() -> None:
    jobs.register(
        jobs.Kind(
            name=AGREEMENTS_IMPORT,
            label=_("Import agreements"),
            run=run_agreements_import,
            report_template="admin/catalogue/agreement/_report.html",
            back=lambda job: reverse("admin:catalogue_agreement_import"),
        )
    )
