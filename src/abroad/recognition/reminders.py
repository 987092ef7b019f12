"""The reminder of the transcript, run by ``python -m abroad run-scheduled`` (registered in
:mod:`abroad.site.apps`), sent once to each student: a transcript entered by the office
``REMINDER_TRANSCRIPT_DAYS`` ago or more and not yet accepted or disputed by the student (the
recognition waits for that answer)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from abroad.core import mail
from abroad.recognition.enums import TranscriptState
from abroad.recognition.models import Transcript


def remind_transcripts(now: dt.datetime) -> int:
    """Queue the reminders due at ``now``; how many."""
    days = settings.REMINDER_TRANSCRIPT_DAYS
    if days <= 0:
        return 0
    waiting = Transcript.objects.filter(
        state=TranscriptState.ENTERED, entered_at__lte=now - dt.timedelta(days=days)
    ).select_related("mobility__student", "mobility__host")
    sent = 0
    for transcript in waiting:
        sent += mail.send_once(
            f"recognition.transcript_reminder/transcript/{transcript.pk}",
            "recognition/email/reminder_transcript",
            {"mobility": transcript.mobility},
            transcript.mobility.student,
        )
    return sent
