"""The recognition's step on the student's mobility timeline (registered in apps.py)."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _

from abroad.mobility.enums import MobilityState
from abroad.mobility.models import Mobility
from abroad.mobility.timeline import ExtraStep
from abroad.recognition.enums import TranscriptState
from abroad.recognition.models import Transcript
from abroad.recognition.queries import recognised_credits


def recognition_step(mobility: Mobility) -> ExtraStep | None:
    """Where the recognition of the exams stands: nothing before the transcript arrives
    (a step to come once the mobility is over), then what the student or the promoter does."""
    if mobility.state == MobilityState.WITHDRAWN:
        return None
    transcript = Transcript.objects.filter(mobility=mobility).first()
    url = reverse("recognition:transcript", args=[mobility.pk])
    title = _("Recognition of the exams")
    link = _("Transcript and recognition")
    if transcript is None:
        text = _("The host sends your transcript of records; the office enters it here.")
        return ExtraStep("recognition", title, "todo", text)
    state = transcript.state
    if state == TranscriptState.VALIDATED:
        credits = recognised_credits(mobility) or Decimal(0)
        text = _("Validated: %(credits)s ECTS recognised at home.") % {
            "credits": f"{credits.normalize():f}"
        }
        return ExtraStep("recognition", title, "done", text, url, link)
    texts: dict[str, str] = {
        TranscriptState.ENTERED: _(
            "Your transcript arrived: check it and accept it, or dispute it."
        ),
        TranscriptState.DISPUTED: _("You disputed the transcript; the office is checking it."),
        TranscriptState.ACCEPTED: _(
            "You accepted the transcript; the recognition is proposed next."
        ),
        TranscriptState.PROPOSED: _("The recognition is proposed and waits for your promoter."),
    }
    status = "current" if state == TranscriptState.ENTERED else "todo"
    return ExtraStep("recognition", title, status, texts.get(state, ""), url, link)
