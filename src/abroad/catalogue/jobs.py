"""The catalogue's long jobs (abroad.core.jobs): the agreements import and export, run by the
worker (both grow with the university: 2,000 agreements and more)."""

from __future__ import annotations

import io

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from abroad.catalogue.importers.agreements import export_agreements, import_agreements
from abroad.catalogue.models import Agreement
from abroad.core import jobs
from abroad.core.importing import Format, Progress
from abroad.core.models import Job

AGREEMENTS_IMPORT = "catalogue.agreements_import"
AGREEMENTS_EXPORT = "catalogue.agreements_export"


def run_agreements_import(job: Job, progress: Progress) -> jobs.Done:
    with jobs.open_upload(job) as upload:
        report = import_agreements(
            upload, name=job.upload_name, actor=job.requested_by, progress=progress
        )
    return jobs.Done(report=report)


def run_agreements_export(job: Job, progress: Progress) -> jobs.Done:
    """Every agreement, or those of ``params["ids"]`` (the change list's selection), as a file
    the import reads back."""
    fmt: Format = "xlsx" if job.params.get("format") == "xlsx" else "csv"
    ids = job.params.get("ids")
    chosen = Agreement.objects.filter(pk__in=ids) if ids is not None else None
    buffer = io.BytesIO()
    count = export_agreements(buffer, agreements=chosen, fmt=fmt, actor=job.requested_by)
    name = f"agreements-{timezone.localdate():%Y-%m-%d}.{fmt}"
    return jobs.Done(file_name=name, content=buffer.getvalue(), rows=count)


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
    jobs.register(
        jobs.Kind(
            name=AGREEMENTS_EXPORT,
            label=_("Export agreements"),
            run=run_agreements_export,
            back=lambda job: reverse("admin:catalogue_agreement_changelist"),
        )
    )
