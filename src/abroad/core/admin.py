from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from abroad.core import audit
from abroad.core.models import AuditEvent, OutboxMessage


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    list_display = ("created_at", "actor_name", "action", "object_type", "object_repr")
    list_filter = ("action", "object_type")
    search_fields = ("object_repr", "action", "object_id", "actor_name")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedModelAdmin(admin.ModelAdmin[Any]):
    """A ModelAdmin whose saves and deletes write to the audit log, like every service does."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        label = obj._meta.model_name
        audit.record(
            actor=request.user,
            action=f"{label}.changed" if change else f"{label}.created",
            obj=obj,
            fields=sorted(form.changed_data),
            via="admin",
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit.record(
            actor=request.user, action=f"{obj._meta.model_name}.deleted", obj=obj, via="admin"
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            audit.record(
                actor=request.user, action=f"{obj._meta.model_name}.deleted", obj=obj, via="admin"
            )
        super().delete_queryset(request, queryset)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin[OutboxMessage]):
    """The outbox, read-only: the worker writes it (abroad.core.mail)."""

    list_display = ("created_at", "subject", "language", "state", "attempts", "sent_at")
    list_filter = ("state", "language")
    search_fields = ("subject", "template", "recipients")
    date_hierarchy = "created_at"
    exclude = ("context",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
