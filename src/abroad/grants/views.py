"""A mobility's grant, line by line, for its student and the office."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.validators import FileExtensionValidator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from abroad.core import jobs
from abroad.core.academic_year import current_start_year, format_year
from abroad.core.permissions import office_page, visible_or_404
from abroad.grants import jobs as grants_jobs
from abroad.grants import services
from abroad.mobility.models import Mobility

VIEW = "grants.view_grant"
PAGE_SIZE = 100
STATES = ("due", "paid", "all")


@login_required
@require_GET
def mobility_grant(request: HttpRequest, pk: int) -> HttpResponse:
    mobility = visible_or_404(
        request.user,
        VIEW,
        get_object_or_404(Mobility.objects.select_related("host", "student"), pk=pk),
    )
    found = services.grant_of(mobility)
    return render(
        request,
        "grants/mobility.html",
        {
            "mobility": mobility,
            "found": found,
            "year": format_year(mobility.academic_year),
            "table_year": format_year(found.table.academic_year) if found.table else "",
            "is_student": request.user == mobility.student,
        },
    )


class PaymentsForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=())
    instalment = forms.IntegerField(min_value=1, max_value=12)
    paid_on = forms.DateField(
        label=gettext_lazy("Paid on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reference = forms.CharField(label=gettext_lazy("Reference"), max_length=100, required=False)

    def __init__(self, *args: Any, ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["ids"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(i, str(i)) for i in ids]


def _choice(value: str | None, allowed: tuple[str, ...], default: str) -> str:
    return value if value in allowed else default


def _number(value: str | None, default: int, low: int, high: int) -> int:
    try:
        number = int(value or "")
    except ValueError:
        return default
    return number if low <= number <= high else default


def _payments_filters(request: HttpRequest) -> tuple[int, int, str]:
    year = _number(request.GET.get("year"), current_start_year(), 2000, 2100)
    instalment = _number(request.GET.get("instalment"), 1, 1, 12)
    state = _choice(request.GET.get("state"), STATES, "due")
    return year, instalment, state


@office_page(services.MANAGE)
@require_POST
def payments_export(request: HttpRequest) -> HttpResponse:
    """The payment list as a file, made by the background worker (abroad.core.jobs): the
    request writes the job and goes to its page, where the file is offered once made."""
    year, instalment, state = _payments_filters(request)
    fmt = _choice(request.POST.get("format"), ("xlsx", "csv"), "xlsx")
    params = {"year": year, "instalment": instalment, "state": state, "format": fmt}
    with transaction.atomic():
        job = jobs.submit(grants_jobs.PAYMENTS_EXPORT, requested_by=request.user, params=params)
    return redirect("job", pk=job.pk)


class RatesImportForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("Academic year"), coerce=int, choices=())
    file = forms.FileField(
        label=gettext_lazy("File (CSV or XLSX)"),
        help_text=gettext_lazy("One row per amount, in the columns the export writes."),
        validators=[FileExtensionValidator(["xlsx", "csv"])],
    )
    source = forms.CharField(
        label=gettext_lazy("Where the amounts come from"), max_length=300, required=False
    )
    note = forms.CharField(
        label=gettext_lazy("Note for students and the office"), max_length=500, required=False
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Only check the file, import nothing"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["year"]
        assert isinstance(field, forms.TypedChoiceField)
        now = current_start_year()
        field.choices = [(y, format_year(y)) for y in range(now + 1, now - 3, -1)]
        field.initial = now


@office_page(services.MANAGE)
@require_http_methods(["GET", "POST"])
def rates_import(request: HttpRequest) -> HttpResponse:
    """A year's grant amounts from a spreadsheet, all or nothing (every bad row named): the
    check (dry run) in the request, the import itself as a background job, since it computes
    again every grant the table pays."""
    form = RatesImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        if not data["dry_run"]:
            with transaction.atomic():
                job = jobs.submit(
                    grants_jobs.RATES_IMPORT,
                    requested_by=request.user,
                    params={"year": data["year"], "source": data["source"], "note": data["note"]},
                    upload=upload,
                    upload_name=upload.name,
                )
            return redirect("job", pk=job.pk)
        report = services.import_rates(
            upload, academic_year=data["year"], actor=request.user, name=upload.name, dry_run=True
        )
    return render(request, "grants/rates_import.html", {"form": form, "report": report})


@office_page(services.MANAGE)
@require_http_methods(["GET", "POST"])
def payments(request: HttpRequest) -> HttpResponse:
    """The payment list of one instalment of one academic year; the office ticks the rows the
    accounting office paid and records them (the amounts are computed, never typed), or asks
    for the list as a file (CSV, XLSX: :func:`payments_export`)."""
    year, instalment, state = _payments_filters(request)
    rows = services.payment_rows(request.user, year, instalment, state)
    form = PaymentsForm(ids=[row.mobility.pk for row in rows if row.payment is None])
    if request.method == "POST":
        form = PaymentsForm(request.POST, ids=[row.mobility.pk for row in rows])
        if form.is_valid():
            try:
                created = services.record_payments(
                    actor=request.user,
                    mobility_ids=form.cleaned_data["ids"],
                    instalment=form.cleaned_data["instalment"],
                    paid_on=form.cleaned_data["paid_on"],
                    reference=form.cleaned_data["reference"],
                )
            except services.PaymentError as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d payment recorded.", "%(count)d payments recorded.", len(created)
                    )
                    % {"count": len(created)},
                )
                return HttpResponseRedirect(request.get_full_path())
        else:
            messages.error(request, _("Tick the mobilities paid and give the date of payment."))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "grants/payments.html",
        {
            "page": page,
            "rows": page.object_list,
            "year": year,
            "year_label": format_year(year),
            "years": range(current_start_year() + 1, current_start_year() - 6, -1),
            "instalment": instalment,
            "state": state,
            "states": [("due", _("To pay")), ("paid", _("Paid")), ("all", _("All"))],
            "form": form,
            "total": sum((row.due or 0 for row in rows if row.payment is None), Decimal(0)),
            "query": urlencode({"year": year, "instalment": instalment, "state": state}),
        },
    )
