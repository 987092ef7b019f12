"""ATHENS sessions with their courses, the students' applications with ranked course choices,
the allocation each application got and the participation it became; double-degree plans.

The Alliance4Tech certificate has no model: it is computed from the student's mobilities (see
``certificate.py`` and ``services.certificate_stays``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from abroad.catalogue.models import Institution, Network
from abroad.core.academic_year import format_year
from abroad.core.enums import ISCED_CHOICES, Language, isced_name
from abroad.matching.window import Window, WindowState
from abroad.mobility.models import Mobility
from abroad.networks.enums import (
    AllocationState,
    ApplicationState,
    PlanState,
    ResultsState,
    Season,
)

# ------------------------------------------------------------------------------- ATHENS

RESERVED_CODES = {"new", "participations"}  # words of the office's addresses


def validate_session_code(value: str) -> None:
    if value.lower() in RESERVED_CODES:
        raise ValidationError(
            _("“%(code)s” names one of the office's pages: choose another code.") % {"code": value}
        )


class AthensSession(models.Model):
    """One ATHENS week (March or November of a year): its dates, the instants applications
    open and close (enforced on the server, to the second), how many courses a student may
    rank, who may apply, and where its allocation stands."""

    code = models.SlugField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("e.g. 2027-03."),
        validators=[validate_session_code],
    )
    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.PROTECT, related_name="sessions"
    )
    season = models.CharField(_("season"), max_length=10, choices=Season.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    applications_open_at = models.DateTimeField(_("applications open"))
    applications_close_at = models.DateTimeField(_("applications close"))
    max_choices = models.PositiveSmallIntegerField(
        _("maximum courses ranked"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    require_first_year_completed = models.BooleanField(_("first year completed"), default=True)
    min_credits = models.PositiveSmallIntegerField(
        _("minimum credits"), default=0, help_text=_("Credits earned at both levels together.")
    )
    results_state = models.CharField(
        _("allocation"),
        max_length=10,
        choices=ResultsState.choices,
        default=ResultsState.NOT_RUN,
    )
    allocated_at = models.DateTimeField(_("last allocated"), null=True, blank=True)
    published_at = models.DateTimeField(_("results published"), null=True, blank=True)
    acceptance_deadline = models.DateTimeField(_("accept by"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("ATHENS session")
        verbose_name_plural = _("ATHENS sessions")
        ordering = ("-starts_on",)
        constraints = [
            models.UniqueConstraint(
                fields=("network", "season", "year"), name="networks_one_session_per_season"
            ),
            models.CheckConstraint(
                condition=models.Q(applications_close_at__gt=models.F("applications_open_at")),
                name="networks_session_closes_after_opening",
                violation_error_message=_("Applications must close after they open."),
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="networks_session_ends_after_start",
                violation_error_message=_("A session cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network.name} {self.get_season_display()} {self.year}"

    def get_absolute_url(self) -> str:
        return reverse("networks:session", kwargs={"code": self.code})

    @property
    def academic_year(self) -> int:
        """The start year of the academic year the session falls in (March 2027: 2026)."""
        return self.year - 1 if self.season == Season.MARCH else self.year

    @property
    def academic_year_display(self) -> str:
        return format_year(self.academic_year)

    @property
    def window(self) -> Window:
        """Applications are taken from ``applications_open_at`` included to
        ``applications_close_at`` excluded."""
        return Window(self.applications_open_at, self.applications_close_at)

    def state_at(self, now: dt.datetime | None = None) -> WindowState:
        return self.window.state_at(now)

    def is_open(self, now: dt.datetime | None = None) -> bool:
        return self.window.is_open(now)


class AthensCourse(models.Model):
    """A course a member institution offers in one session, with its places."""

    session = models.ForeignKey(
        AthensSession, verbose_name=_("session"), on_delete=models.CASCADE, related_name="courses"
    )
    code = models.CharField(_("code"), max_length=20, help_text=_("The network's course code."))
    host = models.ForeignKey(
        Institution,
        verbose_name=_("host institution"),
        on_delete=models.PROTECT,
        related_name="athens_courses",
    )
    title = models.CharField(_("title"), max_length=250)
    isced_code = models.CharField(
        _("field (ISCED-F)"), max_length=4, choices=ISCED_CHOICES, blank=True
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.EN
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    capacity = models.PositiveSmallIntegerField(
        _("places for our students"), validators=[MinValueValidator(1)]
    )
    prerequisites = models.TextField(_("prerequisites"), blank=True)
    description = models.TextField(_("description"), blank=True)
    cultural_programme = models.TextField(_("cultural programme"), blank=True)
    fee = models.DecimalField(
        _("fee (EUR)"), max_digits=7, decimal_places=2, default=Decimal(0), blank=True
    )

    class Meta:
        verbose_name = _("ATHENS course")
        verbose_name_plural = _("ATHENS courses")
        ordering = ("session", "code")
        constraints = [
            models.UniqueConstraint(fields=("session", "code"), name="networks_course_code_once")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def field_name(self) -> str:
        return isced_name(self.isced_code) if self.isced_code else ""


class AthensApplication(models.Model):
    """A student's application to one session: ranked courses and a motivation. The office's
    ranking freezes its score and position."""

    session = models.ForeignKey(
        AthensSession,
        verbose_name=_("session"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("student"),
        on_delete=models.PROTECT,
        related_name="athens_applications",
    )
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=ApplicationState.choices,
        default=ApplicationState.DRAFT,
        db_index=True,
    )
    motivation = models.TextField(_("motivation"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    score = models.DecimalField(
        _("merit score"), max_digits=7, decimal_places=3, null=True, blank=True
    )
    score_details = models.JSONField(_("how the score was computed"), default=dict, blank=True)
    rank = models.PositiveIntegerField(_("position in the ranking"), null=True, blank=True)
    eligible = models.BooleanField(_("eligible"), null=True, blank=True)
    eligibility_notes = models.JSONField(_("why not eligible"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("ATHENS application")
        verbose_name_plural = _("ATHENS applications")
        ordering = ("session", "rank", "id")
        constraints = [
            models.UniqueConstraint(
                fields=("session", "student"), name="networks_one_application_per_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.student} – {self.session}"


class AthensChoice(models.Model):
    """One course of an application, at its rank (1 is the favourite)."""

    application = models.ForeignKey(
        AthensApplication, on_delete=models.CASCADE, related_name="choices"
    )
    rank = models.PositiveSmallIntegerField(_("rank"))
    course = models.ForeignKey(AthensCourse, on_delete=models.PROTECT, related_name="choices")

    class Meta:
        verbose_name = _("course choice")
        verbose_name_plural = _("course choices")
        ordering = ("application", "rank")
        constraints = [
            models.UniqueConstraint(fields=("application", "rank"), name="networks_rank_once"),
            models.UniqueConstraint(
                fields=("application", "course"), name="networks_course_chosen_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.course}"


class AthensAllocation(models.Model):
    """What the allocation gave one application: a course (or none) and why, then the
    student's answer. One per application, so one course per student per session."""

    application = models.OneToOneField(
        AthensApplication, on_delete=models.CASCADE, related_name="allocation"
    )
    course = models.ForeignKey(
        AthensCourse,
        verbose_name=_("course"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocations",
    )
    choice = models.PositiveSmallIntegerField(_("choice number"), null=True, blank=True)
    explanation = models.JSONField(_("explanation"), default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=AllocationState.choices, db_index=True
    )
    decided_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("ATHENS allocation")
        verbose_name_plural = _("ATHENS allocations")

    def __str__(self) -> str:
        return f"{self.application}: {self.course or '-'} ({self.state})"


class Participation(models.Model):
    """The nomination of a student who accepted a course, and the outcome the office records
    for recognition: the ECTS earned and whether the course was passed."""

    allocation = models.OneToOneField(
        AthensAllocation, on_delete=models.CASCADE, related_name="participation"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("student"),
        on_delete=models.PROTECT,
        related_name="athens_participations",
    )
    course = models.ForeignKey(
        AthensCourse,
        verbose_name=_("course"),
        on_delete=models.PROTECT,
        related_name="participations",
    )
    mobility = models.ForeignKey(
        Mobility,
        verbose_name=_("mobility"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The short mobility made for it, when the host has an ATHENS agreement."),
    )
    nominated_at = models.DateTimeField(_("nominated"), default=timezone.now)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    ects_earned = models.DecimalField(
        _("ECTS earned"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(30))],
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), null=True, blank=True)

    class Meta:
        verbose_name = _("ATHENS participation")
        verbose_name_plural = _("ATHENS participations")
        ordering = ("course", "student__last_name")

    def __str__(self) -> str:
        return f"{self.student} – {self.course}"


