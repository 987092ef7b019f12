"""Each rule of ATHENS sessions and double-degree plans, asked for each persona: the owner
(the application's or the mobility's student), another student, the promoter (the plan's
approver), the office, an anonymous visitor, a superuser (who is the office, never a
student)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from abroad.catalogue.enums import Programme
from abroad.mobility import services as mobility_services
from abroad.mobility.models import Mobility
from abroad.networks.enums import ApplicationState, PlanState
from abroad.networks.models import AthensAllocation, AthensApplication, DoubleDegreePlan
from abroad.people.models import User
from tests.factories import AgreementFactory, OfferFactory
from tests.networks.factories import ApplicationFactory
from tests.who_may import PERSONAS
from tests.who_may import who_may as _allowed

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def application(student: User) -> AthensApplication:
    """A submitted application to an open session."""
    application: AthensApplication = ApplicationFactory.create(
        student=student, state=ApplicationState.SUBMITTED, submitted_at=timezone.now()
    )
    return application


@pytest.fixture
def mobility(student: User, promoter: User) -> Mobility:
    """A double-degree mobility whose learning agreements (and plan) the promoter approves."""
    assert student.course_of_study is not None
    student.course_of_study.coordinators.add(promoter.promoter)
    offer = OfferFactory.create(
        agreement=AgreementFactory.create(programme=Programme.DOUBLE_DEGREE), months=24
    )
    return mobility_services.create_mobility(
        student=student, offer=offer, academic_year=2027, origin="test"
    )


def test_applications(people: dict[str, object], application: AthensApplication) -> None:
    assert _allowed(people, "networks.view_session", application.session) == set(PERSONAS)
    assert _allowed(people, "networks.apply_to_session", None) == {"owner", "other_student"}
    assert _allowed(people, "networks.view_athens_application", application) == {
        "owner",
        "office",
        "school_office",
        "superuser",
    }
    assert _allowed(people, "networks.change_athens_application", application) == {"owner"}


def test_withdraw_while_submitted_and_open(
    people: dict[str, object], application: AthensApplication
) -> None:
    perm = "networks.withdraw_athens_application"
    assert _allowed(people, perm, application) == {"owner"}
    application.state = ApplicationState.DRAFT
    assert _allowed(people, perm, application) == set()
    application.state = ApplicationState.SUBMITTED
    application.session.applications_close_at = timezone.now() - dt.timedelta(seconds=1)
    assert _allowed(people, perm, application) == set()


def test_answer_allocation(people: dict[str, object], application: AthensApplication) -> None:
    allocation = AthensAllocation(application=application)
    assert _allowed(people, "networks.answer_allocation", allocation) == {"owner"}


def test_manage_sessions(people: dict[str, object]) -> None:
    # a session ranks every School's students together: the unscoped office runs it
    assert _allowed(people, "networks.manage_sessions", None) == {"office", "superuser"}


def test_plans_follow_their_state(people: dict[str, object], mobility: Mobility) -> None:
    offices = {"office", "school_office", "superuser"}  # never another School's office
    everyone_who_sees = {"owner", "promoter", *offices}
    assert _allowed(people, "networks.view_plan", mobility) == everyone_who_sees
    assert _allowed(people, "networks.edit_plan", mobility) == {"owner", *offices}
    assert _allowed(people, "networks.approve_plan", mobility) == {"promoter"}
    # no plan yet: it can be written, there is nothing to decide
    assert _allowed(people, "networks.change_plan", mobility) == {"owner", *offices}
    assert _allowed(people, "networks.decide_plan", mobility) == set()
    plan = DoubleDegreePlan.objects.create(
        mobility=mobility, credits_at_partner=90, credits_recognised_at_home=60
    )
    plan.state = PlanState.SUBMITTED
    plan.save()
    assert _allowed(people, "networks.change_plan", mobility) == set()
    assert _allowed(people, "networks.decide_plan", mobility) == {"promoter"}
