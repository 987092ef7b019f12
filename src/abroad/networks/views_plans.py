"""Double-degree plans: the plan of one double-degree mobility (the student or the office
edit and submit it; the approving promoter approves it or returns it with a comment), and the
promoter's list of plans waiting for them.

Who sees a plan follows its mobility (``networks.view_plan``); anybody else gets a 404."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.forms import ModelChoiceField
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from abroad.catalogue.enums import Programme
from abroad.catalogue.models import Agreement, Network
from abroad.core.permissions import can, require, visible_or_404
from abroad.mobility.enums import MobilityKind
from abroad.mobility.models import Mobility
from abroad.mobility.queries import acting_q, office_mobilities_q
from abroad.networks import double_degree, services
from abroad.networks.enums import PlanState
from abroad.networks.forms import DecisionForm, PlanForm
from abroad.networks.models import DoubleDegreePlan
from abroad.networks.services import NetworksError
from abroad.people.models import User
from abroad.people.substitutes import decisions_on_behalf


def _mobility(request: HttpRequest, pk: int) -> Mobility:
    mobility = get_object_or_404(
        Mobility.objects.select_related(
            "student__course_of_study", "host", "offer__agreement__network"
        ).prefetch_related("student__course_of_study__coordinators"),
        pk=pk,
        kind=MobilityKind.DOUBLE_DEGREE,
    )
    return visible_or_404(request.user, "networks.view_plan", mobility)


def _plan_form(
    data: Any = None, *, instance: DoubleDegreePlan | None, initial: dict[str, Any] | None = None
) -> PlanForm:
    """The plan's form, its network list limited to the double-degree networks (never ATHENS,
    whose sessions are short courses): those with a double-degree agreement, and the plan's own
    network when it has one; a network that runs ATHENS sessions is left out in any case."""
    form = PlanForm(data, instance=instance, initial=initial)
    field = form.fields["network"]
    assert isinstance(field, ModelChoiceField)
    kept = Q(pk__in=Agreement.objects.filter(programme=Programme.DOUBLE_DEGREE).values("network"))
    if instance is not None and instance.network_id is not None:
        kept |= Q(pk=instance.network_id)
    field.queryset = (
        Network.objects.filter(kept).exclude(sessions__isnull=False).distinct().order_by("name")
    )
    return form


def _user(request: HttpRequest) -> User:
    """The logged-in user (every view here is behind login_required)."""
    return cast(User, request.user)


def _back(mobility: Mobility) -> HttpResponse:
    return redirect("networks:plan", mobility=mobility.pk)


@login_required
@require_GET
def plan(request: HttpRequest, mobility: int) -> HttpResponse:
    found = _mobility(request, mobility)
    current = DoubleDegreePlan.objects.filter(mobility=found).select_related("network").first()
    editable = can(request.user, "networks.change_plan", found)
    initial: dict[str, Any] = {"mobility_unit_months": double_degree.MOBILITY_UNIT_MONTHS}
    if current is None and found.offer is not None and found.offer.agreement.network is not None:
        initial["network"] = found.offer.agreement.network
    return render(
        request,
        "networks/plan.html",
        {
            "mobility": found,
            "plan": current,
            "findings": services.plan_findings(current) if current else None,
            "form": _plan_form(instance=current, initial=initial) if editable else None,
            "can_submit": editable and current is not None,
            "can_decide": can(request.user, "networks.decide_plan", found),
            "on_behalf": decisions_on_behalf(current) if current is not None else [],
            "decision_form": DecisionForm(),
            "partner_credits": double_degree.PARTNER_CREDITS,
            "max_home_credits": double_degree.MAX_HOME_CREDITS,
        },
    )


@login_required
@require_POST
def save(request: HttpRequest, mobility: int) -> HttpResponse:
    found = _mobility(request, mobility)
    require(request.user, "networks.edit_plan", found)
    current = DoubleDegreePlan.objects.filter(mobility=found).first()
    form = _plan_form(request.POST, instance=current)
    if not form.is_valid():
        messages.error(
            request,
            " ".join(
                f"{form.fields[name].label}: {error}" if name in form.fields else str(error)
                for name, errors in form.errors.items()
                for error in errors
            ),
        )
        return _back(found)
    values = {name: form.cleaned_data[name] for name in PlanForm.Meta.fields}
    try:
        services.save_plan(mobility=found, actor=_user(request), **values)
    except NetworksError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("The plan is saved."))
    return _back(found)


@login_required
@require_POST
def submit(request: HttpRequest, mobility: int) -> HttpResponse:
    found = _mobility(request, mobility)
    require(request.user, "networks.edit_plan", found)
    current = get_object_or_404(DoubleDegreePlan, mobility=found)
    try:
        services.submit_plan(plan=current, actor=_user(request))
    except NetworksError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("The plan is submitted to your promoter."))
    return _back(found)


@login_required
@require_POST
def decide(request: HttpRequest, mobility: int) -> HttpResponse:
    found = _mobility(request, mobility)
    require(request.user, "networks.approve_plan", found)
    current = get_object_or_404(DoubleDegreePlan, mobility=found)
    form = DecisionForm(request.POST)
    form.is_valid()
    approve = request.POST.get("decision") == "approve"
    try:
        services.decide_plan(
            plan=current,
            approve=approve,
            comment=form.cleaned_data.get("comment", ""),
            actor=_user(request),
        )
    except NetworksError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request, _("The plan is approved.") if approve else _("The plan is returned.")
        )
    return _back(found)


@login_required
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    """The plans a promoter approves (every plan, for the office), those waiting first."""
    user = request.user
    plans = DoubleDegreePlan.objects.select_related("mobility__student", "mobility__host")
    if can(user, "mobility.manage_mobilities"):
        plans = plans.filter(office_mobilities_q(user, "mobility__"))
    elif getattr(user, "is_promoter", False) and getattr(user, "promoter", None) is not None:
        plans = plans.filter(acting_q(user.promoter, user, "mobility__"))  # type: ignore[union-attr]
    else:
        raise Http404
    waiting = [p for p in plans.order_by("submitted_at", "pk") if p.state == PlanState.SUBMITTED]
    others = [p for p in plans.order_by("-updated_at") if p.state != PlanState.SUBMITTED]
    return render(request, "networks/plan_desk.html", {"waiting": waiting, "others": others})
