"""Seat acceptance under concurrency, on PostgreSQL: with the offer's row locked, never more
acceptances than seats; with the lock removed, the race overbooks (which proves the test can
see the bug it guards against)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from abroad.people.enums import Role
from abroad.selection import services
from abroad.selection.enums import ApplicationState, AssignmentState, RoundState
from abroad.selection.models import Application, Assignment, Call, CallOffer, Round
from abroad.selection.services import SelectionError
from tests.concurrency import race, require_postgres
from tests.factories import CourseOfStudyFactory, OfferFactory, SchoolFactory, UserFactory

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

STUDENTS = 4


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    require_postgres()


def _offered_to_all(seats: int) -> list[Assignment]:
    """A published round where STUDENTS students were each offered the same seat(s) (as the
    office may do by hand, or a stale page may allow)."""
    now = timezone.now()
    course = CourseOfStudyFactory.create(school=SchoolFactory.create(code="3I"))
    call = Call.objects.create(
        code="race",
        title="Race",
        academic_year=2027,
        opens_at=now - dt.timedelta(days=2),
        closes_at=now - dt.timedelta(days=1),
    )
    call_offer = CallOffer.objects.create(
        call=call, offer=OfferFactory.create(courses=[course]), seats=seats
    )
    round_ = Round.objects.create(
        call=call,
        number=1,
        state=RoundState.PUBLISHED,
        acceptance_deadline=now + dt.timedelta(days=1),
    )
    assignments = []
    for n in range(STUDENTS):
        student = UserFactory.create(
            username=f"racer{n}", role=Role.STUDENT, course_of_study=course
        )
        application = Application.objects.create(
            call=call, student=student, state=ApplicationState.SUBMITTED, rank=n + 1
        )
        assignments.append(
            Assignment.objects.create(
                round=round_,
                application=application,
                call_offer=call_offer,
                choice=1,
                state=AssignmentState.OFFERED,
            )
        )
    return assignments


def _accept_all_at_once(
    assignments: list[Assignment], monkeypatch: pytest.MonkeyPatch, *, lock_seats: bool = True
) -> list[str]:
    return race(
        assignments,
        lambda assignment: services.accept_assignment(
            assignment=assignment, actor=None, lock_seats=lock_seats
        ),
        SelectionError,
        module=services,
        wait_after="create_mobility",
        monkeypatch=monkeypatch,
    )


def test_without_the_lock_concurrent_acceptances_overbook(monkeypatch: pytest.MonkeyPatch) -> None:
    assignments = _offered_to_all(seats=1)
    outcomes = _accept_all_at_once(assignments, monkeypatch, lock_seats=False)
    accepted = Assignment.objects.filter(state=AssignmentState.ACCEPTED).count()
    assert outcomes.count("accepted") == accepted
    assert accepted > 1, "the race did not happen: the test would not see a missing lock"


def test_with_the_lock_no_seat_is_ever_overbooked(monkeypatch: pytest.MonkeyPatch) -> None:
    assignments = _offered_to_all(seats=1)
    outcomes = _accept_all_at_once(assignments, monkeypatch)
    assert sorted(outcomes) == ["Sorry: every seat of this destination has been taken."] * (
        STUDENTS - 1
    ) + ["accepted"]
    assert Assignment.objects.filter(state=AssignmentState.ACCEPTED).count() == 1


def test_with_the_lock_two_seats_go_to_exactly_two(monkeypatch: pytest.MonkeyPatch) -> None:
    assignments = _offered_to_all(seats=2)
    outcomes = _accept_all_at_once(assignments, monkeypatch)
    assert outcomes.count("accepted") == 2
    assert Assignment.objects.filter(state=AssignmentState.ACCEPTED).count() == 2
