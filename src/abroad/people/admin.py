from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from abroad.core.admin import AuditedModelAdmin
from abroad.core.permissions import can
from abroad.people.models import (
    LanguageCertificate,
    OnBehalfDecision,
    PassedCourse,
    StudentCareer,
    Substitution,
    User,
)
from abroad.people.rules import MANAGED_ROLES, office_scope, office_scope_q


def accounts_in_scope(user: Any, prefix: str = "") -> Q:
    """The accounts a School-scoped office user looks after (its School's students, by their
    course of study, and promoters, by their School; ``people.rules.is_account_in_scope``),
    reached through ``prefix`` (e.g. ``"student__"``); everybody for anybody else."""
    if office_scope(user) is None:
        return Q()
    return office_scope_q(user, f"{prefix}course_of_study__school") | office_scope_q(
        user, f"{prefix}promoter__school"
    )


# What only a superuser changes on an account (and the password, changed through its own view).
PRIVILEGED_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions", "password")


@admin.register(User)
class UserAdmin(AuditedModelAdmin, BaseUserAdmin):
    """Accounts. The office changes students' and promoters' accounts (names, e-mail, role
    between student and promoter, course, active) and nothing else; administrators any account
    but a superuser's, and passwords; only superusers privileges (people/rules.py). The office
    scope (``office_school``) is set by administrators only; a School-scoped office user
    changes the accounts of their School's students and promoters only."""

    list_display = ("username", "first_name", "last_name", "email", "role", "course_of_study")
    list_filter = ("role", "is_staff", "course_of_study__school", "office_school")
    search_fields = (
        "username",
        "first_name",
        "last_name",
        "email",
        "student_number",
        "fiscal_code",
    )
    autocomplete_fields = ("course_of_study", "office_school")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (
            _("Mobility"),
            {
                "fields": (
                    "role",
                    "student_number",
                    "fiscal_code",
                    "course_of_study",
                    "office_school",
                )
            },
        ),
    )
    limited_fieldsets = (
        (None, {"fields": ("username",)}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (
            _("Mobility"),
            {
                "fields": (
                    "role",
                    "student_number",
                    "fiscal_code",
                    "course_of_study",
                    "office_school",
                )
            },
        ),
        (_("Status"), {"fields": ("is_active", "last_login", "date_joined")}),
    )

    def get_queryset(self, request: HttpRequest) -> Any:
        # a School-scoped office user lists its School's people (and itself) only
        user = request.user
        found = super().get_queryset(request)
        if office_scope(user) is None:
            return found
        return found.filter(accounts_in_scope(user) | Q(pk=user.pk))

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
        if not can(request.user, "people.give_staff_roles"):
            # an office user never sets anybody's office scope (nor widens their own)
            return ("last_login", "date_joined", "office_school")
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

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).filter(accounts_in_scope(request.user, "student__"))

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

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).filter(accounts_in_scope(request.user, "student__"))


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

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).filter(accounts_in_scope(request.user, "student__"))

    @admin.display(description=_("student number"), ordering="student__student_number")
    def student_number(self, passed: PassedCourse) -> str:
        return passed.student.student_number


@admin.register(Substitution)
class SubstitutionAdmin(AuditedModelAdmin):
    """A promoter's substitute for a period (the promoter names one on their desk; the office
    may set one here). The model's rule refuses a non-promoter and a backwards period."""

    list_display = ("promoter", "substitute", "starts_on", "ends_on", "created_by")
    list_filter = ("starts_on",)
    search_fields = (
        "promoter__username",
        "promoter__last_name",
        "substitute__username",
        "substitute__last_name",
    )
    list_select_related = ("promoter", "substitute", "created_by")
    raw_id_fields = ("promoter", "substitute")
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(OnBehalfDecision)
class OnBehalfDecisionAdmin(admin.ModelAdmin[OnBehalfDecision]):
    """The decisions substitutes took, with both names: read only."""

    list_display = ("decided_at", "substitute", "promoter", "action", "object_type", "object_id")
    list_filter = ("action",)
    list_select_related = ("substitute", "promoter")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
