"""The reminder of the learning agreement, run by ``python -m abroad run-scheduled``
(registered in :mod:`abroad.site.apps`), sent once to each student: a mobility starting within
``REMINDER_LA_DAYS`` whose student has signed no version of the learning agreement yet."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from abroad.core import mail
from abroad.mobility.enums import MobilityState
from abroad.mobility.models import LearningAgreement, Mobility


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
