"""Accepting ATHENS places under concurrency, on PostgreSQL: with the course's row locked,
never more acceptances than places; with the lock removed, the race overbooks (which proves
the test can see the bug it guards against). The pattern of tests/selection."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from abroad.networks import services
from abroad.networks.enums import AllocationState, ApplicationState, ResultsState
from abroad.networks.models import AthensAllocation, AthensApplication
from abroad.networks.services import NetworksError
from abroad.people.enums import Role
from tests.concurrency import race, require_postgres
from tests.factories import UserFactory
from tests.networks.factories import CourseFactory, SessionFactory

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

STUDENTS = 4


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    require_postgres()


def _offered_to_all(places: int) -> list[AthensAllocation]:
    """A published session where STUDENTS students were each offered the same course."""
    now = timezone.now()
    session = SessionFactory.create(
        applications_open_at=now - dt.timedelta(days=2),
        applications_close_at=now - dt.timedelta(days=1),
        results_state=ResultsState.PUBLISHED,
        acceptance_deadline=now + dt.timedelta(days=1),
    )
    course = CourseFactory.create(session=session, capacity=places)
    allocations = []
    for n in range(STUDENTS):
        student = UserFactory.create(username=f"racer{n}", role=Role.STUDENT)
        application = AthensApplication.objects.create(
            session=session, student=student, state=ApplicationState.SUBMITTED, rank=n + 1
        )
        allocations.append(
            AthensAllocation.objects.create(
                application=application, course=course, choice=1, state=AllocationState.OFFERED
            )
        )
    return allocations


def _accept_all_at_once(
    allocations: list[AthensAllocation], monkeypatch: pytest.MonkeyPatch, *, lock_seats: bool = True
) -> list[str]:
    return race(
        allocations,
        lambda allocation: services.accept_allocation(
            allocation_row=allocation, actor=None, lock_seats=lock_seats
        ),
        NetworksError,
        module=services,
        wait_after="_nominate",
        monkeypatch=monkeypatch,
    )


def test_without_the_lock_concurrent_acceptances_overbook(monkeypatch: pytest.MonkeyPatch) -> None:
    allocations = _offered_to_all(places=1)
    outcomes = _accept_all_at_once(allocations, monkeypatch, lock_seats=False)
    accepted = AthensAllocation.objects.filter(state=AllocationState.ACCEPTED).count()
    assert outcomes.count("accepted") == accepted
    assert accepted > 1, "the race did not happen: the test would not see a missing lock"


def test_with_the_lock_no_place_is_ever_overbooked(monkeypatch: pytest.MonkeyPatch) -> None:
    allocations = _offered_to_all(places=1)
    outcomes = _accept_all_at_once(allocations, monkeypatch)
    assert sorted(outcomes) == ["Sorry: every place of this course has been taken."] * (
        STUDENTS - 1
    ) + ["accepted"]
    assert AthensAllocation.objects.filter(state=AllocationState.ACCEPTED).count() == 1


def test_with_the_lock_two_places_go_to_exactly_two(monkeypatch: pytest.MonkeyPatch) -> None:
    allocations = _offered_to_all(places=2)
    outcomes = _accept_all_at_once(allocations, monkeypatch)
    assert outcomes.count("accepted") == 2
    assert AthensAllocation.objects.filter(state=AllocationState.ACCEPTED).count() == 2
