"""Each rule of calls, asked for each persona: the application's student (the owner), another
student, a promoter of the call's School, the office, an anonymous visitor, a superuser (who
is the office, never a student)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from abroad.core.permissions import can
from abroad.people.models import User
from abroad.selection.enums import ApplicationState
from abroad.selection.models import Application
from tests.factories import PromoterFactory, SchoolFactory
from tests.selection.factories import ApplicationFactory, AssignmentFactory, CallFactory
from tests.who_may import PERSONAS
from tests.who_may import who_may as _allowed

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def application(student: User, promoter: User) -> Application:
    """A submitted application to an open call of the promoter's School."""
    call = CallFactory.create(schools=[promoter.promoter.school])
    application: Application = ApplicationFactory.create(
        call=call, student=student, state=ApplicationState.SUBMITTED, submitted_at=timezone.now()
    )
    return application


def test_view_application(people: dict[str, object], application: Application) -> None:
    assert _allowed(people, "selection.view_application", application) == {
        "owner",
        "promoter",
        "office",
        "school_office",
        "superuser",
    }


def test_change_application(people: dict[str, object], application: Application) -> None:
    assert _allowed(people, "selection.change_application", application) == {"owner"}


def test_withdraw_application_while_submitted_and_open(
    people: dict[str, object], application: Application
) -> None:
    assert _allowed(people, "selection.withdraw_application", application) == {"owner"}
    application.state = ApplicationState.DRAFT
    assert _allowed(people, "selection.withdraw_application", application) == set()
    application.state = ApplicationState.SUBMITTED
    application.call.closes_at = timezone.now() - dt.timedelta(seconds=1)
    assert _allowed(people, "selection.withdraw_application", application) == set()


def test_apply_to_call(people: dict[str, object]) -> None:
    assert _allowed(people, "selection.apply_to_call", None) == {"owner", "other_student"}


def test_view_call_is_public(people: dict[str, object], application: Application) -> None:
    assert _allowed(people, "selection.view_call", application.call) == set(PERSONAS)


def test_assignment(people: dict[str, object], application: Application) -> None:
    assignment = AssignmentFactory.create(round__call=application.call, application=application)
    assert _allowed(people, "selection.view_assignment", assignment) == {
        "owner",
        "promoter",
        "office",
        "school_office",
        "superuser",
    }
    assert _allowed(people, "selection.answer_assignment", assignment) == {"owner"}


OFFICES = {"office", "school_office", "other_school_office", "superuser"}


def test_office_rules(people: dict[str, object], application: Application) -> None:
    # the office's pages: every office user (the lists are scoped)
    assert _allowed(people, "selection.manage_calls", None) == OFFICES
    assert _allowed(people, "selection.view_office_calls", None) == {"promoter", *OFFICES}
    # one call: the office of its Schools, and the unscoped office
    assert _allowed(people, "selection.manage_calls", application.call) == {
        "office",
        "school_office",
        "superuser",
    }
    assert _allowed(people, "selection.view_ranking", application.call) == {
        "promoter",
        "office",
        "school_office",
        "superuser",
    }


def test_another_schools_office_neither_ranks_nor_opens_rounds(
    people: dict[str, object], application: Application
) -> None:
    call = application.call
    call.closes_at = timezone.now() - dt.timedelta(seconds=1)
    assert _allowed(people, "selection.rank_call", call) == {
        "office",
        "school_office",
        "superuser",
    }
    assert _allowed(people, "selection.create_round", call) == {
        "office",
        "school_office",
        "superuser",
    }


def test_a_scope_takes_in_the_schools_sections(application: Application) -> None:
    from tests.factories import UserFactory

    section = SchoolFactory.create(code="3I-EN", name="Energy", parent=SchoolFactory.create())
    call = CallFactory.create(schools=[section])
    scoped = UserFactory.create(role="office", office_school=SchoolFactory.create())
    assert can(scoped, "selection.manage_calls", call)
    section_office = UserFactory.create(role="office", office_school=section)
    assert not can(section_office, "selection.manage_calls", CallFactory.create(schools=[]))


def test_a_promoter_of_another_school_reads_no_ranking(application: Application) -> None:
    design = SchoolFactory.create(code="DES", name="School of Design")
    other = PromoterFactory.create(user__username="designer", school=design).user
    assert not can(other, "selection.view_ranking", application.call)
    assert not can(other, "selection.view_application", application)
    assert can(other, "selection.view_office_calls")  # their own School's calls