# ------------------------------------------------------------------------ double degrees


class DoubleDegreePlan(models.Model):
    """The plan of a double-degree mobility: credits at the partner and recognised at home,
    the thesis at both institutions, the mobility unit, and the study plan the promoter
    approves (see ``double_degree.py`` for the rules it must meet)."""

    mobility = models.OneToOneField(
        Mobility,
        verbose_name=_("mobility"),
        on_delete=models.CASCADE,
        related_name="double_degree_plan",
    )
    network = models.ForeignKey(
        Network,
        verbose_name=_("network"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("T.I.M.E., or empty for a bilateral double degree."),
    )
    credits_at_partner = models.PositiveSmallIntegerField(_("credits earned at the partner"))
    credits_recognised_at_home = models.PositiveSmallIntegerField(_("credits recognised at home"))
    thesis_at_home = models.BooleanField(_("thesis discussed at home"), default=False)
    thesis_at_home_on = models.DateField(_("home discussion"), null=True, blank=True)
    thesis_at_partner = models.BooleanField(_("thesis discussed at the partner"), default=False)
    thesis_at_partner_on = models.DateField(_("discussion at the partner"), null=True, blank=True)
    mobility_unit_months = models.PositiveSmallIntegerField(_("mobility unit (months)"), default=12)
    study_plan = models.TextField(_("study plan"), blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=PlanState.choices, default=PlanState.DRAFT
    )
    comment = models.TextField(_("promoter's comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("double-degree plan")
        verbose_name_plural = _("double-degree plans")

    def __str__(self) -> str:
        return str(self.mobility)

    def get_absolute_url(self) -> str:
        return reverse("networks:plan", kwargs={"mobility": self.mobility_id})
