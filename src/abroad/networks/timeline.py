"""The networks' steps on the student's mobility timeline (registered in apps.py; the
mobility app never imports this one): the Alliance4Tech certificate for a stay at one of its
partners, and the study plan of a double degree."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _

from abroad.mobility.enums import MobilityKind, MobilityState
from abroad.mobility.models import Mobility
from abroad.mobility.timeline import ExtraStep
from abroad.networks import certificate, services
from abroad.networks.enums import PlanState
from abroad.networks.models import DoubleDegreePlan


def certificate_step(mobility: Mobility) -> ExtraStep | None:
    """Where the student stands with the Alliance4Tech certificate, for a mobility at one of
    the alliance's partners; nothing for any other mobility."""
    if mobility.state == MobilityState.WITHDRAWN or not services.is_alliance_mobility(mobility):
        return None
    result = certificate.check(services.certificate_stays(mobility.student))
    stays = "; ".join(
        _("%(institution)s: %(ects)s ECTS") % {"institution": i.name, "ects": _ects(i.ects)}
        + (f" ({_('planned')})" if i.provisional else "")
        for i in result.institutions
    )
    title = _("Alliance4Tech certificate")
    rule = _(
        "The certificate needs stays at two partner institutions, at least 30 ECTS abroad and "
        "at least 10 at each."
    )
    if result.met:
        text = _("Requirements met: %(stays)s.") % {"stays": stays}
        return ExtraStep("alliance4tech", title, "done", f"{rule} {text}")
    if result.on_track:
        text = _(
            "On track with the credits planned in your learning agreements (%(stays)s); it is "
            "met once they are recognised."
        ) % {"stays": stays}
        return ExtraStep("alliance4tech", title, "todo", f"{rule} {text}")
    missing = " ".join(services.describe_certificate(result))
    text = _("So far: %(stays)s.") % {"stays": stays} if stays else ""
    return ExtraStep(
        "alliance4tech", title, "todo", " ".join(t for t in (rule, text, missing) if t)
    )


def _ects(value: Decimal) -> str:
    return f"{value.normalize():f}"


def double_degree_step(mobility: Mobility) -> ExtraStep | None:
    """The double-degree study plan and its approval by the promoter."""
    if mobility.kind != MobilityKind.DOUBLE_DEGREE or mobility.state == MobilityState.WITHDRAWN:
        return None
    plan = DoubleDegreePlan.objects.filter(mobility=mobility).first()
    url = reverse("networks:plan", kwargs={"mobility": mobility.pk})
    title = _("Double-degree study plan")
    link = _("The double-degree plan")
    if plan is None:
        text = _(
            "Write your double-degree plan: credits at the partner and at home, the thesis at "
            "both institutions, and your study plan for the promoter."
        )
        return ExtraStep("double_degree", title, "todo", text, url, link)
    texts = {
        PlanState.DRAFT: (
            "todo",
            _("Your plan is a draft: submit it to your promoter when it is ready."),
        ),
        PlanState.SUBMITTED: ("todo", _("Your plan waits for your promoter's approval.")),
        PlanState.RETURNED: (
            "current",
            _("Your promoter returned the plan with comments: change it and submit it again."),
        ),
        PlanState.APPROVED: ("done", _("Your promoter approved the plan.")),
    }
    status, text = texts[PlanState(plan.state)]
    return ExtraStep("double_degree", title, status, text, url, link)
