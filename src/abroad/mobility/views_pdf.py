"""The PDF of a learning agreement version, for whoever may see the mobility."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control

from abroad.core.permissions import visible_or_404
from abroad.mobility.models import LearningAgreement, Mobility
from abroad.mobility.pdf import render_learning_agreement


@login_required
def la_pdf(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Version ``number`` of mobility ``pk``'s learning agreement as a PDF. Anybody who may not
    see the mobility gets a 404."""
    mobility = visible_or_404(
        request.user,
        "mobility.view_mobility",
        get_object_or_404(
            Mobility.objects.select_related(
                "student__course_of_study", "offer__agreement__promoter", "host"
            ),
            pk=pk,
        ),
    )
    agreement = get_object_or_404(
        LearningAgreement.objects.select_related("promoter__promoter"),
        mobility=mobility,
        number=number,
    )
    agreement.mobility = mobility
    who = mobility.student.student_number or str(mobility.pk)
    response = HttpResponse(render_learning_agreement(agreement), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="learning-agreement-{who}-v{agreement.number}.pdf"'
    )
    patch_cache_control(response, private=True, no_store=True)
    return response
