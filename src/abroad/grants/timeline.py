"""The grant's step on the student's mobility timeline (registered in apps.py)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from abroad.grants import services
from abroad.grants.models import RateTable
from abroad.mobility.enums import MobilityState
from abroad.mobility.models import Mobility
from abroad.mobility.timeline import ExtraStep


def grant_step(mobility: Mobility) -> ExtraStep | None:
    """The grant as computed now, with a link to its lines; nothing for a withdrawal, nor
    while the office has loaded no amounts at all (it does not pay grants through abroad)."""
    if mobility.state == MobilityState.WITHDRAWN or not RateTable.objects.exists():
        return None
    found = services.grant_of(mobility)
    url = reverse("grants:mobility", args=[mobility.pk])
    title = _("Grant")
    if found.grant is None:
        return ExtraStep("grant", title, "todo", found.refused, url, _("How the grant is computed"))
    text = _("%(total)s euros, paid in %(count)d instalments.") % {
        "total": number_format(found.grant.total, 2, force_grouping=True),
        "count": len(found.instalments),
    }
    return ExtraStep("grant", title, "done", text, url, _("The grant, line by line"))
