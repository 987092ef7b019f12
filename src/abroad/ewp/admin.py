"""EWP in the admin: what OMobilities v3 requires of a nominee and abroad keeps nowhere else
(date of birth, nationality, gender), entered by the office (who may exchange EWP documents:
``ewp.exchange``) until an identity provider brings it."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from abroad.core.admin import AuditedModelAdmin
from abroad.core.permissions import can
from abroad.ewp.models import NomineeDetails


@admin.register(NomineeDetails)
class NomineeDetailsAdmin(AuditedModelAdmin):
    list_display = ("student", "birth_date", "nationality", "gender")
    search_fields = ("student__last_name", "student__student_number")
    autocomplete_fields = ("student",)
    list_select_related = ("student",)

    def _office(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and can(request.user, "ewp.exchange"))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._office(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._office(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._office(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._office(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._office(request)
