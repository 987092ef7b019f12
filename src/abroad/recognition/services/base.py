"""What every recognition service shares: the error a refused step raises, the permission check
(the rules, through ``core.permissions.require_actor``), the locks and the state checks."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from abroad.core.permissions import require_actor
from abroad.mobility.models import LearningAgreement, Mobility
from abroad.mobility.queries import in_force
from abroad.people.models import User
from abroad.recognition import conversion
from abroad.recognition.models import (
    GradingScale,
    Transcript,
)


class RecognitionError(Exception):
    """A step refused, with the reason in words; ``errors`` lists every bad row."""

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


# ------------------------------------------------------------------------------ permissions


class Refused(RecognitionError, PermissionDenied):
    """A step refused to who asked (not for the state it found): a RecognitionError for the
    callers that show its message, a PermissionDenied (403) for the views."""


def _require(
    actor: User | None, permission: str, obj: Any, message: str, *, system: bool = False
) -> None:
    """Refuse unless ``actor`` holds ``permission`` on ``obj``: the rules the templates ask
    (``recognition/rules.py``, never ``user.has_perm``: a superuser is nobody's student). None
    is the system (the CLI, the demo), allowed where ``system``; a student's or a promoter's
    step needs the person. Each step checks the state first, so that a step somebody already
    took says so instead of refusing."""
    if actor is None and not system:
        raise Refused(message)
    try:
        require_actor(actor, permission, obj, message)
    except PermissionDenied:
        raise Refused(message) from None


def _scale(scale: GradingScale) -> conversion.Scale:
    try:
        return scale.scale()
    except ValueError as error:
        raise RecognitionError(str(error)) from None


def _lock(transcript: Transcript) -> Transcript:
    return (
        Transcript.objects.select_for_update(of=("self",))
        .select_related(
            "mobility__student__course_of_study",
            "mobility__offer__agreement",
            "mobility__host",
            "host_scale",
            "home_scale",
        )
        .get(pk=transcript.pk)
    )


def _state(transcript: Transcript, *states: str) -> None:
    if transcript.state not in states:
        raise RecognitionError(
            _("The transcript is “%(state)s”; somebody may have acted on it already.")
            % {"state": transcript.get_state_display()}
        )


@transaction.atomic
def _in_force(mobility: Mobility) -> LearningAgreement:
    agreement = in_force(mobility)
    if agreement is None:
        raise RecognitionError(
            _(
                "This mobility has no learning agreement signed by all three: the transcript is "
                "checked against it."
            )
        )
    return agreement


def plain(number: Decimal) -> str:
    """A number as people write it: 6, 7.5, 24.33."""
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")
