"""The registrar's export of the validated recognitions (abroad.core.jobs), made by the
background worker: it grows with the university. The rows are those of the asker's School for
a School-scoped office user, as when the file was made in the request; the audit event names
who asked."""

from __future__ import annotations

import io

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from abroad.core import jobs
from abroad.core.importing import Format, Progress
from abroad.core.models import Job
from abroad.recognition import exports

RECOGNITIONS_EXPORT = "recognition.recognitions_export"


def file_name(year: int | None, fmt: Format) -> str:
    return "recognitions" + (f"-{year}-{year + 1}" if year else "") + f".{fmt}"


def run_recognitions_export(job: Job, progress: Progress) -> jobs.Done:
    fmt: Format = "xlsx" if job.params.get("format") == "xlsx" else "csv"
    year = job.params.get("year")
    buffer = io.BytesIO()
    count = exports.export_recognitions(buffer, fmt=fmt, actor=job.requested_by, academic_year=year)
    return jobs.Done(file_name=file_name(year, fmt), content=buffer.getvalue(), rows=count)


def register() -> None:
    jobs.register(
        jobs.Kind(
            name=RECOGNITIONS_EXPORT,
            label=_("Recognitions for the registrar (file)"),
            run=run_recognitions_export,
            back=lambda job: reverse("recognition:desk") + "#export",
        )
    )
