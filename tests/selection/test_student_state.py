"""The student's state on a call, in one word by one rule (selection/student_state.py), and
the pages that say it (issue 18, point 13): no "cannot apply yet" on a closed call of another
School, no "submitted" after the student accepted a seat, and a warning (to the student and to
the office) when an accepted seat stands beside another application still in the running."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from abroad.catalogue.models import CourseOfStudy
from abroad.matching.window import WindowState
from abroad.people.models import User
from abroad.selection.enums import ApplicationState, AssignmentState, RoundState
from abroad.selection.models import Application, Assignment, Call
from abroad.selection.student_state import Answer, StudentState, double_commitment, state_of
from tests.factories import OfferFactory, SchoolFactory
from tests.selection.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    CallOfferFactory,
    RoundFactory,
    StudentCareerFactory,
)

OPEN, CLOSED = WindowState.OPEN, WindowState.CLOSED


# ------------------------------------------------------------------------------ the rule


@pytest.mark.unit
@pytest.mark.parametrize(
    ("application", "eligible", "answers", "window", "expected"),
    [
        (None, None, [], OPEN, StudentState.NOT_STARTED),
        (None, None, [], WindowState.UPCOMING, StudentState.NOT_STARTED),
        (None, None, [], CLOSED, StudentState.NOT_APPLIED),
        ("draft", None, [], OPEN, StudentState.DRAFT),
        ("draft", None, [], CLOSED, StudentState.NOT_SUBMITTED),
        ("submitted", None, [], OPEN, StudentState.SUBMITTED),
        ("submitted", None, [], CLOSED, StudentState.SUBMITTED),
        ("submitted", False, [], CLOSED, StudentState.NOT_ELIGIBLE),
        ("withdrawn", None, [], CLOSED, StudentState.WITHDRAWN),
        ("submitted", True, [Answer(1, "offered")], CLOSED, StudentState.SEAT_OFFERED),
        ("submitted", True, [Answer(1, "accepted")], CLOSED, StudentState.ACCEPTED),
        ("submitted", True, [Answer(1, "renounced")], CLOSED, StudentState.RENOUNCED),
        ("submitted", True, [Answer(1, "expired")], CLOSED, StudentState.EXPIRED),
        ("submitted", True, [Answer(1, "none")], CLOSED, StudentState.NO_SEAT),
        # A later round decides, but an accepted seat stays accepted.
        ("submitted", True, [Answer(2, "offered"), Answer(1, "none")], CLOSED, "seat_offered"),
        ("submitted", True, [Answer(1, "accepted"), Answer(2, "none")], CLOSED, "accepted"),
    ],
)
def test_state_of(
    application: str | None,
    eligible: bool | None,
    answers: list[Answer],
    window: WindowState,
    expected: str,
) -> None:
    state = state_of(
        application_state=application, eligible=eligible, answers=answers, window=window
    )
    assert state == expected
    assert str(state.label)


@pytest.mark.unit
def test_double_commitment() -> None:
    accepted, submitted, draft = StudentState.ACCEPTED, StudentState.SUBMITTED, StudentState.DRAFT
    assert double_commitment([(1, accepted), (2, submitted), (3, draft)]) == ([1], [2])
    assert double_commitment([(1, accepted), (3, draft)]) == ([], [])
    assert double_commitment([(2, submitted), (3, StudentState.SEAT_OFFERED)]) == ([], [])
    assert double_commitment([(1, accepted), (3, StudentState.NO_SEAT)]) == ([1], [3])


# ------------------------------------------------------------------------------ the pages


def _close(call: Call) -> None:
    now = timezone.now()
    call.opens_at = now - dt.timedelta(days=30)
    call.closes_at = now - dt.timedelta(minutes=1)
    call.save()


@pytest.fixture
def course(student: User) -> CourseOfStudy:
    assert student.course_of_study is not None
    return student.course_of_study


def _accepted(call: Call, student: User, course: CourseOfStudy) -> Assignment:
    """The student applied to ``call`` (now closed) and accepted a seat in its first round."""
    _close(call)
    call_offer = CallOfferFactory.create(
        call=call, offer=OfferFactory.create(courses=[course], agreement__partner__name="Aalto")
    )
    application = ApplicationFactory.create(
        call=call, student=student, state=ApplicationState.SUBMITTED, eligible=True
    )
    round_ = RoundFactory.create(call=call, state=RoundState.PUBLISHED)
    assignment: Assignment = AssignmentFactory.create(
        round=round_,
        application=application,
        call_offer=call_offer,
        state=AssignmentState.ACCEPTED,
        decided_at=timezone.now(),
    )
    return assignment


@pytest.mark.integration
@pytest.mark.django_db
def test_a_closed_call_of_another_school_does_not_say_cannot_apply_yet(
    personas: dict[str, Client], student: User
) -> None:
    StudentCareerFactory.create(student=student)
    other = CallFactory.create(schools=[SchoolFactory.create(code="DES", name="Design")])
    _close(other)
    text = personas["student"].get(other.get_absolute_url()).text
    assert "yet" not in text.split("<main")[1].split("</main>")[0].replace("not yet", "")
    assert "You cannot apply to this call" not in text  # closed: nothing to apply to
    assert "closed: you did not apply" in text
    other.closes_at = timezone.now() + dt.timedelta(days=3)
    other.save()
    open_text = personas["student"].get(other.get_absolute_url()).text
    assert "You cannot apply to this call" in open_text
    assert "This call is not for your School." in open_text
    assert "You cannot apply to this call yet" not in open_text


@pytest.mark.integration
@pytest.mark.django_db
def test_my_calls_says_seat_accepted_not_submitted(
    personas: dict[str, Client], student: User, course: CourseOfStudy
) -> None:
    _accepted(CallFactory.create(title="Last call"), student, course)
    text = personas["student"].get(reverse("selection:calls")).text
    earlier = text.split("Your other applications")[1]
    assert "seat accepted" in earlier
    assert ">Submitted<" not in earlier
    assert ">submitted<" not in earlier


@pytest.mark.integration
@pytest.mark.django_db
def test_my_calls_says_a_closed_draft_was_not_submitted(
    personas: dict[str, Client], student: User
) -> None:
    call = CallFactory.create(title="Missed call")
    ApplicationFactory.create(call=call, student=student, state=ApplicationState.DRAFT)
    _close(call)
    text = personas["student"].get(reverse("selection:calls")).text
    assert "closed: not submitted" in text.split("Your other applications")[1]


@pytest.mark.integration
@pytest.mark.django_db
def test_an_accepted_seat_beside_another_live_application_is_warned(
    personas: dict[str, Client], student: User, course: CourseOfStudy
) -> None:
    first = CallFactory.create(title="First call")
    _accepted(first, student, course)
    second = CallFactory.create(title="Second call")
    CallOfferFactory.create(call=second, offer=OfferFactory.create(courses=[course]))
    application = ApplicationFactory.create(
        call=second, student=student, state=ApplicationState.SUBMITTED
    )
    heading = "You have accepted a seat and applied elsewhere"
    calls = personas["student"].get(reverse("selection:calls")).text
    assert heading in calls
    warning = calls.split(heading)[1].split("</article>")[0]
    assert "First call" in warning
    assert "Second call" in warning
    page = personas["student"].get(second.get_absolute_url()).text
    assert heading in page
    assert heading in personas["student"].get(first.get_absolute_url()).text
    url = reverse("selection:application", kwargs={"code": second.code, "pk": application.pk})
    office = personas["office"].get(url).text
    assert "This student has accepted a seat elsewhere" in office
    assert "First call" in office.split("This student has accepted a seat elsewhere")[1]
    # Withdrawn, the other application no longer competes: no warning anywhere.
    Application.objects.filter(pk=application.pk).update(state=ApplicationState.WITHDRAWN)
    assert heading not in personas["student"].get(reverse("selection:calls")).text
    assert heading not in personas["student"].get(second.get_absolute_url()).text
    assert "accepted a seat elsewhere" not in personas["office"].get(url).text


@pytest.mark.integration
@pytest.mark.django_db
def test_the_call_page_says_the_state_and_follows_the_ranking(
    personas: dict[str, Client], student: User, course: CourseOfStudy
) -> None:
    call = CallFactory.create()
    call_offer = CallOfferFactory.create(
        call=call, offer=OfferFactory.create(courses=[course], language_level="")
    )
    text = personas["student"].get(call.get_absolute_url()).text
    assert '<span class="badge state-not_started" id="student-state">not started</span>' in text
    panel = (
        personas["student"]
        .post(
            reverse("selection:ranking", kwargs={"code": call.code}),
            {"offer": [call_offer.pk], "moved": call_offer.pk},
            HTTP_HX_REQUEST="true",
        )
        .text
    )
    assert '<span class="badge state-draft" id="student-state">draft: not submitted</span>' in (
        panel
    )
