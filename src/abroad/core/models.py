"""The append-only audit log that every state change writes to."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AuditLogIsAppendOnly(_("The audit log is append-only: events cannot be changed."))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly(_("The audit log is append-only: events cannot be deleted."))


class AuditLogIsAppendOnly(Exception):
    pass


class AuditEvent(models.Model):
    """One thing that happened: who did what to which object, with the details.

    Written only through :func:`abroad.core.audit.record`; never updated or deleted: the
    model and its queryset refuse both, and so does the database (a trigger on PostgreSQL
    refuses DELETE and any UPDATE but the redaction of the names beside an event after a
    person's erasure, :func:`abroad.core.audit.redact_names`; one on SQLite refuses the same
    UPDATEs).
    """

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    # Deleting a user must not rewrite its events (SET_NULL would be an UPDATE): the id stays,
    # with no database constraint, and the name is kept beside it.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("who (name)"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, db_index=True, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=("object_type", "object_id"))]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AuditLogIsAppendOnly(_("The audit log is append-only: events cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly(_("The audit log is append-only: events cannot be deleted."))
