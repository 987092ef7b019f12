"""The reads of calls that views, services and e-mails share, each once. Where a read has a
Python twin (a predicate on one object), the pair is written side by side here and a test
checks that they agree (tests/selection/test_queries.py)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from abroad.matching.window import Window
from abroad.people.models import User
from abroad.selection.enums import ApplicationState, AssignmentState, RoundState
from abroad.selection.models import Application, Assignment, Call, CallOffer
from abroad.selection.student_state import Answer, StudentState, state_of


def open_calls_q(now: dt.datetime) -> Q:
    """Calls taking applications at ``now``; the twin of :meth:`Call.is_open`."""
    return Window.open_q(now, opens="opens_at", closes="closes_at")


def submitted_q() -> Q:
    """Submitted applications; the twin of :func:`is_submitted`."""
    return Q(state=ApplicationState.SUBMITTED)


def is_submitted(application: Application) -> bool:
    return application.state == ApplicationState.SUBMITTED


def accepted_q() -> Q:
    """Assignments whose seat the student accepted; the twin of :func:`is_accepted`."""
    return Q(state=AssignmentState.ACCEPTED)


def is_accepted(assignment: Assignment) -> bool:
    return assignment.state == AssignmentState.ACCEPTED


def application_of(call: Call, student: User) -> Application | None:
    """The student's application to the call, if any (one per student and call)."""
    return Application.objects.filter(call=call, student=student).first()


def applications_of(student: User) -> QuerySet[Application]:
    """Every application of the student, with its call."""
    return Application.objects.filter(student=student).select_related("call")


def seats_taken(call_offer: CallOffer) -> int:
    """The seats of the call offer accepted so far (in any round)."""
    return Assignment.objects.filter(accepted_q(), call_offer=call_offer).count()


def student_states(student: User, now: dt.datetime) -> dict[int, StudentState]:
    """The student's state on each call they applied to (call id -> state), by the one rule
    of :mod:`abroad.selection.student_state`; two queries whatever the number of calls."""
    applications = list(applications_of(student))
    answers: dict[int, list[Answer]] = {}
    for application_id, number, state in Assignment.objects.filter(
        application__student=student,
        round__state__in=(RoundState.PUBLISHED, RoundState.CLOSED),
    ).values_list("application_id", "round__number", "state"):
        answers.setdefault(application_id, []).append(Answer(number, state))
    return {
        application.call_id: state_of(
            application_state=application.state,
            eligible=application.eligible,
            answers=answers.get(application.pk, []),
            window=application.call.state_at(now),
        )
        for application in applications
    }
