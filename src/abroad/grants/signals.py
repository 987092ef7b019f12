"""A mobility's grant follows its dates: when a mobility is saved with new dates, host or kind
(a proposal of dates, a certificate of stay, an extension), its grant is computed again once
the transaction commits (:func:`abroad.grants.services.refresh_grant`, audited when the amount
moves). The mobility app does not know about grants: this receiver is connected in
``GrantsConfig.ready``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

from abroad.mobility.models import Mobility

# The fields a grant depends on; a save naming none of them leaves the grant alone.
GRANT_FIELDS = frozenset(
    {
        "planned_start",
        "planned_end",
        "actual_start",
        "actual_end",
        "host",
        "host_id",
        "kind",
        "academic_year",
        "months",
    }
)


def _saved(
    sender: type[Mobility],
    instance: Mobility,
    raw: bool = False,
    update_fields: Iterable[str] | None = None,
    **kwargs: Any,
) -> None:
    if raw or (update_fields is not None and not GRANT_FIELDS.intersection(update_fields)):
        return
    pk = instance.pk

    def refresh() -> None:
        from abroad.grants.models import RateTable
        from abroad.grants.services import refresh_grant

        mobility = Mobility.objects.filter(pk=pk).first()
        if mobility is not None and RateTable.objects.exists():
            refresh_grant(mobility, actor=None, reason="mobility")

    transaction.on_commit(refresh)


def connect() -> None:
    post_save.connect(_saved, sender=Mobility, dispatch_uid="abroad.grants.signals.saved")
