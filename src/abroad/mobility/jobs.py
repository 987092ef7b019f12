"""The office's list of mobilities as CSV (abroad.core.jobs), made by the background worker:
the list grows with the university. The page's filters are the job's params; the worker
rebuilds the same filtered list for who asked, within their office's School, and records the
same audit event as when the file was made in the request."""

from __future__ import annotations

import io
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from abroad.core import audit, jobs
from abroad.core.importing import Progress, labels, write_table
from abroad.core.models import Job

MOBILITIES_EXPORT = "mobility.mobilities_export"


def run_mobilities_export(job: Job, progress: Progress) -> jobs.Done:
    # the list's filter and columns, as the page builds them
    from abroad.mobility.views_office import (
        EXPORT_COLUMNS,
        EXPORT_HEADERS,
        MobilityFilterForm,
        export_rows,
        filtered_mobilities,
    )

    user = job.requested_by
    if user is None:  # the asker's account is gone: nobody to scope the list by
        raise ValueError("The mobilities export has no asker.")
    filters: dict[str, str] = job.params.get("filters") or {}
    buffer = io.BytesIO()
    count = write_table(
        buffer,
        columns=EXPORT_COLUMNS,
        rows=export_rows(filtered_mobilities(MobilityFilterForm(filters), user)),
        fmt="csv",
        headers=labels(EXPORT_HEADERS),
    )
    # personal data leaving the system: who took which list is in the audit log
    audit.record(
        actor=user, action="mobilities.exported", format="csv", rows=count, filters=filters
    )
    return jobs.Done(file_name="mobilities.csv", content=buffer.getvalue(), rows=count)


def _list_page(job: Job) -> str:
    filters = job.params.get("filters") or {}
    page = reverse("mobility:office_list")
    return f"{page}?{urlencode(filters)}" if filters else page


def register() -> None:
    jobs.register(
        jobs.Kind(
            name=MOBILITIES_EXPORT,
            label=_("Mobilities (file)"),
            run=run_mobilities_export,
            back=_list_page,
        )
    )
