from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from abroad.core.admin import AuditedModelAdmin
from abroad.core.permissions import can
from abroad.people.models import LanguageCertificate, PassedCourse, StudentCareer, User
from abroad.people.rules import MANAGED_ROLES

# What only a superuser changes on an account (and the password, changed through its own view).
PRIVILEGED_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions", "password")


@admin.register(User)
class UserAdmin(AuditedModelAdmin, BaseUserAdmin):
    """Accounts. The office changes students' and promoters' accounts (names, e-mail, role
    between student and promoter, course, active) and nothing else; administrators any account
    but a superuser's, and passwords; only superusers privileges (people/rules.py)."""

    list_display = ("username", "first_name", "last_name", "email", "role", "course_of_study")
    list_filter = ("role", "is_staff", "course_of_study__school")
    search_fields = (
        "username",
        "first_name",
        "last_name",
        "email",
        "student_number",
        "fiscal_code",
    )
    autocomplete_fields = ("course_of_study",)
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("Mobility"), {"fields": ("role", "student_number", "fiscal_code", "course_of_study")}),
    )
    limited_fieldsets = (
        (None, {"fields": ("username",)}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Mobility"), {"fields": ("role", "student_number", "fiscal_code", "course_of_study")}),
        (_("Status"), {"fields": ("is_active", "last_login", "date_joined")}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None or can(request.user, "people.change_privileges"):
            return super().get_fieldsets(request, obj)
        return self.limited_fieldsets

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and not can(request.user, "people.change_privileges"):
            # declared on Django's change form (read-only, with a link to the password view)
            form.base_fields.pop("password", None)
        return form

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if can(request.user, "people.change_privileges"):
            return super().get_readonly_fields(request, obj)
        return ("last_login", "date_joined")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, "people.change_user", obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, "people.delete_user", obj)

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "role" and not can(request.user, "people.give_staff_roles"):
            kwargs["choices"] = [(role.value, role.label) for role in MANAGED_ROLES]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        target = self.get_object(request, unquote(id))
        if target is None or not can(request.user, "people.set_password", target):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


@admin.register(StudentCareer)
class StudentCareerAdmin(AuditedModelAdmin):
    """What the registrar sent (python -m abroad import-careers); corrections are audited."""

    list_display = (
        "student",
        "student_number",
        "first_enrolment_year",
        "credits_bachelor",
        "credits_master",
        "average_bachelor",
        "average_master",
        "first_year_completed",
        "previous_exchanges",
        "months_used",
        "updated_at",
    )
    list_filter = ("first_year_completed", "first_enrolment_year", "previous_exchanges")
    search_fields = (
        "student__username",
        "student__first_name",
        "student__last_name",
        "student__student_number",
    )
    list_select_related = ("student",)
    raw_id_fields = ("student",)
    readonly_fields = ("updated_at",)

    @admin.display(description=_("student number"), ordering="student__student_number")
    def student_number(self, career: StudentCareer) -> str:
        return career.student.student_number


@admin.register(LanguageCertificate)
class LanguageCertificateAdmin(AuditedModelAdmin):
    list_display = ("student", "language", "level", "name", "issued_on")
    list_filter = ("language", "level")
    search_fields = (
        "student__username",
        "student__first_name",
        "student__last_name",
        "student__student_number",
        "name",
    )
    list_select_related = ("student",)
    raw_id_fields = ("student",)


@admin.register(PassedCourse)
class PassedCourseAdmin(AuditedModelAdmin):
    """What the registrar sent (python -m abroad import-passed-courses); corrections are
    audited."""

    list_display = ("student", "student_number", "code", "title", "credits", "grade", "passed_on")
    search_fields = (
        "student__username",
        "student__first_name",
        "student__last_name",
        "student__student_number",
        "code",
        "title",
    )
    list_select_related = ("student",)
    raw_id_fields = ("student",)

    @admin.display(description=_("student number"), ordering="student__student_number")
    def student_number(self, passed: PassedCourse) -> str:
        return passed.student.student_number
