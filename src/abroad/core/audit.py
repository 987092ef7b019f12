"""Write to the audit log: ``record(actor=user, action="agreement.created", obj=agreement)``."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from typing import Any

from django.conf import settings
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


def redact_names(*, actor_id: int, pseudonym: str, objects: Iterable[tuple[str, str]] = ()) -> int:
    """After a person's erasure: the names shown beside events, never what happened. Events by
    the person show ``pseudonym`` as who; events about ``objects`` ((type, id) pairs: the
    person's rows) show the type and id instead of the object's name. The database allows
    exactly this change and no other (migration core 0004). Returns the events changed."""
    events = AuditEvent.objects.all()
    changed = models.QuerySet.update(
        events.filter(actor_id=actor_id).exclude(actor_name=pseudonym), actor_name=pseudonym
    )
    # events about the person's account show the pseudonym, like the account itself
    account = events.filter(object_type=settings.AUTH_USER_MODEL.lower(), object_id=str(actor_id))
    changed += models.QuerySet.update(account.exclude(object_repr=pseudonym), object_repr=pseudonym)
    by_type: dict[str, list[str]] = {}
    for object_type, object_id in objects:
        if (object_type, str(object_id)) != (settings.AUTH_USER_MODEL.lower(), str(actor_id)):
            by_type.setdefault(object_type, []).append(str(object_id))
    for object_type, ids in by_type.items():
        for start in range(0, len(ids), 500):
            about = events.filter(object_type=object_type, object_id__in=ids[start : start + 500])
            changed += models.QuerySet.update(about.exclude(object_repr=""), object_repr="")
    return changed
