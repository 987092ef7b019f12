"""The student's side of the calls, through the views: what each persona sees and may do,
the ranking (with and without HTMX), submission, withdrawal, the deadline, the results and
their answer, and constant query counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import rules
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from abroad.catalogue.models import CourseOfStudy, School
from abroad.mobility.models import Mobility
from abroad.people.enums import Role
from abroad.people.models import User
from abroad.selection.enums import ApplicationState, AssignmentState, RoundState
from abroad.selection.models import Application, Assignment, Call, CallOffer
from tests.factories import (
    CourseOfStudyFactory,
    OfferFactory,
    PromoterFactory,
    SchoolFactory,
    UserFactory,
)
from tests.selection.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    CallOfferFactory,
    LanguageCertificateFactory,
    PreferenceFactory,
    RoundFactory,
    StudentCareerFactory,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PERSONAS = ["student", "other_student", "promoter", "office", "anonymous"]
HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}
# How the pages name the destinations (catalogue.models.Offer.label).
AALTO = "Aalto University – Erasmus+, 6 months"
DELFT = "Delft University of Technology – Erasmus+, 6 months"


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture
def call() -> Call:
    return CallFactory.create(code="engineering-2027-1", title="Engineering call 2027/2028")


@pytest.fixture
def course(student: User) -> CourseOfStudy:
    assert student.course_of_study is not None
    return student.course_of_study


@pytest.fixture
def offers(call: Call, course: CourseOfStudy) -> list[CallOffer]:
    """Three destinations the student can choose, by partner name."""
    return [
        CallOfferFactory.create(
            call=call, offer=OfferFactory.create(courses=[course], agreement__partner__name=name)
        )
        for name in ("Aalto University", "Delft University of Technology", "KTH Stockholm")
    ]


@pytest.fixture
def closed_to_student(call: Call, course: CourseOfStudy) -> list[CallOffer]:
    """Two destinations the student cannot choose: German B2, and a Bachelor-only one."""
    return [
        CallOfferFactory.create(
            call=call,
            offer=OfferFactory.create(
                courses=[course],
                agreement__partner__name="TU München",
                language="de",
                language_level="B2",
            ),
        ),
        CallOfferFactory.create(
            call=call,
            offer=OfferFactory.create(
                courses=[course],
                agreement__partner__name="Bachelor-only U",
                level_master=False,
                level_bachelor=True,
            ),
        ),
    ]


@pytest.fixture
def eligible(student: User) -> User:
    """The student persona with a career and an English C1 certificate."""
    StudentCareerFactory.create(student=student)
    LanguageCertificateFactory.create(student=student, language="en", level="C1")
    return student


def _url(name: str, call: Call, **kwargs: Any) -> str:
    return reverse(f"selection:{name}", kwargs={"code": call.code, **kwargs})


def _messages(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _ranking(application: Application) -> list[int]:
    return list(application.preferences.order_by("rank").values_list("call_offer_id", flat=True))


def _post_ranking(client: Client, call: Call, ids: list[int], **extra: Any) -> Any:
    return client.post(_url("ranking", call), {"offer": ids}, **extra)


def _rank(client: Client, call: Call, ids: list[int]) -> None:
    """Save a ranking as a step of the setup, and read its message (the page shows it)."""
    assert _post_ranking(client, call, ids).status_code == 302
    client.get(call.get_absolute_url())


def _close(call: Call) -> None:
    """The deadline has passed: the call opened a month ago and closed a minute ago."""
    now = timezone.now()
    call.opens_at = now - dt.timedelta(days=30)
    call.closes_at = now - dt.timedelta(minutes=1)
    call.save()


def _login_url(path: str) -> str:
    return f"{reverse('login')}?next={path}"


# ---------------------------------------------------------------------------- my calls


def test_call_list_for_each_persona(personas: dict[str, Client], call: Call) -> None:
    url = reverse("selection:calls")
    expected = {
        "student": True,  # the call is for the student's School
        "other_student": False,  # no course of study known
        "promoter": True,
        "office": True,
    }
    for name, shows in expected.items():
        response = personas[name].get(url)
        assert response.status_code == 200, name
        assert ("Engineering call 2027/2028" in response.text) is shows, name
    anonymous = personas["anonymous"].get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"] == _login_url(url)


def test_call_list_shows_the_deadline_to_the_second_in_rome_time(
    personas: dict[str, Client],
) -> None:
    closes = dt.datetime(2030, 1, 9, 11, 0, 0, tzinfo=dt.UTC)  # 12:00 in Milan (CET)
    CallFactory.create(title="Engineering call 2030", closes_at=closes)
    response = personas["student"].get(reverse("selection:calls"))
    assert "Wednesday 9 January 2030, 12:00:00" in response.text
    assert "(Europe/Rome)" in response.text
    assert 'datetime="2030-01-09T12:00:00+01:00"' in response.text


def test_call_list_shows_only_the_students_school_and_open_calls(
    personas: dict[str, Client], call: Call
) -> None:
    CallFactory.create(
        title="Design call", schools=[SchoolFactory.create(code="DES", name="Design")]
    )
    now = timezone.now()
    CallFactory.create(
        title="Future call", opens_at=now + dt.timedelta(days=3), closes_at=now + dt.timedelta(9)
    )
    response = personas["student"].get(reverse("selection:calls"))
    assert "Engineering call 2027/2028" in response.text
    assert "Design call" not in response.text
    assert "Future call" not in response.text


def test_call_list_finds_calls_of_the_parent_school(personas: dict[str, Client]) -> None:
    """An AUIC-ENG student sees the call for AUIC-ENG's parent School."""
    auic = SchoolFactory.create(code="AUIC", name="AUIC")
    section = School.objects.create(code="AUIC-ENG", name="AUIC engineering", parent=auic)
    student = User.objects.get(username="student")
    student.course_of_study = CourseOfStudyFactory.create(school=section)
    student.save()
    CallFactory.create(title="AUIC call", schools=[auic])
    response = personas["student"].get(reverse("selection:calls"))
    assert "AUIC call" in response.text


