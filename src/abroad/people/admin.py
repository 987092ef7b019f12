from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from abroad.core.admin import AuditedModelAdmin
from abroad.people.models import LanguageCertificate, PassedCourse, StudentCareer, User


@admin.register(User)
class UserAdmin(AuditedModelAdmin, BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "email", "role", "course_of_study")
    list_filter = ("role", "is_staff", "course_of_study__school")
    search_fields = ("username", "first_name", "last_name", "email", "student_number")
    autocomplete_fields = ("course_of_study",)
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("Mobility"), {"fields": ("role", "student_number", "course_of_study")}),
    )


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
