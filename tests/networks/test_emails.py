"""The ATHENS and double-degree e-mails, through the outbox: sent when the transaction
commits, to the student, with what they need to act and a link to the page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from abroad.networks import services
from abroad.networks.enums import AllocationState
from abroad.networks.models import AthensAllocation, AthensApplication, AthensSession
from abroad.people.models import User
from tests.networks.factories import CourseFactory, SessionFactory, in_days
from tests.networks.test_double_degree import double_degree_mobility
from tests.networks.test_services import _close, _student

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def site(settings: Any) -> None:
    settings.SITE_URL = "https://mobility.example.org"


def test_submitting_confirms_the_courses_in_order() -> None:
    session = SessionFactory.create()
    first = CourseFactory.create(session=session, title="Robotics in Madrid")
    second = CourseFactory.create(session=session, title="Bridges in Delft")
    student = _student("anna")
    services.save_choices(session=session, student=student, course_ids=[first.pk, second.pk])
    services.save_motivation(session=session, student=student, motivation="Because.")
    assert mail.outbox == []  # a draft sends nothing
    application = AthensApplication.objects.get(session=session, student=student)
    services.submit_application(application=application, actor=student)
    [message] = mail.outbox
    assert message.to == [student.email]
    assert str(session) in message.subject
    assert message.body.index("1. Robotics in Madrid") < message.body.index("2. Bridges in Delft")
    assert f"https://mobility.example.org{session.get_absolute_url()}" in message.body


def test_publishing_tells_each_student_their_place_or_that_there_is_none() -> None:
    session: AthensSession = SessionFactory.create()
    course = CourseFactory.create(session=session, capacity=1, title="Robotics in Madrid")
    winner, other = _student("anna", "29.00"), _student("bruno", "25.00")
    for student in (winner, other):
        services.save_choices(session=session, student=student, course_ids=[course.pk])
        services.save_motivation(session=session, student=student, motivation="Because.")
        services.submit_application(
            application=AthensApplication.objects.get(session=session, student=student),
            actor=student,
        )
    _close(session)
    mail.outbox.clear()
    services.rank_session(session=session)
    services.allocate_session(session=session)
    assert mail.outbox == []  # a dry run is not news for the students
    services.publish_results(session=session, acceptance_deadline=in_days(7))
    by_student = {m.to[0]: m for m in mail.outbox}
    assert set(by_student) == {winner.email, other.email}
    assert "Robotics in Madrid" in by_student[winner.email].body
    assert "choice number 1" in by_student[winner.email].body
    assert "no place for you" in by_student[other.email].body
    offered = AthensAllocation.objects.get(application__student=winner)
    assert offered.state == AllocationState.OFFERED


def test_the_student_hears_the_promoters_decision_on_the_plan(
    student: User, promoter: User
) -> None:
    mobility = double_degree_mobility(student)
    assert student.course_of_study is not None
    student.course_of_study.coordinators.add(promoter.promoter)  # who approves the plan
    services.save_plan(
        mobility=mobility,
        actor=student,
        credits_at_partner=90,
        credits_recognised_at_home=60,
        thesis_at_home=True,
        thesis_at_partner=True,
        study_plan="Two years at the partner.",
    )
    plan = services.submit_plan(plan=mobility.double_degree_plan, actor=student)
    mail.outbox.clear()
    services.decide_plan(plan=plan, approve=False, comment="Add the thesis topic.", actor=promoter)
    [returned] = mail.outbox
    assert returned.to == [student.email]
    assert "needs changes" in returned.subject
    assert "Add the thesis topic." in returned.body
    assert f"https://mobility.example.org{plan.get_absolute_url()}" in returned.body
