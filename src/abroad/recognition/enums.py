from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from abroad.recognition import conversion

# How a conversion rule turns a host grade into a home grade: the one enum, conversion.Method
# (its values are what ConversionRule.method and the stored explanations hold).
Method = conversion.Method


def method_label(method: str) -> str:
    """A method's label ("Linear formula"), or the value itself when it is not a method."""
    return str(Method(method).label) if method in Method.values else method


class Cycle(models.TextChoices):
    """The study cycle of a grading table's reference group (conversion.Cycle's values)."""

    FIRST = conversion.Cycle.FIRST.value, _("First cycle")
    SECOND = conversion.Cycle.SECOND.value, _("Second cycle")
    THIRD = conversion.Cycle.THIRD.value, _("Third cycle")
    SINGLE = conversion.Cycle.SINGLE.value, _("Long single cycle")


class TranscriptState(models.TextChoices):
    """A transcript of records: entered by the office, accepted (or disputed) by the student,
    a recognition proposed, validated by the promoter."""

    ENTERED = "entered", _("Entered, waiting for the student")
    DISPUTED = "disputed", _("Disputed by the student")
    ACCEPTED = "accepted", _("Accepted by the student")
    PROPOSED = "proposed", _("Recognition proposed, waiting for the promoter")
    VALIDATED = "validated", _("Recognition validated")

    @classmethod
    def editable_states(cls) -> list[str]:
        """The office may enter the transcript again (a correction, or a new version of the
        learning agreement) until the recognition is validated; the student then accepts it
        again."""
        return [cls.ENTERED, cls.DISPUTED, cls.ACCEPTED, cls.PROPOSED]

    @classmethod
    def proposable_states(cls) -> list[str]:
        """A recognition may be (re-)proposed: accepted, or proposed and not yet validated."""
        return [cls.ACCEPTED, cls.PROPOSED]


class Outcome(models.TextChoices):
    """What the transcript says of a host component."""

    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")
    MISSING = "missing", _("Missing from the transcript")


class LineFlag(models.TextChoices):
    """Why a proposed recognition line needs the promoter's eye."""

    NONE = "", _("None")
    FAILED = "failed", _("Every host component it recognises failed or is missing")
    PARTIAL = "partial", _("Some host components it recognises failed or are missing")
