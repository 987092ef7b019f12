"""Calls for applications (bandi), applications with ranked preferences, the seats each call
offers, allocation rounds and the assignments they make."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from abroad.catalogue.enums import MobilityType, Programme
from abroad.catalogue.models import Offer, School
from abroad.core import cycles
from abroad.core.academic_year import format_year
from abroad.matching.window import Window, WindowState
from abroad.selection.enums import ApplicationState, AssignmentState, RankingFormula, RoundState

RESERVED_CODES = ("office", "new")


def validate_call_code(value: str) -> None:
    if value.lower() in RESERVED_CODES:
        raise ValidationError(
            _("'%(code)s' is reserved for the office's pages: choose another code.")
            % {"code": value.lower()}
        )


# A semester call's offers come from the exchange programmes: an ATHENS week (a network
# programme) or a double degree (24 months) belongs to a call only when the call says so.
EXCHANGE_PROGRAMMES = (Programme.ERASMUS.value, Programme.BILATERAL.value)


def exchange_programmes() -> list[str]:
    """The default programmes of a call: Erasmus+ and the bilateral agreements."""
    return list(EXCHANGE_PROGRAMMES)


def every_mobility_type() -> list[str]:
    """The default mobility types of a call: study, thesis, study and/or thesis."""
    return [choice.value for choice in MobilityType]


class Call(models.Model):
    """One edition of the call for applications: a group of Schools, an academic year, first
    or second call, with its deadline, eligibility rules and ranking formula."""

    code = models.SlugField(_("code"), max_length=40, unique=True, validators=[validate_call_code])
    title = models.CharField(_("title"), max_length=200)
    schools = models.ManyToManyField(
        School,
        verbose_name=_("Schools"),
        related_name="calls",
        help_text=_("The edition: e.g. engineering = ICAT, 3I and AUIC-ENG."),
    )
    academic_year = models.PositiveSmallIntegerField(
        _("academic year of the mobility"), help_text=_("2027 for 2027/2028.")
    )
    number = models.PositiveSmallIntegerField(
        _("call"), choices=[(1, _("First call")), (2, _("Second call"))], default=1
    )
    opens_at = models.DateTimeField(_("applications open"))
    closes_at = models.DateTimeField(_("applications close"))
    max_preferences = models.PositiveSmallIntegerField(
        _("maximum preferences"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    levels = models.JSONField(
        _("degree levels admitted"),
        default=list,
        blank=True,
        help_text=_("Empty: every level. Otherwise a list of BSc, MSc, SC, PhD."),
    )
    require_first_year_completed = models.BooleanField(_("first year completed"), default=True)
    min_credits = models.PositiveSmallIntegerField(_("minimum credits"), default=0)
    min_average = models.DecimalField(
        _("minimum average"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    months_per_cycle = models.PositiveSmallIntegerField(
        _("months of mobility per study cycle"), default=cycles.MONTHS_PER_CYCLE
    )
    months_single_cycle = models.PositiveSmallIntegerField(
        _("months of mobility, single-cycle degrees"), default=cycles.MONTHS_SINGLE_CYCLE
    )
    programmes = models.JSONField(
        _("programmes"),
        default=exchange_programmes,
        help_text=_(
            "The programmes whose offers the call may include: e.g. erasmus, bilateral "
            "(a semester call), double_degree, network."
        ),
    )
    mobility_types = models.JSONField(
        _("mobility types"),
        default=every_mobility_type,
        help_text=_(
            "The mobility types whose offers the call may include: study, thesis, study_thesis."
        ),
    )
    formula = models.CharField(
        _("ranking formula"),
        max_length=16,
        choices=RankingFormula.choices,
        default=RankingFormula.ENGINEERING,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ("-academic_year", "number", "code")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="selection_call_closes_after_opening",
                violation_error_message=_("A call must close after it opens."),
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("selection:call", kwargs={"code": self.code})

    @property
    def year_display(self) -> str:
        return format_year(self.academic_year)

    @property
    def window(self) -> Window:
        """Applications are taken from ``opens_at`` included to ``closes_at`` excluded."""
        return Window(self.opens_at, self.closes_at)

    def state_at(self, now: dt.datetime | None = None) -> WindowState:
        return self.window.state_at(now)

    def is_open(self, now: dt.datetime | None = None) -> bool:
        return self.window.is_open(now)

    @property
    def programme_labels(self) -> str:
        """The programmes the call is for, as people read them."""
        names = dict(Programme.choices)
        return ", ".join(str(names.get(value, value)) for value in self.programmes)

    @property
    def mobility_type_labels(self) -> str:
        names = dict(MobilityType.choices)
        return ", ".join(str(names.get(value, value)) for value in self.mobility_types)

    def admits_level(self, level: str) -> bool:
        return not self.levels or level in self.levels

    def months_limit(self, level: str | None) -> int:
        """The months this call allows in a study cycle of ``level`` (core/cycles.py)."""
        return cycles.months_limit(
            level, per_cycle=self.months_per_cycle, single_cycle=self.months_single_cycle
        )


class CallOffer(models.Model):
    """An offer as it stands in one call, with the seats that call allocates. Seats are counted
    (and locked) here, so two calls of the same year share an offer's seats explicitly."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="call_offers")
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="call_offers")
    seats = models.PositiveSmallIntegerField(_("seats in this call"))

    class Meta:
        verbose_name = _("offer in a call")
        verbose_name_plural = _("offers in a call")
        constraints = [
            models.UniqueConstraint(fields=("call", "offer"), name="selection_offer_once_per_call")
        ]

    def __str__(self) -> str:
        return f"{self.offer} ({self.seats})"


