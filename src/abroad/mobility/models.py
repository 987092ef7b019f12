"""The mobility: the central record of a student's stay abroad. It does not know how it was
born (a call, an ATHENS allocation, the office for a double degree): ``origin`` is a label."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from abroad.catalogue.models import Institution, Offer
from abroad.core.academic_year import format_year
from abroad.mobility.enums import MobilityKind, MobilityState


class Mobility(models.Model):
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("student"),
        on_delete=models.PROTECT,
        related_name="mobilities",
    )
    offer = models.ForeignKey(
        Offer,
        verbose_name=_("offer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mobilities",
    )
    host = models.ForeignKey(
        Institution,
        verbose_name=_("host institution"),
        on_delete=models.PROTECT,
        related_name="incoming_mobilities",
    )
    academic_year = models.PositiveSmallIntegerField(_("academic year"))
    kind = models.CharField(_("kind"), max_length=16, choices=MobilityKind.choices)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=MobilityState.choices,
        default=MobilityState.NOMINATED,
        db_index=True,
    )
    months = models.PositiveSmallIntegerField(_("months planned"))
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    origin = models.CharField(
        _("origin"), max_length=120, blank=True, help_text=_("How it was born, e.g. a call.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("mobility")
        verbose_name_plural = _("mobilities")
        ordering = ("-academic_year", "student__last_name")

    def __str__(self) -> str:
        return f"{self.student} → {self.host} ({format_year(self.academic_year)})"
