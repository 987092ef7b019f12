"""People: the user account with its role, and what we know of a student."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from abroad.core.enums import CEFR, Language
from abroad.people.enums import Digest, Role


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
    # The language of the e-mails this person receives (blank: the site's); set from the
    # browser's at the first log-in, changed on /accounts/preferences/.
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True, default=""
    )
    # A promoter's e-mail of what waits on their desk (abroad.site.digest).
    digest = models.CharField(
        _("digest of the desk"), max_length=10, choices=Digest.choices, default=Digest.DAILY
    )
    office_school = models.ForeignKey(
        "catalogue.School",
        verbose_name=_("office scope (School)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="office_users",
        help_text=_(
            "For an office user: the School whose calls, mobilities and recognitions they see "
            "and act on (with its sections and the School it is a section of). Empty: the "
            "whole university. Administrators are never limited."
        ),
    )
    # The Italian fiscal code (codice fiscale), as the student records hold it: what SPID and
    # CIE vouch for (fiscalNumber, "TINIT-<code>"), the link to the account at the first log-in.
    fiscal_code = models.CharField(
        _("fiscal code (codice fiscale)"), max_length=16, blank=True, db_index=True
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=("student_number",),
                condition=~models.Q(student_number=""),
                name="people_user_unique_student_number",
            ),
            models.UniqueConstraint(
                fields=("fiscal_code",),
                condition=~models.Q(fiscal_code=""),
                name="people_user_unique_fiscal_code",
            ),
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

    @property
    def course_level(self) -> str | None:
        """The degree level of the student's course of study (``DegreeLevel``), or None when
        the course is not known."""
        course = self.course_of_study
        return course.level if course is not None else None


class StudentCareer(models.Model):
    """What the registrar knows of a student's career, as ranking and eligibility need it.
    Imported from the registrar (CSV/XLSX); one row per student."""

    student = models.OneToOneField(
        User, verbose_name=_("student"), on_delete=models.CASCADE, related_name="career"
    )
    first_enrolment_year = models.PositiveSmallIntegerField(
        _("first enrolment (academic year start)"),
        help_text=_("The year of the first enrolment at university: 2023 for 2023/2024."),
    )
    credits_bachelor = models.PositiveSmallIntegerField(_("credits earned, first level"), default=0)
    credits_master = models.PositiveSmallIntegerField(_("credits earned, second level"), default=0)
    average_bachelor = models.DecimalField(
        _("credit-weighted average, first level"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(18)), MaxValueValidator(Decimal(30))],
    )
    average_master = models.DecimalField(
        _("credit-weighted average, second level"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(18)), MaxValueValidator(Decimal(30))],
    )
    first_year_completed = models.BooleanField(_("first year completed"), default=False)
    previous_exchanges = models.PositiveSmallIntegerField(_("previous exchanges"), default=0)
    months_used = models.PositiveSmallIntegerField(
        _("mobility months used in this study cycle"), default=0
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("student career")
        verbose_name_plural = _("student careers")

    def __str__(self) -> str:
        return str(self.student)

    @property
    def total_credits(self) -> int:
        return self.credits_bachelor + self.credits_master

    @property
    def weighted_average(self) -> Decimal | None:
        """The credit-weighted average over both levels (M in the engineering formula)."""
        parts = [
            (self.average_bachelor, self.credits_bachelor),
            (self.average_master, self.credits_master),
        ]
        weighted = [(average, credits) for average, credits in parts if average and credits]
        total = sum(credits for _, credits in weighted)
        if not total:
            return None
        return sum((average * credits for average, credits in weighted), Decimal(0)) / total


class LanguageCertificate(models.Model):
    """A student's certified level in a language (CEFR)."""

    student = models.ForeignKey(
        User, verbose_name=_("student"), on_delete=models.CASCADE, related_name="certificates"
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    level = models.CharField(_("level"), max_length=2, choices=CEFR.choices)
    name = models.CharField(_("certificate"), max_length=120, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)

    class Meta:
        verbose_name = _("language certificate")
        verbose_name_plural = _("language certificates")
        ordering = ("language", "-level")

    def __str__(self) -> str:
        return f"{self.get_language_display()} {self.level}"


class PassedCourse(models.Model):
    """An exam the student has already passed at home (from the registrar): a learning
    agreement may not recognise it again."""

    student = models.ForeignKey(
        User, verbose_name=_("student"), on_delete=models.CASCADE, related_name="passed_courses"
    )
    code = models.CharField(_("code"), max_length=40)
    title = models.CharField(_("title"), max_length=250)
    credits = models.DecimalField(_("credits"), max_digits=4, decimal_places=1)
    grade = models.CharField(_("grade"), max_length=8, blank=True)
    passed_on = models.DateField(_("passed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("passed course")
        verbose_name_plural = _("passed courses")
        ordering = ("student", "code")
        constraints = [
            models.UniqueConstraint(fields=("student", "code"), name="people_passed_once")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Substitution(models.Model):
    """A promoter names another promoter to stand in for them from one day to another (an
    absence): in that period the substitute sees the promoter's desk and decides as the
    promoter could (learning agreements, changes, extensions, recognitions, double-degree
    plans); each such decision records both names (:class:`OnBehalfDecision`)."""

    promoter = models.ForeignKey(
        User,
        verbose_name=_("promoter"),
        on_delete=models.CASCADE,
        related_name="substitutions_given",
    )
    substitute = models.ForeignKey(
        User,
        verbose_name=_("substitute"),
        on_delete=models.CASCADE,
        related_name="substitutions_taken",
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), help_text=_("The last day, included."))
    created_by = models.ForeignKey(
        User,
        verbose_name=_("named by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("named"), auto_now_add=True)

    class Meta:
        verbose_name = _("substitution")
        verbose_name_plural = _("substitutions")
        ordering = ("-starts_on", "pk")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_on__lte=models.F("ends_on")),
                name="people_substitution_starts_before_it_ends",
            ),
            models.CheckConstraint(
                condition=~models.Q(promoter=models.F("substitute")),
                name="people_substitution_not_oneself",
            ),
        ]

    def __str__(self) -> str:
        return _("%(substitute)s for %(promoter)s, %(start)s – %(end)s") % {
            "substitute": self.substitute,
            "promoter": self.promoter,
            "start": self.starts_on.isoformat(),
            "end": self.ends_on.isoformat(),
        }

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from abroad.people.substitutes import substitution_problems

        problems = substitution_problems(
            promoter=getattr(self, "promoter", None),
            substitute=getattr(self, "substitute", None),
            starts_on=self.starts_on,
            ends_on=self.ends_on,
        )
        if problems:
            raise ValidationError(problems)


class OnBehalfDecision(models.Model):
    """A decision a substitute took for a promoter: who acted and on whose behalf, beside the
    decided object (its type and key, as the audit log names objects)."""

    substitute = models.ForeignKey(
        User, verbose_name=_("decided by"), on_delete=models.PROTECT, related_name="+"
    )
    promoter = models.ForeignKey(
        User, verbose_name=_("on behalf of"), on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=80)
    object_type = models.CharField(_("object type"), max_length=80)
    object_id = models.CharField(_("object id"), max_length=64)
    decided_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("decision on behalf of a promoter")
        verbose_name_plural = _("decisions on behalf of promoters")
        ordering = ("decided_at", "pk")
        indexes = [models.Index(fields=("object_type", "object_id"))]

    def __str__(self) -> str:
        return _("%(substitute)s on behalf of %(promoter)s") % {
            "substitute": self.substitute,
            "promoter": self.promoter,
        }
