"""The grants' long jobs (abroad.core.jobs): the rate tables' import and the payment list's
export, run by the background worker."""

from __future__ import annotations

import io
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from abroad.core import jobs
from abroad.core.importing import Format, Progress
from abroad.core.models import Job
from abroad.grants import services

RATES_IMPORT = "grants.rates_import"
PAYMENTS_EXPORT = "grants.payments_export"


def run_rates_import(job: Job, progress: Progress) -> jobs.Done:
    with jobs.open_upload(job) as upload:
        report = services.import_rates(
            upload,
            academic_year=job.params["year"],
            actor=job.requested_by,
            name=job.upload_name,
            source_note=job.params.get("source") or None,
            note=job.params.get("note") or None,
        )
    return jobs.Done(report=report)


def run_payments_export(job: Job, progress: Progress) -> jobs.Done:
    params = job.params
    fmt: Format = "xlsx" if params["format"] == "xlsx" else "csv"
    rows = services.payment_rows(
        job.requested_by, params["year"], params["instalment"], params["state"]
    )
    buffer = io.BytesIO()
    count = services.export_payments(rows, params["instalment"], buffer, fmt)
    name = f"payments-{params['year']}-{params['instalment']}.{fmt}"
    return jobs.Done(file_name=name, content=buffer.getvalue(), rows=count)


def _payments_page(job: Job) -> str:
    query = {key: job.params[key] for key in ("year", "instalment", "state")}
    return f"{reverse('grants:payments')}?{urlencode(query)}"


def register() -> None:
    jobs.register(
        jobs.Kind(
            name=RATES_IMPORT,
            label=_("Import the grant amounts"),
            run=run_rates_import,
            report_template="grants/_rates_report.html",
            back=lambda job: reverse("grants:rates_import"),
        )
    )
    jobs.register(
        jobs.Kind(
            name=PAYMENTS_EXPORT,
            label=_("Grant payments (file)"),
            run=run_payments_export,
            back=_payments_page,
        )
    )
