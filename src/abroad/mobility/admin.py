"""The mobility in the admin: the office reads everything here; writes go through the pages
(and their services), which check the rules and write the audit log."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from abroad.core.admin import AuditedModelAdmin
from abroad.mobility.models import (
    Component,
    Document,
    ExtensionRequest,
    LearningAgreement,
    Mobility,
)
from abroad.mobility.queries import office_mobilities_q


@admin.register(Mobility)
class MobilityAdmin(AuditedModelAdmin):
    list_display = ("student", "host", "academic_year", "kind", "state", "months", "origin")
    list_filter = ("state", "kind", "academic_year")
    search_fields = ("student__last_name", "student__student_number", "host__name")
    autocomplete_fields = ("student", "host")
    raw_id_fields = ("offer",)
    list_select_related = ("student", "host")

    def get_queryset(self, request: HttpRequest) -> Any:
        # a School-scoped office user reads their School's mobilities only
        return super().get_queryset(request).filter(office_mobilities_q(request.user, ""))


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Versions, documents and requests are records: they change only through the services."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ComponentInline(admin.TabularInline[Component, LearningAgreement]):
    model = Component
    fields = ("table", "position", "code", "title", "term", "ects", "is_thesis", "status")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LearningAgreement)
class LearningAgreementAdmin(ReadOnlyAdmin):
    list_display = ("mobility", "number", "stage", "state", "student_signed_at", "host_signed_at")
    list_filter = ("state", "stage")
    search_fields = ("mobility__student__last_name", "mobility__student__student_number")
    list_select_related = ("mobility__student", "mobility__host")
    inlines = (ComponentInline,)

    def get_queryset(self, request: HttpRequest) -> Any:
        # a School-scoped office user reads their School's mobilities only
        return super().get_queryset(request).filter(office_mobilities_q(request.user, "mobility__"))


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ("mobility", "kind", "original_name", "size", "uploaded_at", "replaced_at")
    list_filter = ("kind",)
    search_fields = ("mobility__student__last_name", "original_name")
    list_select_related = ("mobility__student", "mobility__host")

    def get_queryset(self, request: HttpRequest) -> Any:
        # a School-scoped office user reads their School's mobilities only
        return super().get_queryset(request).filter(office_mobilities_q(request.user, "mobility__"))


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ReadOnlyAdmin):
    list_display = ("mobility", "state", "current_end", "requested_end", "decided_at")
    list_filter = ("state",)
    search_fields = ("mobility__student__last_name", "mobility__student__student_number")
    list_select_related = ("mobility__student", "mobility__host")

    def get_queryset(self, request: HttpRequest) -> Any:
        # a School-scoped office user reads their School's mobilities only
        return super().get_queryset(request).filter(office_mobilities_q(request.user, "mobility__"))
