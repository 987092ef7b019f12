"""Every write to a mobility goes through here."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from abroad.catalogue.models import Offer
from abroad.core import audit
from abroad.mobility.enums import MobilityKind, MobilityState
from abroad.mobility.models import Mobility


def kind_for(offer: Offer) -> str:
    """The kind of mobility an offer gives: thesis, double degree, a year or a semester."""
    if offer.agreement.programme == "double_degree":
        return MobilityKind.DOUBLE_DEGREE
    if offer.mobility_type == "thesis":
        return MobilityKind.THESIS
    if offer.agreement.programme == "network" and offer.months < 3:
        return MobilityKind.SHORT
    return MobilityKind.YEAR if offer.months >= 9 else MobilityKind.SEMESTER


@transaction.atomic
def create_mobility(
    *, student: Any, offer: Offer, academic_year: int, origin: str, actor: Any = None
) -> Mobility:
    """Create the mobility of a student who took a seat on ``offer``: nominated to the host."""
    mobility = Mobility.objects.create(
        student=student,
        offer=offer,
        host=offer.agreement.partner,
        academic_year=academic_year,
        kind=kind_for(offer),
        state=MobilityState.NOMINATED,
        months=offer.months,
        origin=origin,
    )
    audit.record(actor=actor, action="mobility.created", obj=mobility, origin=origin)
    return mobility


@transaction.atomic
def withdraw_mobility(*, mobility: Mobility, actor: Any = None, reason: str = "") -> Mobility:
    mobility.state = MobilityState.WITHDRAWN
    mobility.save(update_fields=["state"])
    audit.record(actor=actor, action="mobility.withdrawn", obj=mobility, reason=reason)
    return mobility