def test_call_list_shows_the_application_state(
    personas: dict[str, Client], call: Call, student: User
) -> None:
    ApplicationFactory.create(call=call, student=student, state=ApplicationState.SUBMITTED)
    closed = CallFactory.create(title="Last year's call")
    ApplicationFactory.create(call=closed, student=student, state=ApplicationState.SUBMITTED)
    _close(closed)
    response = personas["student"].get(reverse("selection:calls"))
    assert response.text.count('<span class="badge state-submitted">submitted</span>') == 2
    assert "Your other applications" in response.text
    assert "Last year&#x27;s call" in response.text


# --------------------------------------------------------------------------- call page


def test_call_page_for_each_persona(
    personas: dict[str, Client], call: Call, offers: list[CallOffer], eligible: User
) -> None:
    url = call.get_absolute_url()
    for name in PERSONAS:
        response = personas[name].get(url)
        assert response.status_code == 200, name
        assert "Aalto University" in response.text, name
        assert ("Your ranking" in response.text) is (name in ("student", "other_student")), name
    assert "Log in to apply" in personas["anonymous"].get(url).text
    assert "Only students apply to calls" in personas["office"].get(url).text
    assert "Add to my ranking" in personas["student"].get(url).text


def test_call_page_of_an_unknown_call_is_404(personas: dict[str, Client]) -> None:
    assert personas["student"].get("/calls/no-such-call/").status_code == 404


def test_office_is_not_a_call_code() -> None:
    """/calls/office/ belongs to the office's pages, never to a call."""
    with pytest.raises(NoReverseMatch):
        reverse("selection:call", kwargs={"code": "office"})


def test_call_page_lists_what_is_not_open_and_why(
    personas: dict[str, Client],
    call: Call,
    offers: list[CallOffer],
    closed_to_student: list[CallOffer],
    eligible: User,
) -> None:
    text = personas["student"].get(call.get_absolute_url()).text
    assert "The 3 destinations you can choose" in text
    assert "Not open to you (2)" in text
    assert "Needs German B2; you have no certificate." in text
    assert "Not open at your degree level." in text
    assert text.count("Add to my ranking") == 3


def test_call_page_shows_eligibility_problems(
    personas: dict[str, Client], call: Call, offers: list[CallOffer]
) -> None:
    text = personas["student"].get(call.get_absolute_url()).text
    assert "You cannot apply to this call" in text
    assert "Your career data has not reached us from the registrar yet." in text
    other = personas["other_student"].get(call.get_absolute_url()).text
    assert "Your course of study is not known: contact the office." in other