class Application(models.Model):
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="applications")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    state = models.CharField(
        _("state"),
        max_length=12,
        choices=ApplicationState.choices,
        default=ApplicationState.DRAFT,
        db_index=True,
    )
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
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ("call", "rank", "id")
        constraints = [
            models.UniqueConstraint(fields=("call", "student"), name="selection_one_application")
        ]

    def __str__(self) -> str:
        return f"{self.student} – {self.call}"


class Preference(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="preferences"
    )
    rank = models.PositiveSmallIntegerField(_("rank"))
    call_offer = models.ForeignKey(CallOffer, on_delete=models.PROTECT, related_name="preferences")

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")
        ordering = ("application", "rank")
        constraints = [
            models.UniqueConstraint(fields=("application", "rank"), name="selection_rank_once"),
            models.UniqueConstraint(
                fields=("application", "call_offer"), name="selection_offer_chosen_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.call_offer.offer}"


class CommissionScore(models.Model):
    """The commission's marks for Design and Architecture calls."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="commission_score"
    )
    portfolio = models.DecimalField(
        _("portfolio (0-10)"),
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(10))],
    )
    languages_motivation_cv = models.DecimalField(
        _("languages, motivation, CV (0-10)"),
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(10))],
    )
    interview = models.DecimalField(
        _("interview (0-10)"),
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(10))],
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("commission score")
        verbose_name_plural = _("commission scores")

    def __str__(self) -> str:
        return str(self.application)


class Round(models.Model):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField(_("round"))
    state = models.CharField(
        _("state"), max_length=12, choices=RoundState.choices, default=RoundState.DRAFT
    )
    acceptance_deadline = models.DateTimeField(_("accept by"))
    run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    previous_result = models.JSONField(
        _("result of the previous run"),
        default=dict,
        blank=True,
        help_text=_("Application id -> offer id of the run before the last, to compare."),
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        ordering = ("call", "number")
        constraints = [
            models.UniqueConstraint(fields=("call", "number"), name="selection_round_once")
        ]

    def __str__(self) -> str:
        return f"{self.call} – {self.number}"


class Assignment(models.Model):
    """What a round gave one application: a seat on an offer (or none), and why."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="assignments")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="assignments"
    )
    call_offer = models.ForeignKey(
        CallOffer, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    choice = models.PositiveSmallIntegerField(_("choice number"), null=True, blank=True)
    explanation = models.JSONField(_("explanation"), default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=AssignmentState.choices, db_index=True
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ("round", "application__rank")
        constraints = [
            models.UniqueConstraint(
                fields=("round", "application"), name="selection_one_assignment_per_round"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application}: {self.call_offer or '-'} ({self.state})"
