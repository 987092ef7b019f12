"""The reminders of the calls, run by ``run-scheduled`` with the clock moved: a draft
application 3 days before the call closes, a seat offered and not answered 2 days before the
acceptance deadline; each sent once, in the student's language, and each can be turned off."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail as django_mail
from django.core.mail import EmailMultiAlternatives

from abroad.core import scheduled
from abroad.core.models import OutboxMessage, SchedulerRun
from abroad.selection.enums import ApplicationState, AssignmentState, RoundState
from abroad.selection.models import Application, Assignment, Call
from tests.factories import UserFactory
from tests.selection.factories import ApplicationFactory, AssignmentFactory, CallFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

CLOSES = dt.datetime(2027, 3, 15, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def defaults(settings: Any) -> None:
    settings.REMINDER_DRAFT_DAYS = 3
    settings.REMINDER_ACCEPTANCE_DAYS = 2
    settings.SITE_URL = "https://abroad.example.org"


def run_at(when: dt.datetime, capture: Any) -> SchedulerRun:
    """One run of the scheduler at ``when``, its e-mails sent on commit."""
    with capture(execute=True):
        return scheduled.run(now=when)


@pytest.fixture
def call() -> Call:
    return CallFactory.create(
        title="Engineering call 2027/2028",
        opens_at=CLOSES - dt.timedelta(days=30),
        closes_at=CLOSES,
    )


@pytest.fixture
def draft(call: Call) -> Application:
    return ApplicationFactory.create(
        call=call,
        student=UserFactory.create(
            username="anna", first_name="Anna", last_name="Rossi", email="anna@example.org"
        ),
    )


def test_a_draft_is_reminded_once_three_days_before_the_call_closes(
    draft: Application, call: Call, django_capture_on_commit_callbacks: Any
) -> None:
    ApplicationFactory.create(call=call, state=ApplicationState.SUBMITTED)  # nothing to say
    ApplicationFactory.create(call=call, state=ApplicationState.WITHDRAWN)

    run = run_at(CLOSES - dt.timedelta(days=4), django_capture_on_commit_callbacks)
    assert run.report["selection.reminders"] == {"draft": 0, "acceptance": 0}
    assert django_mail.outbox == []

    run = run_at(CLOSES - dt.timedelta(days=2, hours=23), django_capture_on_commit_callbacks)
    assert run.report["selection.reminders"] == {"draft": 1, "acceptance": 0}
    (message,) = django_mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    assert message.to == ["anna@example.org"]
    assert message.subject == "Your application to Engineering call 2027/2028 is not submitted yet"
    assert "is still a draft" in message.body
    assert "https://abroad.example.org" + call.get_absolute_url() in message.body
    assert len(message.alternatives) == 1

    # the next runs, the last day included, send nothing more
    for hours in (60, 12, 1):
        run_at(CLOSES - dt.timedelta(hours=hours), django_capture_on_commit_callbacks)
    assert len(django_mail.outbox) == 1
    # and nothing after the call closed
    run_at(CLOSES + dt.timedelta(hours=1), django_capture_on_commit_callbacks)
    assert len(django_mail.outbox) == 1
    assert OutboxMessage.objects.get().key == f"selection.draft/application/{draft.pk}"


def test_a_submitted_application_gets_no_reminder(
    draft: Application, django_capture_on_commit_callbacks: Any
) -> None:
    draft.state = ApplicationState.SUBMITTED
    draft.save()
    run_at(CLOSES - dt.timedelta(days=1), django_capture_on_commit_callbacks)
    assert django_mail.outbox == []


def test_the_reminder_is_in_the_students_language(
    draft: Application, django_capture_on_commit_callbacks: Any
) -> None:
    draft.student.language = "it"
    draft.student.save()
    run_at(CLOSES - dt.timedelta(days=1), django_capture_on_commit_callbacks)
    (message,) = OutboxMessage.objects.all()
    assert message.language == "it"


def test_reminders_can_be_turned_off(
    draft: Application, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.REMINDER_DRAFT_DAYS = 0
    run_at(CLOSES - dt.timedelta(days=1), django_capture_on_commit_callbacks)
    assert django_mail.outbox == []


@pytest.fixture
def offered() -> Assignment:
    assignment: Assignment = AssignmentFactory.create(
        round__state=RoundState.PUBLISHED,
        round__acceptance_deadline=CLOSES,
        round__call__title="Engineering call 2027/2028",
        application__student__email="marco@example.org",
        call_offer__offer__agreement__partner__name="Aalto University",
    )
    return assignment


def test_an_offered_seat_is_reminded_once_two_days_before_the_deadline(
    offered: Assignment, django_capture_on_commit_callbacks: Any
) -> None:
    answered = AssignmentFactory.create(
        round=offered.round,
        state=AssignmentState.ACCEPTED,
        application__call=offered.round.call,
        call_offer__call=offered.round.call,
    )
    run_at(CLOSES - dt.timedelta(days=3), django_capture_on_commit_callbacks)
    assert django_mail.outbox == []

    run = run_at(CLOSES - dt.timedelta(days=1, hours=23), django_capture_on_commit_callbacks)
    assert run.report["selection.reminders"] == {"draft": 0, "acceptance": 1}
    (message,) = django_mail.outbox
    assert message.to == ["marco@example.org"]
    assert message.subject == "Accept or renounce your seat in Engineering call 2027/2028"
    assert "not yet answered the offer of a seat at Aalto University" in message.body

    run_at(CLOSES - dt.timedelta(hours=5), django_capture_on_commit_callbacks)
    assert len(django_mail.outbox) == 1
    assert answered.application.student.email not in {m.to[0] for m in django_mail.outbox}


def test_an_unpublished_round_reminds_nobody(
    offered: Assignment, django_capture_on_commit_callbacks: Any
) -> None:
    offered.round.state = RoundState.DRY_RUN
    offered.round.save()
    run_at(CLOSES - dt.timedelta(days=1), django_capture_on_commit_callbacks)
    assert django_mail.outbox == []
