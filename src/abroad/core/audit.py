"""Write to the audit log: ``record(actor=user, action="agreement.created", obj=agreement)``."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from django.db import models

from abroad.core.models import AuditEvent


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(item) for item in value]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def record(*, actor: Any, action: str, obj: models.Model | None = None, **data: Any) -> AuditEvent:
    """Append one event. ``actor`` is a user, or None for the system (imports, CLI)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        actor_name=user.get_username() if user is not None else "",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:300] if obj is not None else "",
        data=_jsonable(data),
    )


def history(obj: models.Model) -> models.QuerySet[AuditEvent]:
    """The events about one object, newest first."""
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
