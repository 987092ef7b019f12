"""The reminders of the calls, run by ``python -m abroad run-scheduled`` (registered in
:mod:`abroad.site.apps`), each sent once to each student (an e-mail key in the outbox):

- a draft application not submitted, ``REMINDER_DRAFT_DAYS`` before the call closes;
- a seat offered and not yet accepted or renounced, ``REMINDER_ACCEPTANCE_DAYS`` before the
  round's acceptance deadline."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from abroad.core import mail
from abroad.selection.enums import ApplicationState, AssignmentState, RoundState
from abroad.selection.models import Application, Assignment


def send_reminders(now: dt.datetime) -> dict[str, int]:
    """Send the reminders due at ``now``; how many of each were queued."""
    return {"draft": remind_drafts(now), "acceptance": remind_acceptances(now)}


def remind_drafts(now: dt.datetime) -> int:
    days = settings.REMINDER_DRAFT_DAYS
    if days <= 0:
        return 0
    drafts = Application.objects.filter(
        state=ApplicationState.DRAFT,
        call__closes_at__gt=now,
        call__closes_at__lte=now + dt.timedelta(days=days),
    ).select_related("call", "student")
    sent = 0
    for application in drafts:
        sent += mail.send_once(
            f"selection.draft/application/{application.pk}",
            "selection/email/reminder_draft",
            {"application": application, "call": application.call},
            application.student,
        )
    return sent


def remind_acceptances(now: dt.datetime) -> int:
    days = settings.REMINDER_ACCEPTANCE_DAYS
    if days <= 0:
        return 0
    offered = Assignment.objects.filter(
        state=AssignmentState.OFFERED,
        round__state=RoundState.PUBLISHED,
        round__acceptance_deadline__gt=now,
        round__acceptance_deadline__lte=now + dt.timedelta(days=days),
    ).select_related("round__call", "application__student", "call_offer__offer__agreement")
    sent = 0
    for assignment in offered:
        sent += mail.send_once(
            f"selection.acceptance/assignment/{assignment.pk}",
            "selection/email/reminder_acceptance",
            {"assignment": assignment, "round": assignment.round, "call": assignment.round.call},
            assignment.application.student,
        )
    return sent
