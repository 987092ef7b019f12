"""The call's long exports (abroad.core.jobs), made by the background worker: the ranking (a
call may hold 20,000 applications) and the nominations. Who asked is the actor of the audit
event the export records, as when the file was made in the request."""

from __future__ import annotations

import io
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from abroad.core import jobs
from abroad.core.importing import Format, Progress
from abroad.core.models import Job
from abroad.selection import exports
from abroad.selection.models import Call

RANKING_EXPORT = "selection.ranking_export"
NOMINATIONS_EXPORT = "selection.nominations_export"


def run_ranking_export(job: Job, progress: Progress) -> jobs.Done:
    """The ranking as the asker filtered it (``params["filters"]``: the page's query)."""
    # the page's filter, rebuilt here as the page builds it
    from abroad.selection.views_office import RankingFilterForm, ranking_queryset

    call = Call.objects.get(pk=job.params["call"])
    filters: dict[str, str] = job.params.get("filters") or {}
    applications = ranking_queryset(call, RankingFilterForm(filters)).prefetch_related(
        "preferences__call_offer__offer__agreement__partner"
    )
    buffer = io.BytesIO()
    count = exports.export_ranking(
        applications, buffer, call=call, actor=job.requested_by, filters=filters
    )
    return jobs.Done(file_name=f"ranking-{call.code}.csv", content=buffer.getvalue(), rows=count)


def run_nominations_export(job: Job, progress: Progress) -> jobs.Done:
    call = Call.objects.get(pk=job.params["call"])
    fmt: Format = "xlsx" if job.params.get("format") == "xlsx" else "csv"
    buffer = io.BytesIO()
    count = exports.export_nominations(call, buffer, fmt=fmt, actor=job.requested_by)
    name = f"nominations-{call.code}.{fmt}"
    return jobs.Done(file_name=name, content=buffer.getvalue(), rows=count)


def _code(job: Job) -> str:
    return str(Call.objects.filter(pk=job.params["call"]).values_list("code", flat=True).get())


def _ranking_page(job: Job) -> str:
    page = reverse("selection:office_ranking", args=[_code(job)])
    filters = job.params.get("filters") or {}
    return f"{page}?{urlencode(filters)}" if filters else page


def register() -> None:
    jobs.register(
        jobs.Kind(
            name=RANKING_EXPORT,
            label=_("The call's ranking (file)"),
            run=run_ranking_export,
            back=_ranking_page,
        )
    )
    jobs.register(
        jobs.Kind(
            name=NOMINATIONS_EXPORT,
            label=_("The call's nominations (file)"),
            run=run_nominations_export,
            back=lambda job: reverse("selection:office_nominations", args=[_code(job)]),
        )
    )
