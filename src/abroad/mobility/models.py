"""The mobility: the central record of a student's stay abroad. It does not know how it was
born (a call, an ATHENS allocation, the office for a double degree): ``origin`` is a label."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from abroad.catalogue.models import Institution, Offer
from abroad.core.academic_year import format_year
from abroad.core.enums import CEFR, Language
from abroad.mobility.enums import (
    ComponentStatus,
    DocumentKind,
    ExtensionState,
    LearningAgreementState,
    MobilityKind,
    MobilityState,
    ReasonCode,
    Stage,
    Table,
)

# The student's level in the language of instruction, as the Erasmus+ template asks it.
LANGUAGE_LEVELS = [*CEFR.choices, ("native", _("Native speaker"))]


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
    cycle_months = models.PositiveSmallIntegerField(
        _("months allowed in the study cycle"),
        null=True,
        blank=True,
        help_text=_(
            "As the call that gave the seat set them; empty: the usual rule (12 months, 24 in a "
            "single-cycle degree)."
        ),
    )
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    actual_start = models.DateField(
        _("arrival"), null=True, blank=True, help_text=_("The day the student arrived at the host.")
    )
    actual_end = models.DateField(_("departure"), null=True, blank=True)
    recognised_at = models.DateTimeField(
        _("recognition validated"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set when the recognition is validated: the agreement can no longer change."),
    )
    origin = models.CharField(
        _("origin"), max_length=120, blank=True, help_text=_("How it was born, e.g. a call.")
    )
    # A thesis mobility: who supervises, and how many credits the thesis work is worth.
    home_supervisor = models.CharField(_("home thesis supervisor"), max_length=200, blank=True)
    host_supervisor = models.CharField(_("host thesis supervisor"), max_length=200, blank=True)
    thesis_credits = models.PositiveSmallIntegerField(_("thesis credits"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # When the row last changed (dates, state, anything saved): what EWP partners ask with
    # ``modified_since`` (OMobilities, OMobility LAs). Kept by :meth:`save`, also when it
    # writes only some fields; a queryset ``update()`` does not move it.
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("mobility")
        verbose_name_plural = _("mobilities")
        ordering = ("-academic_year", "student__last_name")

    def __str__(self) -> str:
        return f"{self.student} → {self.host} ({format_year(self.academic_year)})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        fields = kwargs.get("update_fields")
        if fields:  # an empty list saves nothing, and stays so
            kwargs["update_fields"] = {*fields, "updated_at"}
        super().save(*args, **kwargs)

    @property
    def start(self) -> dt.date | None:
        """When it starts: the arrival if known, otherwise the planned start."""
        return self.actual_start or self.planned_start

    @property
    def end(self) -> dt.date | None:
        return self.actual_end or self.planned_end

    @property
    def has_ended(self) -> bool:
        """The student is back: the office recorded the departure (state completed). Only
        then is the host's transcript entered and recognised."""
        return self.state == MobilityState.COMPLETED and self.actual_end is not None

    @property
    def is_active(self) -> bool:
        return self.state in MobilityState.active_states()


def document_path(document: Document, filename: str) -> str:
    """Stored under the mobility, with a random name: the original name is kept in the row."""
    suffix = Path(filename).suffix.lower()[:8]
    return f"mobility/{document.mobility_id}/{uuid.uuid4().hex}{suffix}"


