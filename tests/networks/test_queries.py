"""Each Q-object read of networks/queries.py agrees with its Python twin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from abroad.networks import queries
from abroad.networks.enums import AllocationState, ApplicationState
from abroad.networks.models import AthensAllocation, AthensApplication, AthensSession
from tests.networks.factories import ApplicationFactory, CourseFactory, SessionFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

NOW = timezone.now().replace(microsecond=0)
SECOND = dt.timedelta(seconds=1)


def test_open_sessions_q_agrees_with_session_is_open() -> None:
    for opens, closes in [
        (NOW - SECOND, NOW + SECOND),
        (NOW, NOW + SECOND),
        (NOW - SECOND, NOW),
        (NOW + SECOND, NOW + 2 * SECOND),
        (NOW - 2 * SECOND, NOW - SECOND),
    ]:
        SessionFactory.create(applications_open_at=opens, applications_close_at=closes)
    found = set(
        AthensSession.objects.filter(queries.open_sessions_q(NOW)).values_list("pk", flat=True)
    )
    assert found == {s.pk for s in AthensSession.objects.all() if s.is_open(NOW)}
    assert len(found) == 2


def test_submitted_q_agrees_with_is_submitted() -> None:
    for state in ApplicationState:
        ApplicationFactory.create(state=state)
    found = set(
        AthensApplication.objects.filter(queries.submitted_q()).values_list("pk", flat=True)
    )
    assert found == {a.pk for a in AthensApplication.objects.all() if queries.is_submitted(a)}
    assert len(found) == 1


def test_accepted_q_agrees_with_is_accepted_and_counts_the_places_taken() -> None:
    session = SessionFactory.create()
    course = CourseFactory.create(session=session)
    for state in AllocationState:
        AthensAllocation.objects.create(
            application=ApplicationFactory.create(session=session), course=course, state=state
        )
    found = set(AthensAllocation.objects.filter(queries.accepted_q()).values_list("pk", flat=True))
    assert found == {a.pk for a in AthensAllocation.objects.all() if queries.is_accepted(a)}
    assert len(found) == 1
    assert queries.places_taken(course) == 1


def test_a_students_applications() -> None:
    application = ApplicationFactory.create()
    ApplicationFactory.create()
    assert list(queries.applications_of(application.student)) == [application]
    assert queries.application_of(application.session, application.student) == application
