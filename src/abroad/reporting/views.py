"""The office's statistics dashboard, its downloads, and a partner's public figures.

A School-scoped office user (``people.rules.office_scope``) sees the figures of its Schools
only, in the page and in the downloads."""

from __future__ import annotations

import io
from typing import Any

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import localize
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_POST

from abroad.catalogue.queries import visible_partners
from abroad.core import jobs
from abroad.core.importing import Format, labels, write_table
from abroad.core.permissions import office_page, visible_or_404
from abroad.people.rules import office_scope
from abroad.reporting import queries
from abroad.reporting.charts import Chart, bar_chart
from abroad.reporting.forms import FilterForm
from abroad.reporting.jobs import IFS02_EXPORT

DASHBOARD = "statistics.view_dashboard"
PARTNER = "statistics.view_partner"
IFS02 = "statistics.export_ifs02"
CONTENT_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def chart_of(figure: queries.Figure) -> Chart:
    """The bars of ``figure``: its label column against its value column."""
    fmt = "{} %" if figure.value.endswith("share") else "{}"
    return bar_chart([(row[figure.label], row[figure.value]) for row in figure.rows], fmt=fmt)


def table_rows(figure: queries.Figure) -> SafeString:
    """The rows of ``figure``'s table as HTML, escaped and localised as the template would
    (a missing number is a dash), built here in one pass: at ten times the demo, the
    template's loop over every cell was a fifth of the page's time."""
    return format_html_join(
        "",
        "<tr>{}</tr>",
        (
            (
                format_html_join(
                    "",
                    "<td>{}</td>",
                    (
                        ("–" if (cell := row.get(column, "")) is None else localize(cell),)
                        for column in figure.columns
                    ),
                ),
            )
            for row in figure.rows
        ),
    )


@office_page(DASHBOARD)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None)
    figures = queries.dashboard(form.filters(), office_scope(request.user))
    query = request.GET.urlencode()
    panels = [
        {
            "figure": figure,
            "chart": chart_of(figure),
            "rows": table_rows(figure),
        }
        for figure in figures
    ]
    return render(
        request,
        "statistics/dashboard.html",
        {"form": form, "panels": panels, "query": query},
    )


@office_page(DASHBOARD)
@require_GET
def download(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    """One figure's table as CSV or XLSX, filtered like the dashboard's URL."""
    if fmt not in CONTENT_TYPES:
        raise Http404
    figure = queries.figure(
        key, FilterForm(request.GET or None).filters(), office_scope(request.user)
    )
    if figure is None:
        raise Http404
    buffer = io.BytesIO()
    file_format: Format = "csv" if fmt == "csv" else "xlsx"
    write_table(
        buffer,
        columns=figure.columns,
        rows=figure.rows,
        fmt=file_format,
        sheet=figure.key[:31],
        headers=labels(figure.headers),
        text_columns=figure.text_columns,
    )
    return HttpResponse(
        buffer.getvalue(),
        content_type=CONTENT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{figure.key}.{fmt}"'},
    )


@office_page(IFS02)
@require_POST
def ifs02(request: HttpRequest, fmt: str) -> HttpResponse:
    """The proof of mobility periods (IFS02.5) of the students within the user's School scope,
    for the dashboard's academic year and School filters: made by the background worker
    (reporting/jobs.py); the request writes the job and goes to its page."""
    if fmt not in CONTENT_TYPES:
        raise Http404
    filters = FilterForm(request.GET or None).filters()
    params = {"format": fmt, "year": filters.year, "school": filters.school}
    with transaction.atomic():
        job = jobs.submit(IFS02_EXPORT, requested_by=request.user, params=params)
    return redirect("job", pk=job.pk)


@require_GET
def partner(request: HttpRequest, pk: int) -> HttpResponse:
    """A partner's public figures: students per past year, share of credits recognised."""
    institution = visible_partners(request.user).filter(pk=pk).first()
    if institution is None:
        raise Http404
    visible_or_404(request.user, PARTNER, institution)
    years = queries.partner_years(institution)
    context: dict[str, Any] = {
        "institution": institution,
        "years": years,
        "min_cell": queries.MIN_CELL,
        "chart": bar_chart([(year.label, year.students) for year in years if not year.suppressed]),
    }
    return render(request, "statistics/partner.html", context)
