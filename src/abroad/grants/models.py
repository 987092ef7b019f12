"""Grants as data: the rate table of each call year (imported and exported by the office) and
what the grant of one mobility depends on beyond its dates (fewer opportunities, green travel,
ISEE, zero-grant)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from abroad.grants.enums import RateKey


class RateTable(models.Model):
    """The amounts of one academic year, with where they come from."""

    academic_year = models.PositiveSmallIntegerField(_("academic year"), unique=True)
    source = models.CharField(
        _("source"),
        max_length=300,
        blank=True,
        help_text=_("Where the amounts come from: the National Agency's note, a decree, a URL."),
    )
    note = models.TextField(
        _("note"),
        blank=True,
        help_text=_("Shown to students and the office, e.g. that last year's amounts are used."),
    )
    instalments = models.CharField(
        _("instalments (per cent)"),
        max_length=40,
        default="80,20",
        help_text=_("The shares paid, in order, adding up to 100: 80,20 or 70,30."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("rate table")
        verbose_name_plural = _("rate tables")
        ordering = ("-academic_year",)

    def __str__(self) -> str:
        return f"{self.academic_year}/{self.academic_year + 1}"


class Rate(models.Model):
    """One amount of a table: what ``key`` says, for a country group, a distance band or an
    ISEE band."""

    table = models.ForeignKey(
        RateTable, verbose_name=_("rate table"), on_delete=models.CASCADE, related_name="rates"
    )
    key = models.CharField(_("key"), max_length=40, choices=RateKey.choices)
    group = models.CharField(_("country group"), max_length=10, blank=True)
    country = CountryField(_("country"), blank=True)
    low = models.DecimalField(_("from"), max_digits=10, decimal_places=2, null=True, blank=True)
    high = models.DecimalField(_("to"), max_digits=10, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(
        _("amount"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    green_amount = models.DecimalField(
        _("green amount"), max_digits=10, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("rate")
        verbose_name_plural = _("rates")
        ordering = ("key", "group", "country", "low")

    def __str__(self) -> str:
        return f"{self.key} {self.group or self.country or self.low or ''} {self.amount}".strip()


class GrantCase(models.Model):
    """What a mobility's grant depends on beyond its dates and host, set by the office."""

    mobility = models.OneToOneField(
        "mobility.Mobility",
        verbose_name=_("mobility"),
        on_delete=models.CASCADE,
        related_name="grant_case",
    )
    traineeship = models.BooleanField(_("traineeship"), default=False)
    fewer_opportunities = models.BooleanField(_("fewer opportunities"), default=False)
    green_travel = models.BooleanField(_("green travel"), default=False)
    travel_days = models.PositiveSmallIntegerField(
        _("travel days"), default=0, validators=[MaxValueValidator(30)]
    )
    isee = models.DecimalField(
        _("ISEE"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Empty when the student declared none."),
    )
    zero_grant = models.BooleanField(_("zero-grant"), default=False)
    # The grant as last computed (services.refresh_grants): on the actual dates once known,
    # else the planned ones; None when the mobility has no grant. The dashboard sums it; the
    # pages compute the grant again, line by line.
    amount = models.DecimalField(
        _("grant committed"), max_digits=10, decimal_places=2, null=True, blank=True, editable=False
    )
    computed_at = models.DateTimeField(_("computed"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # The details the office sets (the audit log names each one that changes).
    DETAILS = (
        "traineeship",
        "fewer_opportunities",
        "green_travel",
        "travel_days",
        "isee",
        "zero_grant",
    )

    class Meta:
        verbose_name = _("grant case")
        verbose_name_plural = _("grant cases")

    def __str__(self) -> str:
        return str(self.mobility)


class Payment(models.Model):
    """One instalment of a mobility's grant as the accounting office paid it (a negative
    amount: money the student paid back after the recomputation on the actual dates)."""

    mobility = models.ForeignKey(
        "mobility.Mobility",
        verbose_name=_("mobility"),
        on_delete=models.PROTECT,
        related_name="grant_payments",
    )
    instalment = models.PositiveSmallIntegerField(_("instalment"))
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    paid_on = models.DateField(_("paid on"))
    reference = models.CharField(
        _("reference"),
        max_length=100,
        blank=True,
        help_text=_("The accounting office's reference (payment order, batch)."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("grant payment")
        verbose_name_plural = _("grant payments")
        ordering = ("mobility", "instalment")
        constraints = [
            models.UniqueConstraint(
                fields=("mobility", "instalment"), name="grants_one_payment_per_instalment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mobility} #{self.instalment} {self.amount}"
