"""The reads of ATHENS sessions that views, services and e-mails share, each once. Where a read
has a Python twin (a predicate on one object), the pair is written side by side here and a test
checks that they agree (tests/networks/test_queries.py)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from abroad.catalogue.models import Promoter
from abroad.matching.window import Window
from abroad.mobility.queries import acting_q
from abroad.networks.enums import AllocationState, ApplicationState, PlanState
from abroad.networks.models import (
    AthensAllocation,
    AthensApplication,
    AthensCourse,
    AthensSession,
    DoubleDegreePlan,
)
from abroad.people.models import User


def open_sessions_q(now: dt.datetime) -> Q:
    """Sessions taking applications at ``now``; the twin of :meth:`AthensSession.is_open`."""
    return Window.open_q(now, opens="applications_open_at", closes="applications_close_at")


def submitted_q() -> Q:
    """Submitted applications; the twin of :func:`is_submitted`."""
    return Q(state=ApplicationState.SUBMITTED)


def is_submitted(application: AthensApplication) -> bool:
    return application.state == ApplicationState.SUBMITTED


def accepted_q() -> Q:
    """Allocations whose course the student accepted; the twin of :func:`is_accepted`."""
    return Q(state=AllocationState.ACCEPTED)


def is_accepted(allocation: AthensAllocation) -> bool:
    return allocation.state == AllocationState.ACCEPTED


def application_of(session: AthensSession, student: User) -> AthensApplication | None:
    """The student's application to the session, if any (one per student and session)."""
    return AthensApplication.objects.filter(session=session, student=student).first()


def applications_of(student: User) -> QuerySet[AthensApplication]:
    """Every ATHENS application of the student, with its allocation."""
    return AthensApplication.objects.filter(student=student).select_related("allocation")


def places_taken(course: AthensCourse) -> int:
    """The places of the course accepted so far."""
    return AthensAllocation.objects.filter(accepted_q(), course=course).count()


def waiting_plans(promoter: Promoter, user: User) -> QuerySet[DoubleDegreePlan]:
    """The double-degree plans waiting for ``promoter``'s approval (or for the promoters
    ``user`` stands in for today)."""
    return DoubleDegreePlan.objects.filter(
        acting_q(promoter, user, "mobility__"), state=PlanState.SUBMITTED
    )
