"""The office's grant data in the admin: the rate tables (their amounts come from a
spreadsheet: ``grants import-rates``; read here) and each mobility's grant details."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from abroad.grants import services
from abroad.grants.models import GrantCase, Rate, RateTable


class RateInline(admin.TabularInline[Rate, RateTable]):
    model = Rate
    fields = ("key", "group", "country", "low", "high", "amount", "green_amount")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RateTable)
class RateTableAdmin(admin.ModelAdmin[RateTable]):
    list_display = ("__str__", "source", "updated_at")
    fields = ("academic_year", "source", "note", "instalments")
    inlines = (RateInline,)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("academic_year",) if obj is not None else ()


@admin.register(GrantCase)
class GrantCaseAdmin(admin.ModelAdmin[GrantCase]):
    list_display = (
        "mobility",
        "fewer_opportunities",
        "green_travel",
        "zero_grant",
        "amount",
        "updated_at",
    )
    readonly_fields = ("amount", "computed_at")
    list_filter = ("fewer_opportunities", "green_travel", "zero_grant", "traineeship")
    search_fields = ("mobility__student__username", "mobility__student__last_name")
    autocomplete_fields = ("mobility",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # a case stays with its mobility: its history is the mobility's
        return ("mobility", "amount", "computed_at") if obj is not None else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Never deleted (that would leave no trace): the details are set back instead."""
        return False

    def save_model(self, request: HttpRequest, obj: GrantCase, form: Any, change: bool) -> None:
        """Through the service: each detail changed is in the audit log, and the grant is
        computed again."""
        services.save_case(actor=request.user, case=obj)
