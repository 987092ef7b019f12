"""A mobility's grant, line by line, for its student and the office."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from abroad.core.academic_year import format_year
from abroad.core.permissions import visible_or_404
from abroad.grants import services
from abroad.mobility.models import Mobility

VIEW = "grants.view_grant"


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
