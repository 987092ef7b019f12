"""recognition/rules.py, predicate by predicate, for everybody who may ask: the mobility's
student, another student, the approving promoter, another promoter, the office, an anonymous
visitor and a superuser. A superuser counts as the office (``people.rules.is_office``) and is
nobody's student and nobody's promoter: rules, never ``user.has_perm``."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from abroad.core.permissions import can
from abroad.mobility.models import Mobility
from abroad.people.enums import Role
from abroad.people.models import User
from abroad.recognition import rules as recognition_rules
from abroad.recognition import services
from abroad.recognition.enums import TranscriptState
from abroad.recognition.models import RecognitionLine, Transcript
from abroad.recognition.services import EntryData
from tests.factories import PromoterFactory, UserFactory
from tests.mobility.factories import coordinate
from tests.recognition.factories import EndedMobilityFactory, signed_agreement, standard

pytestmark = pytest.mark.django_db

PEOPLE = (
    "student",
    "other_student",
    "approver",
    "other_promoter",
    "office",
    "school_office",
    "other_school_office",
    "anonymous",
    "admin",
)


@pytest.fixture
def mobility() -> Mobility:
    return EndedMobilityFactory.create()


@pytest.fixture
def people(mobility: Mobility, school_office: User, other_school_office: User) -> dict[str, Any]:
    approver: User = PromoterFactory.create(user__username="approver").user
    coordinate(mobility, approver)
    return {
        "student": mobility.student,
        "other_student": UserFactory.create(username="other_student"),
        "approver": approver,
        "other_promoter": PromoterFactory.create(user__username="other_promoter").user,
        "office": UserFactory.create(username="office", role=Role.OFFICE),
        "school_office": school_office,
        "other_school_office": other_school_office,
        "anonymous": AnonymousUser(),
        "admin": UserFactory.create(username="admin", is_superuser=True, is_staff=True),
    }


def transcript_in(mobility: Mobility, state: str) -> Transcript:
    """A transcript in ``state``, unsaved: the rules read its state and its mobility only."""
    return Transcript(mobility=mobility, state=state)


def who(people: dict[str, Any], predicate: Any, obj: Any) -> set[str]:
    return {name for name in PEOPLE if predicate.test(people[name], obj)}


def test_is_student_of(people: dict[str, Any], mobility: Mobility) -> None:
    transcript = transcript_in(mobility, TranscriptState.ENTERED)
    line = RecognitionLine(transcript=transcript, position=1)
    for obj in (mobility, transcript, line):
        assert who(people, recognition_rules.is_student_of, obj) == {"student"}
    assert who(people, recognition_rules.is_student_of, None) == set()


def test_is_approver_of(people: dict[str, Any], mobility: Mobility) -> None:
    transcript = transcript_in(mobility, TranscriptState.PROPOSED)
    for obj in (mobility, transcript):
        assert who(people, recognition_rules.is_approver_of, obj) == {"approver"}


STATES = ("", *TranscriptState.values)


@pytest.mark.parametrize(
    ("predicate", "states"),
    [
        ("transcript_editable", {"", "entered", "disputed", "accepted", "proposed"}),
        ("transcript_entered", {"entered"}),
        ("transcript_proposable", {"accepted", "proposed"}),
        ("transcript_proposed", {"proposed"}),
    ],
)
def test_the_state_predicates_are_the_same_for_everybody(
    people: dict[str, Any], mobility: Mobility, predicate: str, states: set[str]
) -> None:
    test = getattr(recognition_rules, predicate)
    for state in STATES:
        obj = transcript_in(mobility, state) if state else mobility  # "": no transcript yet
        expected = set(PEOPLE) if state in states else set()
        assert who(people, test, obj) == expected, state
    assert who(people, test, None) == set()


@pytest.mark.parametrize(
    ("predicate", "allowed"),
    [
        ("may_view_transcript", {"student", "approver", "office", "school_office", "admin"}),
        ("may_propose_recognition", {"approver", "office", "school_office", "admin"}),
        ("approving_promoter", {"approver"}),
    ],
)
def test_who_whatever_the_state(
    people: dict[str, Any], mobility: Mobility, predicate: str, allowed: set[str]
) -> None:
    test = getattr(recognition_rules, predicate)
    for state in TranscriptState.values:
        assert who(people, test, transcript_in(mobility, state)) == allowed, state


@pytest.mark.parametrize(
    ("predicate", "when", "allowed"),
    [
        (
            "can_enter_transcript",
            {"", "entered", "disputed", "accepted", "proposed"},
            {"office", "school_office", "admin"},
        ),
        ("can_accept_transcript", {"entered"}, {"student"}),
        (
            "can_propose_recognition",
            {"accepted", "proposed"},
            {"approver", "office", "school_office", "admin"},
        ),
        ("can_validate_recognition", {"proposed"}, {"approver"}),
    ],
)
def test_who_and_when(
    people: dict[str, Any],
    mobility: Mobility,
    predicate: str,
    when: set[str],
    allowed: set[str],
) -> None:
    test = getattr(recognition_rules, predicate)
    for state in STATES:
        obj = transcript_in(mobility, state) if state else mobility
        assert who(people, test, obj) == (allowed if state in when else set()), state


@pytest.mark.parametrize(
    ("perm", "allowed"),
    [
        (
            "recognition.view_transcript",
            {"student", "approver", "office", "school_office", "admin"},
        ),
        ("recognition.enter_transcript", {"office", "school_office", "admin"}),
        ("recognition.accept_transcript", {"student"}),
        ("recognition.propose_recognition", {"approver", "office", "school_office", "admin"}),
        ("recognition.validate_recognition", {"approver"}),
        ("recognition.enter_transcript_now", {"office", "school_office", "admin"}),
        ("recognition.accept_transcript_now", {"student"}),
        ("recognition.propose_recognition_now", set()),
        ("recognition.validate_recognition_now", set()),
    ],
)
def test_the_permissions_of_an_entered_transcript(
    people: dict[str, Any], mobility: Mobility, perm: str, allowed: set[str]
) -> None:
    transcript = transcript_in(mobility, TranscriptState.ENTERED)
    assert {name for name in PEOPLE if can(people[name], perm, transcript)} == allowed


@pytest.mark.parametrize(
    ("perm", "allowed"),
    [
        (
            "recognition.enter_transcript",
            {"office", "school_office", "other_school_office", "admin"},
        ),
        (
            "recognition.export_recognitions",
            {"office", "school_office", "other_school_office", "admin"},
        ),
        (
            "recognition.view_rules",
            {
                "approver",
                "other_promoter",
                "office",
                "school_office",
                "other_school_office",
                "admin",
            },
        ),
        (
            "recognition.view_desk",
            {
                "approver",
                "other_promoter",
                "office",
                "school_office",
                "other_school_office",
                "admin",
            },
        ),
        (
            "recognition.change_conversionrule",
            {"office", "school_office", "other_school_office", "admin"},
        ),
    ],
)
def test_the_office_pages(people: dict[str, Any], perm: str, allowed: set[str]) -> None:
    assert {name for name in PEOPLE if can(people[name], perm)} == allowed


def test_a_superuser_is_nobody_s_student_nor_promoter(
    people: dict[str, Any], mobility: Mobility
) -> None:
    admin = people["admin"]
    for state in TranscriptState.values:
        transcript = transcript_in(mobility, state)
        assert not can(admin, "recognition.accept_transcript_now", transcript)
        assert not can(admin, "recognition.validate_recognition_now", transcript)
        assert can(admin, "recognition.view_transcript", transcript)  # as the office
    # what Django's own has_perm would have said, and the services asked before
    assert admin.has_perm("recognition.accept_transcript_now", mobility)


def test_a_superuser_may_not_accept_a_student_s_transcript_through_the_service() -> None:
    mobility = EndedMobilityFactory.create()
    signed_agreement(mobility, a=[("A1", "One", 6)], b=[("B1", "Home", 6)])
    office = UserFactory.create(username="office", role=Role.OFFICE)
    transcript = services.enter_transcript(
        mobility=mobility,
        host_scale=standard("fr"),
        entries=[EntryData("A1", grade="14")],
        actor=office,
    )
    admin = UserFactory.create(username="admin", is_superuser=True, is_staff=True)
    with pytest.raises(services.Refused, match="Only the student of this mobility"):
        services.accept_transcript(transcript=transcript, actor=admin)
    transcript.refresh_from_db()
    assert transcript.state == TranscriptState.ENTERED
