"""The reminders of the mobility, run by ``python -m abroad run-scheduled`` (registered in
:mod:`abroad.site.apps`), each sent once (an outbox key per mobility or request), in the
reader's language; a setting of 0 days turns one off.

- :func:`remind_learning_agreements`: a mobility starting within ``REMINDER_LA_DAYS`` whose
  student has signed no version of the learning agreement yet (to the student).
- :func:`remind_change_windows`: the window for changing the learning agreement during the
  mobility (``LA_CHANGE_WINDOW_DAYS`` from the arrival,
  :func:`abroad.mobility.services.change_deadline`) closes within
  ``REMINDER_CHANGE_WINDOW_DAYS``, the agreement is signed by all three and the student has
  submitted no change (to the student).
- :func:`remind_documents`: a document missing (to the student): the host's acceptance letter
  ``REMINDER_ACCEPTANCE_LETTER_DAYS`` before the planned start; the arrival confirmation
  ``REMINDER_ARRIVAL_DAYS`` after the planned start while the arrival is not recorded (for
  ``LATE_WINDOW_DAYS`` more: a mobility that never started is not reminded for ever).
- :func:`remind_extensions`: an extension request waiting ``REMINDER_EXTENSION_DAYS`` for the
  decision (to the promoters who decide it, :func:`abroad.mobility.queries.deciders`).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from abroad.core import mail
from abroad.mobility import queries, services
from abroad.mobility.enums import (
    DocumentKind,
    ExtensionState,
    LearningAgreementState,
    MobilityState,
    Stage,
)
from abroad.mobility.models import Document, ExtensionRequest, LearningAgreement, Mobility

# A reminder due after a date (the arrival confirmation) is still sent this many days after it
# became due (the scheduler may have been stopped), never later.
LATE_WINDOW_DAYS = 30


def remind_learning_agreements(now: dt.datetime) -> int:
    """Queue the reminders due at ``now``; how many."""
    days = settings.REMINDER_LA_DAYS
    if days <= 0:
        return 0
    today = timezone.localdate(now)
    signed = LearningAgreement.objects.filter(
        mobility=OuterRef("pk"), student_signed_at__isnull=False
    )
    waiting = (
        Mobility.objects.filter(
            planned_start__gt=today,
            planned_start__lte=today + dt.timedelta(days=days),
            actual_start__isnull=True,
        )
        .exclude(state=MobilityState.WITHDRAWN)
        .exclude(Exists(signed))
        .select_related("student", "host")
    )
    sent = 0
    for mobility in waiting:
        sent += mail.send_once(
            f"mobility.la_reminder/mobility/{mobility.pk}",
            "mobility/email/reminder_la",
            {"mobility": mobility},
            mobility.student,
        )
    return sent


def remind_change_windows(now: dt.datetime) -> int:
    """Queue the reminders of the change window due at ``now``; how many."""
    days = settings.REMINDER_CHANGE_WINDOW_DAYS
    if days <= 0:
        return 0
    today = timezone.localdate(now)
    in_force = LearningAgreement.objects.filter(
        mobility=OuterRef("pk"), state=LearningAgreementState.SIGNED
    )
    changed = LearningAgreement.objects.filter(
        mobility=OuterRef("pk"), stage=Stage.DURING, student_signed_at__isnull=False
    )
    closing = (
        Mobility.objects.filter(
            state=MobilityState.IN_MOBILITY,
            recognised_at__isnull=True,
        )
        # the last day for a change (the services' rule) falls from today to today + days
        .filter(services.change_deadline_q(today, today + dt.timedelta(days=days)))
        .filter(Exists(in_force))
        .exclude(Exists(changed))
        .select_related("student", "host")
    )
    sent = 0
    for mobility in closing:
        deadline = services.change_deadline(mobility)
        assert deadline is not None
        sent += mail.send_once(
            f"mobility.change_window_reminder/mobility/{mobility.pk}",
            "mobility/email/reminder_change_window",
            # the day as the e-mails write days, the same in every language
            {"mobility": mobility, "deadline": deadline.strftime("%d/%m/%Y")},
            mobility.student,
        )
    return sent


def _has_current(kind: str) -> Exists:
    return Exists(
        Document.objects.filter(mobility=OuterRef("pk"), kind=kind, replaced_at__isnull=True)
    )


def remind_documents(now: dt.datetime) -> dict[str, int]:
    """Queue the reminders of missing documents due at ``now``; how many of each."""
    today = timezone.localdate(now)
    sent = {"acceptance_letter": 0, "arrival": 0}
    not_started = Mobility.objects.filter(
        actual_start__isnull=True,
        state__in=(MobilityState.NOMINATED, MobilityState.APPLIED, MobilityState.ACCEPTED),
    ).select_related("student", "host")
    days = settings.REMINDER_ACCEPTANCE_LETTER_DAYS
    if days > 0:
        letters = not_started.filter(
            planned_start__gt=today, planned_start__lte=today + dt.timedelta(days=days)
        ).exclude(_has_current(DocumentKind.ACCEPTANCE_LETTER))
        for mobility in letters:
            sent["acceptance_letter"] += mail.send_once(
                f"mobility.document_reminder/acceptance_letter/mobility/{mobility.pk}",
                "mobility/email/reminder_acceptance_letter",
                {"mobility": mobility},
                mobility.student,
            )
    days = settings.REMINDER_ARRIVAL_DAYS
    if days > 0:
        due = today - dt.timedelta(days=days)
        arrivals = not_started.filter(
            planned_start__lte=due,
            planned_start__gt=due - dt.timedelta(days=LATE_WINDOW_DAYS),
        ).exclude(_has_current(DocumentKind.ARRIVAL))
        for mobility in arrivals:
            sent["arrival"] += mail.send_once(
                f"mobility.document_reminder/arrival/mobility/{mobility.pk}",
                "mobility/email/reminder_arrival",
                {"mobility": mobility},
                mobility.student,
            )
    return sent


def remind_extensions(now: dt.datetime) -> int:
    """Queue the reminders to the promoters of the extension requests waiting at ``now``; how
    many requests were reminded."""
    days = settings.REMINDER_EXTENSION_DAYS
    if days <= 0:
        return 0
    waiting = (
        ExtensionRequest.objects.filter(
            state=ExtensionState.REQUESTED, requested_at__lte=now - dt.timedelta(days=days)
        )
        .select_related(
            "mobility__student__course_of_study",
            "mobility__host",
            "mobility__offer__agreement__promoter__user",
        )
        .order_by("pk")
    )
    sent = 0
    for extension in waiting:
        mobility = extension.mobility
        deciders = [promoter.user for promoter in queries.deciders(mobility)]
        sent += mail.send_once(
            f"mobility.extension_reminder/extension/{extension.pk}",
            "mobility/email/reminder_extension",
            {"extension": extension, "mobility": mobility, "student": mobility.student},
            deciders,
        )
    return sent
