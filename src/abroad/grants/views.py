"""A mobility's grant, line by line, for its student and the office."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from abroad.core.academic_year import current_start_year, format_year
from abroad.core.permissions import office_page, visible_or_404
from abroad.grants import services
from abroad.mobility.models import Mobility

VIEW = "grants.view_grant"
PAGE_SIZE = 100
STATES = ("due", "paid", "all")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


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


@office_page(services.MANAGE)
@require_http_methods(["GET", "POST"])
def payments(request: HttpRequest) -> HttpResponse:
    """The payment list of one instalment of one academic year; the office ticks the rows the
    accounting office paid and records them (the amounts are computed, never typed), or
    downloads the list (CSV, XLSX)."""
    year = _number(request.GET.get("year"), current_start_year(), 2000, 2100)
    instalment = _number(request.GET.get("instalment"), 1, 1, 12)
    state = _choice(request.GET.get("state"), STATES, "due")
    rows = services.payment_rows(request.user, year, instalment, state)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        buffer = io.BytesIO()
        services.export_payments(rows, instalment, buffer, fmt)  # type: ignore[arg-type]
        name = f"payments-{year}-{instalment}.{fmt}"
        content_type = CONTENT_TYPES[fmt]
        response = HttpResponse(buffer.getvalue(), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
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