class Document(models.Model):
    """A file of a mobility (acceptance letter, confirmations, signed forms). Replacing a
    document keeps the old one, marked as replaced."""

    mobility = models.ForeignKey(
        Mobility, verbose_name=_("mobility"), on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    file = models.FileField(_("file"), upload_to=document_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=60)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    replaced_at = models.DateTimeField(_("replaced"), null=True, blank=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ("kind", "-uploaded_at")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"

    @property
    def is_current(self) -> bool:
        return self.replaced_at is None


class LearningAgreement(models.Model):
    """One version of a mobility's learning agreement. A draft is edited by the student;
    once signed (submitted) it never changes again: a fix after a return, or a change during
    the mobility, is a new version ``based_on`` it."""

    mobility = models.ForeignKey(
        Mobility,
        verbose_name=_("mobility"),
        on_delete=models.CASCADE,
        related_name="learning_agreements",
    )
    number = models.PositiveSmallIntegerField(_("version"))
    stage = models.CharField(_("stage"), max_length=8, choices=Stage.choices)
    state = models.CharField(
        _("state"),
        max_length=12,
        choices=LearningAgreementState.choices,
        default=LearningAgreementState.DRAFT,
        db_index=True,
    )
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("based on"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    language = models.CharField(
        _("language of instruction"), max_length=2, choices=Language.choices, blank=True
    )
    language_level = models.CharField(
        _("student's level in that language"),
        max_length=6,
        choices=LANGUAGE_LEVELS,
        blank=True,
    )
    isced_code = models.CharField(_("ISCED-F field"), max_length=4, blank=True)
    eqf = models.PositiveSmallIntegerField(_("EQF level"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    student_signed_at = models.DateTimeField(_("signed by the student"), null=True, blank=True)
    promoter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("promoter"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Who approved or returned it."),
    )
    promoter_signed_at = models.DateTimeField(_("approved by the promoter"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    comment = models.TextField(_("comments"), blank=True)
    host_signer = models.CharField(_("signed at the host by"), max_length=200, blank=True)
    host_signed_at = models.DateTimeField(_("signed by the host"), null=True, blank=True)
    host_document = models.ForeignKey(
        Document,
        verbose_name=_("host-signed document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("learning agreement")
        verbose_name_plural = _("learning agreements")
        ordering = ("mobility", "number")
        constraints = [
            models.UniqueConstraint(fields=("mobility", "number"), name="mobility_la_version"),
            # at most one version of a mobility is being edited at a time
            models.UniqueConstraint(
                fields=("mobility",),
                condition=models.Q(state=LearningAgreementState.DRAFT),
                name="mobility_la_one_draft",
            ),
        ]

    def __str__(self) -> str:
        return _("Learning agreement v%(number)s of %(mobility)s") % {
            "number": self.number,
            "mobility": self.mobility,
        }

    @property
    def is_draft(self) -> bool:
        return self.state == LearningAgreementState.DRAFT


class Component(models.Model):
    """A row of table A (studied at the host), B (recognised at home) or C (virtual)."""

    agreement = models.ForeignKey(
        LearningAgreement,
        verbose_name=_("learning agreement"),
        on_delete=models.CASCADE,
        related_name="components",
    )
    table = models.CharField(_("table"), max_length=1, choices=Table.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    code = models.CharField(_("code"), max_length=40, blank=True)
    title = models.CharField(_("title"), max_length=250)
    term = models.CharField(
        _("term"), max_length=60, blank=True, help_text=_("e.g. first semester 2027/2028")
    )
    ects = models.DecimalField(
        _("ECTS credits"),
        max_digits=4,
        decimal_places=1,
        null=True,  # a draft may keep a row whose credits are still missing (an error)
        blank=True,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal(60))],
    )
    is_thesis = models.BooleanField(
        _("thesis credits"), default=False, help_text=_("Table B: credits for the thesis work.")
    )
    status = models.CharField(
        _("change"), max_length=8, choices=ComponentStatus.choices, blank=True, default=""
    )
    reason_code = models.CharField(
        _("reason"), max_length=30, choices=ReasonCode.choices, blank=True
    )
    reason_text = models.CharField(_("reason, explained"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("component")
        verbose_name_plural = _("components")
        ordering = ("agreement", "table", "position", "pk")

    def __str__(self) -> str:
        return f"{self.table} {self.code} {self.title} ({self.ects} ECTS)".replace("  ", " ")


class ExtensionRequest(models.Model):
    """A request to stay longer, with the host-signed form; the promoter for the partner site
    authorises or refuses it. The mobility's end and months change only on authorisation."""

    mobility = models.ForeignKey(
        Mobility, verbose_name=_("mobility"), on_delete=models.CASCADE, related_name="extensions"
    )
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=ExtensionState.choices,
        default=ExtensionState.REQUESTED,
        db_index=True,
    )
    current_end = models.DateField(_("end before the extension"))
    requested_end = models.DateField(_("requested end"))
    months_before = models.PositiveSmallIntegerField(_("months before"))
    months_after = models.PositiveSmallIntegerField(_("months after"))
    reason = models.TextField(_("reason"))
    form = models.ForeignKey(
        Document,
        verbose_name=_("host-signed form"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("reason of the decision"), blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ("-requested_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("mobility",),
                condition=models.Q(state=ExtensionState.REQUESTED),
                name="mobility_one_open_extension",
            )
        ]

    def __str__(self) -> str:
        return _("Extension of %(mobility)s to %(end)s") % {
            "mobility": self.mobility,
            "end": self.requested_end,
        }
