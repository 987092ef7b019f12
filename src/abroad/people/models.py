"""People: the user account with its role, and what we know of a student."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from abroad.people.enums import Role


class User(AbstractUser):
    """A person who logs in. Local accounts for now; SSO backends create the same users."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.STUDENT)
    student_number = models.CharField(
        _("student number (matricola)"), max_length=20, blank=True, db_index=True
    )
    course_of_study = models.ForeignKey(
        "catalogue.CourseOfStudy",
        verbose_name=_("course of study"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="students",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=("student_number",),
                condition=~models.Q(student_number=""),
                name="people_user_unique_student_number",
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The office works in the admin: its role is what lets it in.
        if self.role in (Role.OFFICE, Role.ADMIN):
            self.is_staff = True
        super().save(*args, **kwargs)

    @property
    def is_student(self) -> bool:
        return self.role == Role.STUDENT

    @property
    def is_promoter(self) -> bool:
        return self.role == Role.PROMOTER

    @property
    def is_office(self) -> bool:
        return self.role in (Role.OFFICE, Role.ADMIN) or self.is_superuser
