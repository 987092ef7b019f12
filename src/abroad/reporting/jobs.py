"""The IFS02.5 export (proof of mobility periods), made by the background worker
(abroad.core.jobs): it grows with the university."""

from __future__ import annotations

import io

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from abroad.core import jobs
from abroad.core.importing import Format, Progress
from abroad.core.models import Job
from abroad.reporting import ifs02

IFS02_EXPORT = "statistics.ifs02_export"


def run_ifs02_export(job: Job, progress: Progress) -> jobs.Done:
    params = job.params
    fmt: Format = "xlsx" if params["format"] == "xlsx" else "csv"
    buffer = io.BytesIO()
    count = ifs02.export(
        buffer, fmt, job.requested_by, year=params.get("year"), school=params.get("school")
    )
    suffix = f"-{params['year']}" if params.get("year") is not None else ""
    return jobs.Done(file_name=f"ifs02-5{suffix}.{fmt}", content=buffer.getvalue(), rows=count)


def register() -> None:
    jobs.register(
        jobs.Kind(
            name=IFS02_EXPORT,
            label=_("Proof of mobility periods (IFS02.5)"),
            run=run_ifs02_export,
            back=lambda job: reverse("statistics:dashboard") + "#ifs02",
        )
    )
