"""The reminders of the learning agreement and of the transcript, run by ``run-scheduled`` with
the clock moved: each sent once, to the student, and not when the student already acted."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail as django_mail
from django.utils import timezone

from abroad.core import scheduled
from abroad.mobility.enums import LearningAgreementState
from abroad.mobility.models import Mobility
from abroad.recognition.enums import TranscriptState
from abroad.recognition.models import Transcript
from tests.mobility.factories import LearningAgreementFactory, MobilityFactory
from tests.recognition.factories import EndedMobilityFactory, signed_agreement, standard

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

# Near the real clock: the outbox forgets messages older than its keeping time, and with them
# the keys that make a reminder go once.
NOW = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)
TODAY = timezone.localdate(NOW)


@pytest.fixture(autouse=True)
def defaults(settings: Any) -> None:
    settings.REMINDER_LA_DAYS = 30
    settings.REMINDER_TRANSCRIPT_DAYS = 7
    settings.SITE_URL = "https://abroad.example.org"


def run_at(when: dt.datetime, capture: Any) -> None:
    with capture(execute=True):
        scheduled.run(now=when)


def sent_to(email: str, words: str) -> int:
    return sum(1 for m in django_mail.outbox if email in m.to and words in m.subject)


def leaving_on(start: dt.date) -> Mobility:
    mobility: Mobility = MobilityFactory.create(
        planned_start=start,
        planned_end=start + dt.timedelta(days=150),
        actual_start=None,
        student__email="rossi@polimi.example",
    )
    return mobility


def test_the_learning_agreement_reminder_goes_once_within_30_days(
    django_capture_on_commit_callbacks: Any,
) -> None:
    mobility = leaving_on(TODAY + dt.timedelta(days=45))
    run_at(NOW, django_capture_on_commit_callbacks)  # 45 days before: not yet
    assert sent_to("rossi@polimi.example", "learning agreement") == 0
    run_at(NOW + dt.timedelta(days=16), django_capture_on_commit_callbacks)
    run_at(NOW + dt.timedelta(days=17), django_capture_on_commit_callbacks)
    assert sent_to("rossi@polimi.example", "learning agreement") == 1
    message = next(m for m in django_mail.outbox if "learning agreement" in m.subject)
    assert f"https://abroad.example.org/mobility/{mobility.pk}/la/" in message.body
    assert mobility.planned_start is not None
    assert mobility.planned_start.strftime("%d/%m/%Y") in message.body


def test_no_learning_agreement_reminder_once_the_student_signed(
    django_capture_on_commit_callbacks: Any,
) -> None:
    mobility = leaving_on(TODAY + dt.timedelta(days=19))
    LearningAgreementFactory.create(
        mobility=mobility,
        state=LearningAgreementState.SUBMITTED,
        student_signed_at=timezone.now(),
    )
    run_at(NOW, django_capture_on_commit_callbacks)
    assert sent_to("rossi@polimi.example", "learning agreement") == 0


def test_the_transcript_reminder_goes_after_a_week_unless_answered(
    django_capture_on_commit_callbacks: Any,
) -> None:
    answered, waiting = (EndedMobilityFactory.create() for _ in range(2))
    for mobility, email in (
        (answered, "answered@polimi.example"),
        (waiting, "wait@polimi.example"),
    ):
        mobility.student.email = email
        mobility.student.save()
        signed_agreement(mobility, a=[], b=[])
        Transcript.objects.create(
            mobility=mobility,
            agreement=mobility.learning_agreements.get(),
            host_scale=standard("fr"),
            entered_at=NOW,
            state=TranscriptState.ACCEPTED if mobility is answered else TranscriptState.ENTERED,
        )
    run_at(NOW + dt.timedelta(days=6), django_capture_on_commit_callbacks)
    assert sent_to("wait@polimi.example", "transcript") == 0
    run_at(NOW + dt.timedelta(days=7), django_capture_on_commit_callbacks)
    run_at(NOW + dt.timedelta(days=9), django_capture_on_commit_callbacks)
    assert sent_to("wait@polimi.example", "transcript") == 1
    assert sent_to("answered@polimi.example", "transcript") == 0
