from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from abroad.core.admin import AuditedModelAdmin
from abroad.people.models import User


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