def test_call_page_without_problems_says_none(
    personas: dict[str, Client], call: Call, offers: list[CallOffer], eligible: User
) -> None:
    assert "You cannot apply" not in personas["student"].get(call.get_absolute_url()).text


# ---------------------------------------------------------------------------- ranking


def test_save_ranking_keeps_the_order(
    personas: dict[str, Client], call: Call, offers: list[CallOffer], eligible: User
) -> None:
    a, b, c = offers
    response = personas["student"].post(
        _url("ranking", call), {"offer": [c.pk, a.pk, b.pk], "moved": b.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == call.get_absolute_url() + "#ranking"
    application = Application.objects.get(call=call, student=eligible)
    assert _ranking(application) == [c.pk, a.pk, b.pk]
    assert application.state == ApplicationState.DRAFT
    assert _messages(response) == [
        "Delft University of Technology – Erasmus+, 6 months added as your choice number 3."
    ]
    page = personas["student"].get(call.get_absolute_url()).text
    ranking = page[page.index('<ol class="ranking">') : page.index("</ol>")]
    assert ranking.index("KTH") < ranking.index("Aalto") < ranking.index("Delft")


def test_each_button_posts_the_whole_new_ranking(
    personas: dict[str, Client], call: Call, offers: list[CallOffer], eligible: User
) -> None:
    """The page's forms carry the ranking each button makes: moving the second up swaps."""
    a, b, c = offers
    _rank(personas["student"], call, [a.pk, b.pk])
    text = personas["student"].get(call.get_absolute_url()).text
    up_form = text[: text.index(f'id="up-{b.pk}"')].rsplit("<form", 1)[1]
    assert [int(v) for v in _hidden_offers(up_form)] == [b.pk, a.pk]
    add_form = text[: text.index(f'id="add-{c.pk}"')].rsplit("<form", 1)[1]
    assert [int(v) for v in _hidden_offers(add_form)] == [a.pk, b.pk, c.pk]
    remove_form = text[: text.index(f'id="remove-{a.pk}"')].rsplit("<form", 1)[1]
    assert [int(v) for v in _hidden_offers(remove_form)] == [b.pk]
    assert f'id="up-{a.pk}"' not in text  # the first cannot go up
    assert f'id="down-{b.pk}"' not in text  # the last cannot go down


def _hidden_offers(form_html: str) -> list[str]:
    import re

    return re.findall(r'name="offer" value="(\d+)"', form_html)


def test_save_ranking_with_htmx_answers_with_the_panel(
    personas: dict[str, Client], call: Call, offers: list[CallOffer], eligible: User
) -> None:
    a, b, _c = offers
    _rank(personas["student"], call, [a.pk, b.pk])
    response = personas["student"].post(
        _url("ranking", call), {"offer": [b.pk, a.pk], "moved": b.pk}, **HTMX
    )
    assert response.status_code == 200
    # Only what the change touches: the ranking with the application in place, and the
    # choices with their add buttons out of band; not the filters, not the panel around.
    assert response.text.lstrip().startswith('<div id="ranking-panel">')
    assert '<div id="choice-list" aria-live="off" hx-swap-oob="true">' in response.text
    assert "<html" not in response.text
    assert 'id="apply"' not in response.text
    assert "destination-filters" not in response.text
    assert (
        "Delft University of Technology – Erasmus+, 6 months is now your choice number 1."
        in response.text
    )
    assert _ranking(Application.objects.get(call=call, student=eligible)) == [b.pk, a.pk]
    assert _messages(response) == []


def test_remove_the_last_destination_leaves_an_empty_ranking(
    personas: dict[str, Client], call: Call, offers: list[CallOffer], eligible: User
) -> None:
    a = offers[0]
    _rank(personas["student"], call, [a.pk])
    response = personas["student"].post(_url("ranking", call), {"moved": a.pk})
    assert _messages(response) == [
        "Aalto University – Erasmus+, 6 months removed from your ranking."
    ]
    assert _ranking(Application.objects.get(call=call, student=eligible)) == []


def test_save_ranking_over_the_maximum_is_refused(
    personas: dict[str, Client], call: Call, offers: list[CallOffer], eligible: User
) -> None:
    call.max_preferences = 2
    call.save()
    a, b, c = offers
    _rank(personas["student"], call, [a.pk])
    response = _post_ranking(personas["student"], call, [a.pk, b.pk, c.pk])
    assert _messages(response) == ["You can rank at most 2 destinations."]
    assert _ranking(Application.objects.get(call=call, student=eligible)) == [a.pk]
    htmx = _post_ranking(personas["student"], call, [a.pk, b.pk, c.pk], **HTMX)
    assert "You can rank at most 2 destinations." in htmx.text
    assert _ranking(Application.objects.get(call=call, student=eligible)) == [a.pk]


def test_full_ranking_hides_the_add_buttons(
    personas: dict[str, Client], call: Call, offers: list[CallOffer], eligible: User
) -> None:
    call.max_preferences = 2
    call.save()
    _rank(personas["student"], call, [offers[0].pk, offers[1].pk])
    text = personas["student"].get(call.get_absolute_url()).text
    assert "Add to my ranking" not in text
    assert "Your ranking is full (2 destinations): remove one to add another." in text


def test_save_ranking_with_an_unavailable_offer_is_refused(
    personas: dict[str, Client],
    call: Call,
    offers: list[CallOffer],
    closed_to_student: list[CallOffer],
    eligible: User,
) -> None:
    german = closed_to_student[0]
    response = _post_ranking(personas["student"], call, [offers[0].pk, german.pk])
    assert _messages(response) == [
        "TU München – Erasmus+, 6 months: Needs German B2; you have no certificate."
    ]
    assert not Application.objects.filter(call=call, student=eligible).exists()


def test_save_ranking_with_an_offer_of_another_call_is_refused(
    personas: dict[str, Client], call: Call, offers: list[CallOffer], eligible: User
) -> None:
    elsewhere = CallOfferFactory.create()
    response = _post_ranking(personas["student"], call, [elsewhere.pk])
    assert _messages(response) == ["One of the destinations is not in this call."]


def test_save_ranking_with_garbage_is_refused(
    personas: dict[str, Client], call: Call, offers: list[CallOffer], eligible: User
) -> None:
    response = personas["student"].post(_url("ranking", call), {"offer": ["1", "x"]})
    assert _messages(response) == ["This ranking could not be read: reload the page and try again."]
    assert not Application.objects.exists()


def test_ranking_for_each_persona(
    personas: dict[str, Client], call: Call, offers: list[CallOffer], eligible: User
) -> None:
    ids = [offers[0].pk]
    assert _post_ranking(personas["student"], call, ids).status_code == 302
    # Another student saves their own ranking; nothing is open to a student without a course.
    other = _post_ranking(personas["other_student"], call, ids)
    assert _messages(other) == [
        f"{AALTO}: Your course of study is not known: contact the office. "
        "Needs English B2; you have no certificate."
    ]
    assert _post_ranking(personas["promoter"], call, ids).status_code == 403
    assert _post_ranking(personas["office"], call, ids).status_code == 403
    anonymous = _post_ranking(personas["anonymous"], call, ids)
    assert anonymous.status_code == 302
    assert anonymous["Location"] == _login_url(_url("ranking", call))
    assert Application.objects.count() == 1


def test_ranking_is_post_only(personas: dict[str, Client], call: Call) -> None:
    assert personas["student"].get(_url("ranking", call)).status_code == 405


# ---------------------------------------------------------------------- submit, withdraw


def test_submit_before_the_deadline_sends_a_confirmation(
    personas: dict[str, Client],
    call: Call,
    offers: list[CallOffer],
    eligible: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _rank(personas["student"], call, [offers[1].pk, offers[0].pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = personas["student"].post(_url("submit", call))
    assert response.status_code == 302
    assert response["Location"] == call.get_absolute_url()
    application = Application.objects.get(call=call, student=eligible)
    assert application.state == ApplicationState.SUBMITTED
    assert _messages(response) == [
        "Your application is submitted. We sent a confirmation to student@example.org. You "
        "can still change your ranking or withdraw until the deadline."
    ]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["student@example.org"]
    assert mail.outbox[0].subject == "Your application to Engineering call 2027/2028 was received"
    assert "1. Delft University of Technology\n2. Aalto University" in mail.outbox[0].body
    page = personas["student"].get(call.get_absolute_url()).text
    assert "Submitted on" in page
    assert "Withdraw my application" in page


def test_submit_without_a_ranking_is_refused(
    personas: dict[str, Client], call: Call, eligible: User
) -> None:
    response = personas["student"].post(_url("submit", call))
    assert _messages(response) == ["Rank at least one destination before submitting."]
    assert mail.outbox == []


def test_submit_with_eligibility_problems_is_refused(
    personas: dict[str, Client], call: Call, offers: list[CallOffer], student: User
) -> None:
    LanguageCertificateFactory.create(student=student)
    _rank(personas["student"], call, [offers[0].pk])
    response = personas["student"].post(_url("submit", call))
    assert _messages(response) == ["Your career data has not reached us from the registrar yet."]
    assert Application.objects.get(call=call, student=student).state == ApplicationState.DRAFT


def test_after_the_deadline_nothing_changes(
    personas: dict[str, Client], call: Call, offers: list[CallOffer], eligible: User
) -> None:
    a, b, c = offers
    _rank(personas["student"], call, [a.pk, b.pk])
    _close(call)
    client = personas["student"]
    closed = timezone.localtime(call.closes_at).strftime("%d/%m/%Y %H:%M:%S")
    refusal = f"Applications to this call closed on {closed}: nothing was changed."

    for action, data in (
        ("submit", {}),
        ("ranking", {"offer": [c.pk, b.pk, a.pk]}),
        ("withdraw", {}),
    ):
        response = client.post(_url(action, call), data)
        assert _messages(response) == [refusal], action
        client.get(call.get_absolute_url())  # shows (and so clears) the message

    application = Application.objects.get(call=call, student=eligible)
    assert application.state == ApplicationState.DRAFT
    assert application.submitted_at is None
    assert _ranking(application) == [a.pk, b.pk]
    assert mail.outbox == []
    page = client.get(call.get_absolute_url()).text
    assert "Applications closed on" in page
    for button in ("Add to my ranking", "Submit application", 'id="up-', 'id="remove-'):
        assert button not in page, button


def test_before_the_call_opens_nothing_can_be_saved(
    personas: dict[str, Client], call: Call, offers: list[CallOffer], eligible: User
) -> None:
    call.opens_at = timezone.now() + dt.timedelta(days=1)
    call.save()
    response = _post_ranking(personas["student"], call, [offers[0].pk])
    assert _messages(response)[0].startswith("Applications to this call open on ")
    assert not Application.objects.exists()
    assert "Add to my ranking" not in personas["student"].get(call.get_absolute_url()).text


def test_withdraw(
    personas: dict[str, Client], call: Call, offers: list[CallOffer], eligible: User
) -> None:
    application = ApplicationFactory.create(
        call=call, student=eligible, state=ApplicationState.SUBMITTED, submitted_at=timezone.now()
    )
    PreferenceFactory.create(application=application, call_offer=offers[0])
    response = personas["student"].post(_url("withdraw", call))
    assert _messages(response) == [
        "Your application is withdrawn: it will not be ranked. You can submit it again until "
        "the deadline."
    ]
    application.refresh_from_db()
    assert application.state == ApplicationState.WITHDRAWN
    page = personas["student"].get(call.get_absolute_url()).text
    assert "Withdrawn." in page
    assert "Submit application" in page


def test_withdraw_without_an_application(
    personas: dict[str, Client], call: Call, eligible: User
) -> None:
    response = personas["student"].post(_url("withdraw", call))
    assert _messages(response) == ["You have no application to this call to withdraw."]


def test_submit_and_withdraw_for_each_persona(
    personas: dict[str, Client], call: Call, offers: list[CallOffer], eligible: User
) -> None:
    application = ApplicationFactory.create(call=call, student=eligible)
    PreferenceFactory.create(application=application, call_offer=offers[0])
    for action in ("submit", "withdraw"):
        assert personas["promoter"].post(_url(action, call)).status_code == 403
        assert personas["office"].post(_url(action, call)).status_code == 403
        anonymous = personas["anonymous"].post(_url(action, call))
        assert anonymous["Location"] == _login_url(_url(action, call))
        # Another student acts on their own (absent) application, never on this one: a
        # submit with nothing ranked is refused (409), a withdrawal of nothing goes back.
        other = personas["other_student"].post(_url(action, call))
        assert other.status_code == (409 if action == "submit" else 302)
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT


# ----------------------------------------------------------------------------- results


@pytest.fixture
def offered(call: Call, offers: list[CallOffer], eligible: User) -> Assignment:
    """The student got their 2nd choice (Delft) in round 1; their 1st (Aalto) was full."""
    application = ApplicationFactory.create(
        call=call,
        student=eligible,
        state=ApplicationState.SUBMITTED,
        submitted_at=timezone.now(),
        score=Decimal("26.500"),
        rank=3,
        eligible=True,
        score_details={
            "average": "27.400",
            "credits_per_year": "70.000",
            "credits_bonus": "4.000",
            "exchanges_penalty": "5",
        },
    )
    PreferenceFactory.create(application=application, rank=1, call_offer=offers[0])
    PreferenceFactory.create(application=application, rank=2, call_offer=offers[1])
    round_ = RoundFactory.create(
        call=call, state=RoundState.PUBLISHED, published_at=timezone.now() - dt.timedelta(hours=1)
    )
    assignment: Assignment = AssignmentFactory.create(
        round=round_,
        application=application,
        call_offer=offers[1],
        choice=2,
        explanation={
            "outcome": "assigned",
            "choice": 2,
            "option": offers[1].pk,
            "skipped": [
                {
                    "choice": 1,
                    "option": offers[0].pk,
                    "reason": "filled",
                    "cutoff": 27.4,
                    "detail": "",
                }
            ],
        },
    )
    return assignment


def test_published_result_shows_the_seat_and_why(
    personas: dict[str, Client], call: Call, offered: Assignment
) -> None:
    _close(call)
    text = personas["student"].get(call.get_absolute_url()).text
    assert "Your result" in text
    assert f"A seat at <strong>{DELFT}</strong>: your choice number 2." in text
    assert "<span>2nd choice; your 1st choice was filled at score 27.4</span>" in text
    assert (
        f"Choice 1, {AALTO}: every seat went to students ranked above you; the last one "
        "admitted had a score of 27.4." in text
    )
    assert "Accept or renounce by" in text
    assert "Accept this seat" in text
    assert "Renounce this seat" in text
    # The student's own score and place in the ranking, term by term.
    assert "Merit score: <strong>26.500</strong>" in text
    assert "position <strong>3</strong> in the ranking" in text
    assert "Credits bonus: 0.1 × (credits per year − 30)" in text


def test_a_dry_run_is_not_shown(
    personas: dict[str, Client], call: Call, offered: Assignment
) -> None:
    offered.round.state = RoundState.DRY_RUN
    offered.round.save()
    text = personas["student"].get(call.get_absolute_url()).text
    assert "Your result" not in text
    assert "Delft University of Technology</strong>: your choice" not in text


def test_no_seat_is_explained(
    personas: dict[str, Client], call: Call, offers: list[CallOffer], offered: Assignment
) -> None:
    offered.call_offer = None
    offered.choice = None
    offered.state = AssignmentState.NONE
    offered.explanation = {
        "outcome": "unassigned",
        "option": None,
        "skipped": [
            {
                "choice": 1,
                "option": offers[0].pk,
                "reason": "filled",
                "cutoff": None,
            }
        ],
    }
    offered.save()
    text = personas["student"].get(call.get_absolute_url()).text
    assert "No seat for you in this round." in text
    assert (
        "Choice 1, Aalto University – Erasmus+, 6 months: no seat was free in this round." in text
    )
    assert "Accept this seat" not in text


def test_nobody_else_sees_the_students_result(
    personas: dict[str, Client], call: Call, offered: Assignment
) -> None:
    for name in ("other_student", "promoter", "office", "anonymous"):
        text = personas[name].get(call.get_absolute_url()).text
        assert "Your result" not in text, name
        assert "26.500" not in text, name
        assert "Accept this seat" not in text, name


def test_accept_through_the_view(
    personas: dict[str, Client],
    call: Call,
    offered: Assignment,
    django_capture_on_commit_callbacks: Any,
) -> None:
    url = _url("accept", call, pk=offered.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = personas["student"].post(url)
    assert response["Location"] == call.get_absolute_url()
    assert _messages(response) == [
        "You accepted your seat at Delft University of Technology – Erasmus+, 6 months. The "
        "International Mobility Unit will nominate you to the host: watch your e-mail for the "
        "next steps."
    ]
    offered.refresh_from_db()
    assert offered.state == AssignmentState.ACCEPTED
    mobility = Mobility.objects.get()
    assert mobility.student == offered.application.student
    assert mobility.host == offered.call_offer.offer.agreement.partner  # type: ignore[union-attr]
    assert len(mail.outbox) == 1
    text = personas["student"].get(call.get_absolute_url()).text
    assert "Accepted on" in text
    assert "Accept this seat" not in text
    again = personas["student"].post(url)
    assert _messages(again) == ["You have already answered."]
    assert Mobility.objects.count() == 1


def test_accept_after_the_deadline_is_refused(
    personas: dict[str, Client], call: Call, offered: Assignment
) -> None:
    offered.round.acceptance_deadline = timezone.now() - dt.timedelta(minutes=1)
    offered.round.save()
    deadline = timezone.localtime(offered.round.acceptance_deadline).strftime("%d/%m/%Y %H:%M:%S")
    response = personas["student"].post(_url("accept", call, pk=offered.pk))
    assert _messages(response) == [
        f"The deadline to accept was {deadline}: the seat has gone to the next round."
    ]
    offered.refresh_from_db()
    assert offered.state == AssignmentState.OFFERED
    assert not Mobility.objects.exists()
    text = personas["student"].get(call.get_absolute_url()).text
    assert "Accept this seat" not in text
    assert "The deadline to answer was" in text


def test_renounce_through_the_view(
    personas: dict[str, Client], call: Call, offered: Assignment
) -> None:
    response = personas["student"].post(_url("renounce", call, pk=offered.pk))
    assert _messages(response) == ["You renounced the seat. It goes to the next round."]
    offered.refresh_from_db()
    assert offered.state == AssignmentState.RENOUNCED
    assert not Mobility.objects.exists()
    assert "Renounced on" in personas["student"].get(call.get_absolute_url()).text


def test_renounce_after_the_deadline_is_refused(
    personas: dict[str, Client], call: Call, offered: Assignment
) -> None:
    offered.round.acceptance_deadline = timezone.now() - dt.timedelta(seconds=1)
    offered.round.save()
    response = personas["student"].post(_url("renounce", call, pk=offered.pk))
    assert _messages(response)[0].startswith("The deadline to accept was ")
    offered.refresh_from_db()
    assert offered.state == AssignmentState.OFFERED


@pytest.mark.parametrize("action", ["accept", "renounce"])
def test_answer_for_each_persona(
    personas: dict[str, Client], call: Call, offered: Assignment, action: str
) -> None:
    url = _url(action, call, pk=offered.pk)
    for name in ("other_student", "promoter", "office"):
        assert personas[name].post(url).status_code == 404, name
    assert personas["anonymous"].post(url)["Location"] == _login_url(url)
    offered.refresh_from_db()
    assert offered.state == AssignmentState.OFFERED
    assert personas["student"].post(url).status_code == 302
    offered.refresh_from_db()
    assert offered.state != AssignmentState.OFFERED


def test_an_unpublished_assignment_cannot_be_answered(
    personas: dict[str, Client], call: Call, offered: Assignment
) -> None:
    offered.round.state = RoundState.DRY_RUN
    offered.round.save()
    assert personas["student"].post(_url("accept", call, pk=offered.pk)).status_code == 404


def test_an_assignment_of_another_call_is_404(
    personas: dict[str, Client], call: Call, offered: Assignment
) -> None:
    other_call = CallFactory.create()
    url = _url("accept", other_call, pk=offered.pk)
    assert personas["student"].post(url).status_code == 404


def test_a_superuser_cannot_answer_a_students_seat(call: Call, offered: Assignment) -> None:
    """Django gives a superuser every permission; the views ask the rules themselves."""
    admin = UserFactory.create(username="admin", role=Role.ADMIN, is_superuser=True)
    client = Client()
    client.force_login(admin)
    assert client.post(_url("accept", call, pk=offered.pk)).status_code == 404
    assert client.post(_url("ranking", call), {"offer": []}).status_code == 403
    assert client.get(_url("application", call, pk=offered.application.pk)).status_code == 200
    offered.refresh_from_db()
    assert offered.state == AssignmentState.OFFERED


@pytest.mark.parametrize(
    ("persona", "apply", "view_application", "change_application", "answer"),
    [
        ("student", True, True, True, True),
        ("other_student", True, False, False, False),
        ("promoter", False, True, False, False),
        ("office", False, True, False, False),
        ("anonymous", False, False, False, False),
    ],
)
def test_permissions_matrix(
    personas: dict[str, Client],
    offered: Assignment,
    persona: str,
    apply: bool,
    view_application: bool,
    change_application: bool,
    answer: bool,
) -> None:
    user = personas[persona].get("/").wsgi_request.user
    application = offered.application
    assert rules.has_perm("selection.view_call", user, application.call) is True
    assert rules.has_perm("selection.apply_to_call", user, application.call) is apply
    assert rules.has_perm("selection.view_application", user, application) is view_application
    assert rules.has_perm("selection.change_application", user, application) is change_application
    assert rules.has_perm("selection.view_assignment", user, offered) is view_application
    assert rules.has_perm("selection.answer_assignment", user, offered) is answer
    assert rules.has_perm("selection.manage_calls", user) is (persona == "office")


# ------------------------------------------------------------------ one application


def test_application_page_for_each_persona(
    personas: dict[str, Client], call: Call, offered: Assignment
) -> None:
    url = _url("application", call, pk=offered.application.pk)
    expected = {"student": 200, "other_student": 404, "promoter": 200, "office": 200}
    for name, status in expected.items():
        response = personas[name].get(url)
        assert response.status_code == status, name
    assert personas["anonymous"].get(url)["Location"] == _login_url(url)
    text = personas["office"].get(url).text
    assert "Aalto University" in text
    assert "26.500" in text
    assert "Accept this seat" not in text


def test_promoter_of_another_school_cannot_see_the_application(
    call: Call, offered: Assignment
) -> None:
    design = PromoterFactory.create(
        user__username="design-promoter", school=SchoolFactory.create(code="DES")
    )
    client = Client()
    client.force_login(design.user)
    url = _url("application", call, pk=offered.application.pk)
    assert client.get(url).status_code == 404


# ---------------------------------------------------------------------- query counts


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def _constant(client: Client, url: str, make: Callable[[int], None]) -> int:
    counts = []
    for rows in (2, 20):
        make(rows)
        counts.append(_count(client, url))
    assert counts[0] == counts[1], f"{url}: {counts[0]} queries for few rows, {counts[1]} for many"
    return counts[0]


def test_call_page_query_count_is_constant(
    personas: dict[str, Client],
    call: Call,
    course: CourseOfStudy,
    eligible: User,
    django_assert_max_num_queries: Any,
) -> None:
    def make(rows: int) -> None:
        for _ in range(rows):
            CallOfferFactory.create(call=call, offer=OfferFactory.create(courses=[course]))
            CallOfferFactory.create(
                call=call, offer=OfferFactory.create(courses=[course], language="de")
            )
        ids = list(call.call_offers.filter(offer__language="en").values_list("pk", flat=True))
        _rank(personas["student"], call, ids[: call.max_preferences])

    url = call.get_absolute_url()
    count = _constant(personas["student"], url, make)
    with django_assert_max_num_queries(19):
        personas["student"].get(url)
    assert count <= 19
    assert _constant(personas["anonymous"], url, make) <= 5


def test_call_page_with_results_query_count_is_constant(
    personas: dict[str, Client], call: Call, course: CourseOfStudy, offered: Assignment
) -> None:
    def make(rows: int) -> None:
        for _ in range(rows):
            CallOfferFactory.create(call=call, offer=OfferFactory.create(courses=[course]))

    assert _constant(personas["student"], call.get_absolute_url(), make) <= 19


def test_call_list_query_count_is_constant(personas: dict[str, Client], student: User) -> None:
    def make(rows: int) -> None:
        for _ in range(rows):
            ApplicationFactory.create(call=CallFactory.create(), student=student)

    assert _constant(personas["student"], reverse("selection:calls"), make) <= 8


def test_a_refused_save_or_submit_answers_409_and_stores_nothing(
    call: Call, offers: list[CallOffer], eligible: User
) -> None:
    client = Client()
    client.force_login(eligible)
    good = _post_ranking(client, call, [offers[0].pk])
    assert good.status_code == 302
    refused = _post_ranking(client, call, [999999])
    assert refused.status_code == 409
    assert "selection/call_detail.html" in [t.name for t in refused.templates]
    application = Application.objects.get(call=call, student=eligible)
    assert list(application.preferences.values_list("call_offer", flat=True)) == [offers[0].pk]
    call.closes_at = timezone.now() - dt.timedelta(minutes=1)
    call.save()
    late = client.post(_url("submit", call), HTTP_ACCEPT_LANGUAGE="en")
    assert late.status_code == 409
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT
