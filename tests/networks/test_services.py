"""ATHENS through the services: applying until the deadline (refusals leave the draft as it
was), eligibility, ranking, the allocation of course places (capacities, one course per
student, explanations), publication, accepting (a nomination and a short mobility) or
declining, closing, and the results recorded for recognition."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from abroad.catalogue.enums import Programme
from abroad.core.models import AuditEvent
from abroad.matching.explanation import summary
from abroad.mobility.enums import MobilityKind
from abroad.mobility.models import Mobility
from abroad.networks import services
from abroad.networks.enums import AllocationState, ApplicationState, ResultsState
from abroad.networks.models import AthensAllocation, AthensApplication, AthensSession
from abroad.networks.services import NetworksError
from abroad.people.enums import Role
from abroad.people.models import User
from tests.factories import AgreementFactory, OfferFactory, UserFactory
from tests.networks.factories import CareerFactory, CourseFactory, SessionFactory, in_days

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _student(name: str, average: str = "27.00", **career: object) -> User:
    student = UserFactory.create(username=name, role=Role.STUDENT, last_name=name.title())
    CareerFactory.create(
        student=student,
        average_bachelor=Decimal(average),
        average_master=Decimal(average),
        **career,
    )
    return student


def _applied(session: AthensSession, student: User, courses: list[int]) -> AthensApplication:
    services.save_choices(session=session, student=student, course_ids=courses)
    services.save_motivation(session=session, student=student, motivation="Because.")
    application = AthensApplication.objects.get(session=session, student=student)
    return services.submit_application(application=application, actor=student)


def _close(session: AthensSession) -> None:
    AthensSession.objects.filter(pk=session.pk).update(
        applications_close_at=timezone.now() - dt.timedelta(seconds=1)
    )
    session.refresh_from_db()


# ----------------------------------------------------------------------- applying


def test_choices_are_saved_in_order_and_replace_the_previous_ones() -> None:
    session = SessionFactory.create()
    a, b, c = (CourseFactory.create(session=session) for _ in range(3))
    student = _student("anna")
    services.save_choices(session=session, student=student, course_ids=[a.pk, b.pk])
    application = services.save_choices(
        session=session, student=student, course_ids=[c.pk, a.pk, b.pk]
    )
    assert list(application.choices.values_list("course_id", flat=True)) == [c.pk, a.pk, b.pk]
    assert application.state == ApplicationState.DRAFT
    assert AuditEvent.objects.filter(action="athens.choices_saved").count() == 2


def test_more_than_the_maximum_twice_the_same_or_another_session_is_refused() -> None:
    session = SessionFactory.create(max_choices=2)
    a, b, c = (CourseFactory.create(session=session) for _ in range(3))
    other = CourseFactory.create()
    student = _student("anna")
    with pytest.raises(NetworksError, match=r"You can rank at most 2 courses."):
        services.save_choices(session=session, student=student, course_ids=[a.pk, b.pk, c.pk])
    with pytest.raises(NetworksError, match=r"Each course can be ranked only once."):
        services.save_choices(session=session, student=student, course_ids=[a.pk, a.pk])
    with pytest.raises(NetworksError, match=r"One of the courses is not in this session."):
        services.save_choices(session=session, student=student, course_ids=[other.pk])
    assert not AthensApplication.objects.exists()


def test_after_the_deadline_every_change_is_refused_and_the_draft_is_untouched() -> None:
    session = SessionFactory.create()
    a, b = CourseFactory.create(session=session), CourseFactory.create(session=session)
    student = _student("anna")
    services.save_choices(session=session, student=student, course_ids=[a.pk])
    services.save_motivation(session=session, student=student, motivation="First words.")
    closes = session.applications_close_at
    at_deadline = closes  # closed from the closing instant included
    with pytest.raises(NetworksError, match=r"closed on .*: nothing was changed."):
        services.save_choices(
            session=session, student=student, course_ids=[b.pk, a.pk], now=at_deadline
        )
    with pytest.raises(NetworksError, match=r"nothing was changed"):
        services.save_motivation(
            session=session, student=student, motivation="Late.", now=at_deadline
        )
    application = AthensApplication.objects.get()
    with pytest.raises(NetworksError, match=r"nothing was changed"):
        services.submit_application(application=application, actor=student, now=at_deadline)
    application.refresh_from_db()
    assert list(application.choices.values_list("course_id", flat=True)) == [a.pk]
    assert application.motivation == "First words."
    assert application.state == ApplicationState.DRAFT
    # One second before, it is still open.
    services.save_choices(
        session=session,
        student=student,
        course_ids=[b.pk],
        now=closes - dt.timedelta(seconds=1),
    )


def test_before_the_opening_applying_is_refused() -> None:
    session = SessionFactory.create(
        applications_open_at=in_days(2), applications_close_at=in_days(9)
    )
    course = CourseFactory.create(session=session)
    with pytest.raises(NetworksError, match=r"Applications to this session open on"):
        services.save_choices(session=session, student=_student("anna"), course_ids=[course.pk])


def test_eligibility_reasons_come_from_the_career() -> None:
    session = SessionFactory.create(min_credits=100)
    weak = _student("weak", first_year_completed=False, credits_bachelor=40, credits_master=0)
    assert services.eligibility_problems(session, weak) == [
        "You must have completed your first year.",
        "You need at least 100 credits; you have 40.",
    ]
    assert services.eligibility_problems(session, UserFactory.create(role=Role.STUDENT)) == [
        "Your career data has not reached us from the registrar yet."
    ]
    assert services.eligibility_problems(session, _student("good")) == []


def test_submit_needs_eligibility_a_course_and_a_motivation() -> None:
    session = SessionFactory.create()
    course = CourseFactory.create(session=session)
    weak = _student("weak", first_year_completed=False)
    services.save_choices(session=session, student=weak, course_ids=[course.pk])
    services.save_motivation(session=session, student=weak, motivation="Yes.")
    application = AthensApplication.objects.get(student=weak)
    with pytest.raises(NetworksError, match=r"You must have completed your first year."):
        services.submit_application(application=application, actor=weak)
    good = _student("good")
    services.save_motivation(session=session, student=good, motivation="Yes.")
    empty = AthensApplication.objects.get(student=good)
    with pytest.raises(NetworksError, match=r"Rank at least one course before submitting."):
        services.submit_application(application=empty, actor=good)
    services.save_choices(session=session, student=good, course_ids=[course.pk])
    services.save_motivation(session=session, student=good, motivation="  ")
    with pytest.raises(NetworksError, match=r"Write your motivation before submitting."):
        services.submit_application(application=empty, actor=good)


def test_submit_withdraw_and_submit_again() -> None:
    session = SessionFactory.create()
    course = CourseFactory.create(session=session)
    student = _student("anna")
    application = _applied(session, student, [course.pk])
    assert application.state == ApplicationState.SUBMITTED
    assert application.submitted_at is not None
    services.withdraw_application(application=application, actor=student)
    application.refresh_from_db()
    assert application.state == ApplicationState.WITHDRAWN
    # Saving again brings it back to a draft, to submit again.
    services.save_choices(session=session, student=student, course_ids=[course.pk])
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT
    services.submit_application(application=application, actor=student)
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED


def test_a_draft_cannot_be_withdrawn() -> None:
    session = SessionFactory.create()
    student = _student("anna")
    application = services.save_motivation(session=session, student=student, motivation="x")
    with pytest.raises(NetworksError, match=r"Only a submitted application can be withdrawn."):
        services.withdraw_application(application=application, actor=student)


# -------------------------------------------------------------- ranking and allocation


def test_ranking_and_allocation_must_wait_for_the_deadline() -> None:
    session = SessionFactory.create()
    with pytest.raises(NetworksError, match=r"Applications are open until"):
        services.rank_session(session=session)
    with pytest.raises(NetworksError, match=r"Applications are open until"):
        services.allocate_session(session=session)


def test_allocation_respects_places_gives_one_course_per_student_and_explains() -> None:
    session = SessionFactory.create(year=2027)  # academic year 2026/2027
    popular = CourseFactory.create(session=session, capacity=1, title="Robotics")
    second = CourseFactory.create(session=session, capacity=2, title="Energy")
    third = CourseFactory.create(session=session, capacity=1, title="Water")
    best = _applied(session, _student("best", "29.00"), [popular.pk, second.pk, third.pk])
    good = _applied(session, _student("good", "27.00"), [popular.pk, second.pk])
    fair = _applied(session, _student("fair", "25.00"), [popular.pk, second.pk, third.pk])
    last = _applied(session, _student("last", "23.00"), [popular.pk, second.pk])
    ineligible = _student("late", first_year_completed=False)
    services.save_choices(session=session, student=ineligible, course_ids=[third.pk])
    _close(session)

    assert services.rank_session(session=session) == 4
    ranks = {
        a.student.username: a.rank for a in AthensApplication.objects.select_related("student")
    }
    assert ranks == {"best": 1, "good": 2, "fair": 3, "last": 4, "late": None}
    best.refresh_from_db()
    assert best.score == Decimal("33.000")  # 29 + 0.1 * (210 / 3 - 30)
    assert best.score_details["credits_per_year"] == "70.000"

    result = services.allocate_session(session=session)
    assert result.method == "serial dictatorship"
    given = {
        a.application.student.username: (a.course_id, a.choice, a.state)
        for a in AthensAllocation.objects.select_related("application__student")
    }
    assert given == {
        "best": (popular.pk, 1, AllocationState.OFFERED),
        "good": (second.pk, 2, AllocationState.OFFERED),
        "fair": (second.pk, 2, AllocationState.OFFERED),
        "last": (None, None, AllocationState.NONE),
    }
    counts = {course.pk: 0 for course in (popular, second, third)}
    for allocation in AthensAllocation.objects.exclude(course=None):
        counts[allocation.course_id] += 1  # type: ignore[index]
    assert all(counts[c.pk] <= c.capacity for c in (popular, second, third))
    good_allocation = AthensAllocation.objects.get(application=good)
    assert summary(good_allocation.explanation) == (
        "2nd choice; your 1st choice was filled at score 33"
    )
    assert [s["option"] for s in good_allocation.explanation["skipped"]] == [popular.pk]
    last_allocation = AthensAllocation.objects.get(application=last)
    assert [s["reason"] for s in last_allocation.explanation["skipped"]] == ["filled", "filled"]
    fair.refresh_from_db()
    session.refresh_from_db()
    assert session.results_state == ResultsState.DRY_RUN
    # A new run replaces the previous one: still one allocation per application.
    services.allocate_session(session=session)
    assert AthensAllocation.objects.count() == 4


def test_nothing_to_allocate_without_a_ranking() -> None:
    session = SessionFactory.create()
    _close(session)
    with pytest.raises(NetworksError, match=r"Rank the applications first"):
        services.allocate_session(session=session)


def _published(places: int = 1, students: int = 2) -> tuple[AthensSession, list[AthensAllocation]]:
    session = SessionFactory.create()
    course = CourseFactory.create(session=session, capacity=places)
    for n in range(students):
        _applied(session, _student(f"s{n}", f"{28 - n}.00"), [course.pk])
    _close(session)
    services.rank_session(session=session)
    services.allocate_session(session=session)
    services.publish_results(session=session, acceptance_deadline=in_days(7))
    session.refresh_from_db()
    return session, list(
        AthensAllocation.objects.order_by("application__rank").select_related("application")
    )


def test_publishing_needs_an_allocation_and_a_future_deadline() -> None:
    session = SessionFactory.create()
    _close(session)
    with pytest.raises(NetworksError, match=r"Allocate the courses before publishing"):
        services.publish_results(session=session, acceptance_deadline=in_days(7))
    other = SessionFactory.create()
    course = CourseFactory.create(session=other)
    _applied(other, _student("z"), [course.pk])
    _close(other)
    services.rank_session(session=other)
    services.allocate_session(session=other)
    with pytest.raises(NetworksError, match=r"must be in the future"):
        services.publish_results(session=other, acceptance_deadline=in_days(-1))


def test_after_publication_the_ranking_and_allocation_are_frozen() -> None:
    session, _allocations = _published()
    with pytest.raises(NetworksError, match=r"The results are published"):
        services.rank_session(session=session)
    with pytest.raises(NetworksError, match=r"The results are published"):
        services.allocate_session(session=session)


def test_accepting_nominates_and_creates_a_short_mobility_when_the_host_has_an_agreement() -> None:
    session, allocations = _published()
    course = allocations[0].course
    assert course is not None
    OfferFactory.create(
        agreement=AgreementFactory.create(
            partner=course.host, programme=Programme.NETWORK, network=session.network
        ),
        months=1,
    )
    participation = services.accept_allocation(
        allocation_row=allocations[0], actor=allocations[0].application.student
    )
    allocations[0].refresh_from_db()
    assert allocations[0].state == AllocationState.ACCEPTED
    assert participation.course == course
    mobility = Mobility.objects.get()
    assert participation.mobility == mobility
    assert (mobility.kind, mobility.origin, mobility.planned_start) == (
        MobilityKind.SHORT,
        f"athens:{session.code}",
        course.starts_on,
    )
    with pytest.raises(NetworksError, match=r"You have already answered."):
        services.accept_allocation(allocation_row=allocations[0], actor=None)


def test_accepting_without_an_agreement_nominates_without_a_mobility() -> None:
    _session, allocations = _published()
    participation = services.accept_allocation(allocation_row=allocations[0], actor=None)
    assert participation.mobility is None
    assert not Mobility.objects.exists()


def test_a_course_is_never_accepted_beyond_its_places() -> None:
    _session, allocations = _published(places=1, students=2)
    # The office gave the same place twice by hand (a stale page could do the same).
    AthensAllocation.objects.filter(pk=allocations[1].pk).update(
        course=allocations[0].course, state=AllocationState.OFFERED
    )
    services.accept_allocation(allocation_row=allocations[0], actor=None)
    with pytest.raises(NetworksError, match=r"every place of this course has been taken"):
        services.accept_allocation(allocation_row=allocations[1], actor=None)
    assert AthensAllocation.objects.filter(state=AllocationState.ACCEPTED).count() == 1


def test_answers_after_the_deadline_are_refused_and_closing_expires_them() -> None:
    session, allocations = _published()
    late = session.acceptance_deadline
    assert late is not None
    with pytest.raises(NetworksError, match=r"The deadline to accept was"):
        services.accept_allocation(allocation_row=allocations[0], actor=None, now=late)
    with pytest.raises(NetworksError, match=r"The students can still answer"):
        services.close_session(session=session)
    assert services.close_session(session=session, now=late) == 1
    allocations[0].refresh_from_db()
    assert allocations[0].state == AllocationState.EXPIRED
    session.refresh_from_db()
    assert session.results_state == ResultsState.CLOSED


def test_declining_is_final() -> None:
    _session, allocations = _published()
    services.decline_allocation(allocation_row=allocations[0], actor=None)
    allocations[0].refresh_from_db()
    assert allocations[0].state == AllocationState.DECLINED
    with pytest.raises(NetworksError, match=r"You have already answered."):
        services.decline_allocation(allocation_row=allocations[0], actor=None)


def test_answering_an_unpublished_allocation_is_refused() -> None:
    session = SessionFactory.create()
    course = CourseFactory.create(session=session)
    _applied(session, _student("a"), [course.pk])
    _close(session)
    services.rank_session(session=session)
    services.allocate_session(session=session)
    with pytest.raises(NetworksError, match=r"not published"):
        services.accept_allocation(allocation_row=AthensAllocation.objects.get(), actor=None)


def test_the_office_records_the_ects_earned() -> None:
    _session, allocations = _published()
    office = UserFactory.create(role=Role.OFFICE)
    participation = services.accept_allocation(allocation_row=allocations[0], actor=None)
    with pytest.raises(NetworksError, match=r"Give the ECTS earned for a passed course."):
        services.record_result(
            participation=participation, passed=True, ects_earned=None, actor=office
        )
    with pytest.raises(NetworksError, match=r"A course that was not passed earns no credits."):
        services.record_result(
            participation=participation, passed=False, ects_earned=Decimal(2), actor=office
        )
    services.record_result(
        participation=participation, passed=True, ects_earned=Decimal("2.5"), actor=office
    )
    participation.refresh_from_db()
    assert (participation.passed, participation.ects_earned, participation.recorded_by) == (
        True,
        Decimal("2.5"),
        office,
    )
    assert list(services.nominations(allocations[0].application.session)) == [participation]
