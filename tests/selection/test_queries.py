"""Each Q-object read of selection/queries.py agrees with its Python twin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from abroad.selection import queries
from abroad.selection.enums import ApplicationState, AssignmentState
from abroad.selection.models import Application, Assignment, Call
from tests.selection.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    RoundFactory,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

NOW = timezone.now().replace(microsecond=0)
SECOND = dt.timedelta(seconds=1)


def test_open_calls_q_agrees_with_call_is_open() -> None:
    for opens, closes in [
        (NOW - SECOND, NOW + SECOND),  # open
        (NOW, NOW + SECOND),  # opens now: open
        (NOW - SECOND, NOW),  # closes now: closed
        (NOW + SECOND, NOW + 2 * SECOND),  # upcoming
        (NOW - 2 * SECOND, NOW - SECOND),  # closed
    ]:
        CallFactory.create(opens_at=opens, closes_at=closes)
    found = set(Call.objects.filter(queries.open_calls_q(NOW)).values_list("pk", flat=True))
    assert found == {call.pk for call in Call.objects.all() if call.is_open(NOW)}
    assert len(found) == 2


def test_submitted_q_agrees_with_is_submitted() -> None:
    for state in ApplicationState:
        ApplicationFactory.create(state=state)
    found = set(Application.objects.filter(queries.submitted_q()).values_list("pk", flat=True))
    assert found == {a.pk for a in Application.objects.all() if queries.is_submitted(a)}
    assert len(found) == 1


def test_accepted_q_agrees_with_is_accepted_and_counts_the_seats_taken() -> None:
    round_ = RoundFactory.create(call=CallFactory.create())
    for state in AssignmentState:
        AssignmentFactory.create(round=round_, state=state)
    found = set(Assignment.objects.filter(queries.accepted_q()).values_list("pk", flat=True))
    assert found == {a.pk for a in Assignment.objects.all() if queries.is_accepted(a)}
    assert len(found) == 1
    accepted = Assignment.objects.get(pk=found.pop())
    assert accepted.call_offer is not None
    assert queries.seats_taken(accepted.call_offer) == 1


def test_a_students_applications() -> None:
    application = ApplicationFactory.create()
    ApplicationFactory.create()
    assert list(queries.applications_of(application.student)) == [application]
    assert queries.application_of(application.call, application.student) == application
