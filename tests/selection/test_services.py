"""Every transition of the selection, through the services, on a real database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone, translation

from abroad.core.models import AuditEvent
from abroad.matching.explanation import summary
from abroad.mobility.models import Mobility
from abroad.people.enums import Role
from abroad.people.models import LanguageCertificate, StudentCareer, User
from abroad.selection import services
from abroad.selection.enums import ApplicationState, AssignmentState, RoundState
from abroad.selection.models import Application, Call, CallOffer, Round
from abroad.selection.services import SelectionError
from tests.factories import CourseOfStudyFactory, OfferFactory, SchoolFactory, UserFactory

# E-mails leave when the transaction commits: these tests commit for real.
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

NOW = timezone.make_aware(dt.datetime(2026, 12, 1, 10, 0))
AFTER = NOW + dt.timedelta(days=31)  # the call (open until NOW + 30 days) has closed


def make_call(**fields: Any) -> Call:
    school = SchoolFactory.create(code="3I")
    values: dict[str, Any] = {
        "code": "engineering-2027-1",
        "title": "Engineering call 2027/2028",
        "academic_year": 2027,
        "opens_at": NOW - dt.timedelta(days=10),
        "closes_at": NOW + dt.timedelta(days=30),
        "max_preferences": 3,
    } | fields
    call = Call.objects.create(**values)
    call.schools.add(school)
    return call


def make_student(name: str, course: Any, *, average: str = "27", exchanges: int = 0) -> User:
    student = UserFactory.create(username=name, role=Role.STUDENT, course_of_study=course)
    StudentCareer.objects.create(
        student=student,
        first_enrolment_year=2023,
        credits_bachelor=180,
        credits_master=60,
        average_bachelor=Decimal(average),
        average_master=Decimal(average),
        first_year_completed=True,
        previous_exchanges=exchanges,
    )
    LanguageCertificate.objects.create(student=student, language="en", level="C1")
    return student


@pytest.fixture
def course() -> Any:
    return CourseOfStudyFactory.create(
        code="MECH-MSC", level="MSc", school=SchoolFactory.create(code="3I")
    )


@pytest.fixture
def call(course: Any) -> Call:
    call = make_call()
    for name in ("Aalto", "Delft", "KTH"):
        OfferFactory.create(courses=[course], agreement__partner__name=name, seats=1)
    services.fill_call_offers(call=call)
    return call


def offers(call: Call) -> list[CallOffer]:
    return list(call.call_offers.order_by("offer__agreement__partner__name"))


def apply(call: Call, student: User, ranking: list[CallOffer]) -> Application:
    application = services.save_preferences(
        call=call, student=student, call_offer_ids=[o.pk for o in ranking], now=NOW
    )
    return services.submit_application(application=application, actor=student, now=NOW)


def test_fill_takes_offers_open_to_the_call_schools_and_year(course: Any) -> None:
    call = make_call()
    inside = OfferFactory.create(courses=[course])
    OfferFactory.create(
        courses=[CourseOfStudyFactory.create(school=SchoolFactory.create(code="DES"))]
    )
    OfferFactory.create(courses=[course], agreement__start_year=2028, agreement__end_year=2029)
    OfferFactory.create(courses=[course], agreement__status="draft")
    assert services.fill_call_offers(call=call) == 1
    assert services.fill_call_offers(call=call) == 0
    assert [co.offer for co in call.call_offers.all()] == [inside]


def test_offers_for_student_say_why_not(call: Call, course: Any) -> None:
    student = make_student("anna", course)
    german = OfferFactory.create(courses=[course], language="de", language_level="B2")
    bachelor_only = OfferFactory.create(courses=[course], level_master=False, level_bachelor=True)
    services.fill_call_offers(call=call)
    reasons = {a.call_offer.offer_id: a.reasons for a in services.offers_for_student(call, student)}
    assert reasons[german.pk] == ["Needs German B2; you have no certificate."]
    assert reasons[bachelor_only.pk] == ["Not open at your degree level."]
    assert sum(1 for r in reasons.values() if not r) == 3
    with translation.override("it"):  # said as Italian says it, not "tu hai nessun"
        italian = {
            a.call_offer.offer_id: a.reasons for a in services.offers_for_student(call, student)
        }
    assert italian[german.pk] == ["Richiede Tedesco B2; non hai alcun certificato."]


def test_draft_submit_change_and_withdraw(call: Call, course: Any) -> None:
    student = make_student("anna", course)
    first, second, third = offers(call)
    application = services.save_preferences(
        call=call, student=student, call_offer_ids=[second.pk, first.pk], now=NOW
    )
    assert application.state == ApplicationState.DRAFT
    services.submit_application(application=application, actor=student, now=NOW)
    application.refresh_from_db()
    assert (application.state, application.submitted_at) == (ApplicationState.SUBMITTED, NOW)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [student.email]
    assert "1. " in mail.outbox[0].body
    assert "2. " in mail.outbox[0].body

    services.save_preferences(call=call, student=student, call_offer_ids=[third.pk], now=NOW)
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    assert [p.call_offer_id for p in application.preferences.all()] == [third.pk]

    services.withdraw_application(application=application, actor=student, now=NOW)
    application.refresh_from_db()
    assert application.state == ApplicationState.WITHDRAWN
    actions = list(
        AuditEvent.objects.filter(object_type="selection.application")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "application.preferences_saved",
        "application.submitted",
        "application.preferences_saved",
        "application.withdrawn",
    ]


def test_after_the_deadline_nothing_changes(call: Call, course: Any) -> None:
    student = make_student("anna", course)
    first, second, _third = offers(call)
    application = services.save_preferences(
        call=call, student=student, call_offer_ids=[first.pk], now=NOW
    )
    late = call.closes_at
    with pytest.raises(SelectionError, match="closed on 31/12/2026 10:00:00: nothing was changed"):
        services.save_preferences(call=call, student=student, call_offer_ids=[second.pk], now=late)
    with pytest.raises(SelectionError, match="closed on"):
        services.submit_application(application=application, actor=student, now=late)
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT
    assert [p.call_offer_id for p in application.preferences.all()] == [first.pk]
    assert mail.outbox == []


def test_before_opening_and_limits(call: Call, course: Any) -> None:
    student = make_student("anna", course)
    first, second, third = offers(call)
    with pytest.raises(SelectionError, match="open on"):
        services.save_preferences(
            call=call,
            student=student,
            call_offer_ids=[first.pk],
            now=call.opens_at - dt.timedelta(seconds=1),
        )
    extra = OfferFactory.create(courses=[course])
    services.fill_call_offers(call=call)
    fourth = call.call_offers.get(offer=extra)
    with pytest.raises(SelectionError, match="at most 3 destinations"):
        services.save_preferences(
            call=call,
            student=student,
            call_offer_ids=[first.pk, second.pk, third.pk, fourth.pk],
            now=NOW,
        )
    with pytest.raises(SelectionError, match="only once"):
        services.save_preferences(
            call=call, student=student, call_offer_ids=[first.pk, first.pk], now=NOW
        )
    assert not Application.objects.exists()


def test_ineligible_student_cannot_submit(call: Call, course: Any) -> None:
    student = make_student("anna", course)
    StudentCareer.objects.filter(student=student).update(first_year_completed=False, months_used=12)
    first = offers(call)[0]
    application = services.save_preferences(
        call=call, student=student, call_offer_ids=[first.pk], now=NOW
    )
    with pytest.raises(SelectionError) as error:
        services.submit_application(application=application, actor=student, now=NOW)
    assert str(error.value) == (
        "You must have completed your first year. "
        "You have used all the months of mobility of your study cycle."
    )


def test_engineering_ranking_is_frozen_with_its_parts(call: Call, course: Any) -> None:
    good = make_student("good", course, average="28")
    tied_more_exchanges = make_student("tied", course, average="28", exchanges=1)
    weaker = make_student("weaker", course, average="24")
    for student in (weaker, tied_more_exchanges, good):
        apply(call, student, offers(call)[:1])
    assert services.rank_call(call=call, now=AFTER) == 3
    ranked = list(Application.objects.filter(call=call).order_by("rank"))
    assert [a.student.username for a in ranked] == ["good", "weaker", "tied"]
    # M = 28, credits 240 over Y-1 = 3 years = 80 a year: 28 + 0.1 * (80 - 30) = 33.
    assert ranked[0].score == Decimal("33.000")
    assert ranked[0].score_details == {
        "average": "28.000",
        "credits_per_year": "80.000",
        "credits_bonus": "5.000",
        "exchanges_penalty": "0",
    }
    assert ranked[2].score == Decimal("28.000")  # 33 - 5 for one previous exchange


def test_round_allocates_by_merit_and_explains(call: Call, course: Any) -> None:
    aalto, delft, _kth = offers(call)
    best = make_student("best", course, average="29")
    second = make_student("second", course, average="25")
    apply(call, best, [aalto, delft])
    apply(call, second, [aalto, delft])
    services.rank_call(call=call, now=AFTER)
    round_ = Round.objects.create(
        call=call, number=1, acceptance_deadline=AFTER + dt.timedelta(days=7)
    )
    services.run_round(round=round_, now=AFTER)
    round_.refresh_from_db()
    got = {a.application.student.username: a for a in round_.assignments.all()}
    assert (got["best"].call_offer, got["best"].choice) == (aalto, 1)
    assert (got["second"].call_offer, got["second"].choice) == (delft, 2)
    assert "text" not in got["second"].explanation  # rendered in the reader's language
    assert summary(got["second"].explanation).startswith("2nd choice; your 1st choice was filled")
    assert round_.state == RoundState.DRY_RUN
    assert mail.outbox[-1].subject.startswith("Your application")  # no results mail yet

    # A re-run after a change is compared with the previous run.
    Application.objects.filter(student=second).update(score=Decimal(99), rank=0)
    services.run_round(round=round_, now=AFTER)
    round_.refresh_from_db()
    assert sorted(
        (c["before"], c["after"]) for c in services.compare_with_previous(round_)
    ) == sorted([(aalto.pk, delft.pk), (delft.pk, aalto.pk)])


def _published_round(call: Call, course: Any) -> tuple[Round, dict[str, Any]]:
    aalto, delft, _kth = offers(call)
    students = {
        name: make_student(name, course, average=avg)
        for name, avg in (("a", "29"), ("b", "27"), ("c", "25"))
    }
    for student in students.values():
        apply(call, student, [aalto, delft])
    services.rank_call(call=call, now=AFTER)
    round_ = Round.objects.create(
        call=call, number=1, acceptance_deadline=AFTER + dt.timedelta(days=7)
    )
    services.run_round(round=round_, now=AFTER)
    mail.outbox.clear()
    services.publish_round(round=round_, now=AFTER)
    round_.refresh_from_db()
    return round_, {a.application.student.username: a for a in round_.assignments.all()}


def test_publish_mails_everyone_and_accept_creates_the_mobility(call: Call, course: Any) -> None:
    _round, got = _published_round(call, course)
    assert sorted(m.to[0] for m in mail.outbox) == [
        "a@example.org",
        "b@example.org",
        "c@example.org",
    ]
    assert "no seat for you" in next(m.body for m in mail.outbox if m.to == ["c@example.org"])
    services.accept_assignment(assignment=got["a"], actor=got["a"].application.student, now=AFTER)
    got["a"].refresh_from_db()
    assert got["a"].state == AssignmentState.ACCEPTED
    mobility = Mobility.objects.get(student__username="a")
    assert (mobility.host.name, mobility.academic_year, mobility.origin) == (
        "Aalto",
        2027,
        "call:engineering-2027-1",
    )
    with pytest.raises(SelectionError, match="already answered"):
        services.renounce_assignment(assignment=got["a"], actor=None, now=AFTER)


def test_accept_after_the_deadline_is_refused_and_silence_is_renunciation(
    call: Call, course: Any
) -> None:
    round_, got = _published_round(call, course)
    late = round_.acceptance_deadline
    with pytest.raises(SelectionError, match="deadline to accept was"):
        services.accept_assignment(assignment=got["a"], actor=None, now=late)
    with pytest.raises(SelectionError, match="can still answer"):
        services.close_round(round=round_, now=late - dt.timedelta(seconds=1))
    services.renounce_assignment(assignment=got["b"], actor=None, now=AFTER)
    assert services.close_round(round=round_, now=late) == 1
    got["a"].refresh_from_db()
    assert got["a"].state == AssignmentState.EXPIRED
    assert not Mobility.objects.exists()


def test_second_round_gives_freed_seats_to_the_rest(call: Call, course: Any) -> None:
    round_, got = _published_round(call, course)
    aalto, delft, _kth = offers(call)
    services.renounce_assignment(assignment=got["a"], actor=None, now=AFTER)
    services.accept_assignment(assignment=got["b"], actor=None, now=AFTER)
    services.close_round(round=round_, now=round_.acceptance_deadline)
    second = Round.objects.create(
        call=call, number=2, acceptance_deadline=AFTER + dt.timedelta(days=20)
    )
    services.run_round(round=second, now=AFTER)
    result = {a.application.student.username: a.call_offer for a in second.assignments.all()}
    # a renounced, b holds delft; c gets the seat a freed at aalto.
    assert result == {"c": aalto}
    assert services.offer_results(second) == {
        aalto.pk: services.OfferResult(held=0, admitted=1, cutoff=Decimal("30.000")),  # c: 25 + 5
        delft.pk: services.OfferResult(held=1, admitted=0, cutoff=None),
    }
    assert got["b"].call_offer == delft


def test_accept_refuses_when_every_seat_is_taken(call: Call, course: Any) -> None:
    _round, got = _published_round(call, course)
    CallOffer.objects.filter(pk=got["a"].call_offer_id).update(seats=0)
    with pytest.raises(SelectionError, match="every seat"):
        services.accept_assignment(assignment=got["a"], actor=None, now=AFTER)


def test_nominations_list_the_accepted_per_partner(call: Call, course: Any) -> None:
    _round, got = _published_round(call, course)
    services.accept_assignment(assignment=got["b"], actor=None, now=AFTER)
    services.accept_assignment(assignment=got["a"], actor=None, now=AFTER)
    assert [
        (a.call_offer.offer.agreement.partner.name, a.application.student.username)  # type: ignore[union-attr]
        for a in services.nominations(call)
    ] == [("Aalto", "a"), ("Delft", "b")]


def test_ranking_and_rounds_wait_for_the_deadline_and_for_each_other(
    call: Call, course: Any
) -> None:
    apply(call, make_student("a", course), offers(call)[:1])
    with pytest.raises(SelectionError, match="open until 31/12/2026 10:00:00"):
        services.rank_call(call=call, now=NOW)
    services.rank_call(call=call, now=AFTER)
    first = services.create_round(call=call, acceptance_deadline=AFTER + dt.timedelta(days=7))
    with pytest.raises(SelectionError, match="Close the earlier rounds first"):
        services.create_round(call=call, acceptance_deadline=AFTER + dt.timedelta(days=20))
    assert list(call.rounds.values_list("number", flat=True)) == [1]
    # a round 2 made before this rule (or by hand) still waits for round 1 to close
    second = Round.objects.create(
        call=call, number=2, acceptance_deadline=AFTER + dt.timedelta(days=20)
    )
    assert (first.number, second.number) == (1, 2)
    with pytest.raises(SelectionError, match="exists already"):
        services.create_round(call=call, number=2, acceptance_deadline=AFTER)
    with pytest.raises(SelectionError, match="Close the earlier rounds first"):
        services.run_round(round=second, now=AFTER)
    services.run_round(round=first, now=AFTER)
    with pytest.raises(SelectionError, match="has passed"):
        services.publish_round(round=first, now=first.acceptance_deadline)
    services.publish_round(round=first, now=AFTER)
    with pytest.raises(SelectionError, match="can no longer change"):
        services.rank_call(call=call, now=AFTER)


def test_commission_scores_only_for_commission_calls_and_in_range(course: Any) -> None:
    engineering = make_call()
    OfferFactory.create(courses=[course])
    services.fill_call_offers(call=engineering)
    application = apply(engineering, make_student("a", course), offers(engineering)[:1])
    marks = {
        "portfolio": Decimal(8),
        "languages_motivation_cv": Decimal(7),
        "interview": Decimal(9),
    }
    with pytest.raises(SelectionError, match="ranks by formula"):
        services.set_commission_score(application=application, actor=None, **marks)
    Call.objects.filter(pk=engineering.pk).update(formula="commission")
    engineering.refresh_from_db()
    application.refresh_from_db()
    with pytest.raises(SelectionError, match="between 0 and 10"):
        services.set_commission_score(
            application=application, actor=None, **(marks | {"interview": Decimal(11)})
        )
    services.set_commission_score(application=application, actor=None, **marks)
    services.rank_call(call=engineering, now=AFTER)
    application.refresh_from_db()
    # 8 + 7 + 9 + the average 27
    assert application.score == Decimal("51.000")


def test_compare_reports_applications_that_left_the_run(call: Call, course: Any) -> None:
    aalto = offers(call)[0]
    a = apply(call, make_student("a", course, average="29"), [aalto])
    b = apply(call, make_student("b", course, average="25"), [aalto])
    services.rank_call(call=call, now=AFTER)
    round_ = services.create_round(call=call, acceptance_deadline=AFTER + dt.timedelta(days=7))
    services.run_round(round=round_, now=AFTER)
    Application.objects.filter(pk=a.pk).update(eligible=False)
    services.run_round(round=round_, now=AFTER)
    round_.refresh_from_db()
    assert services.compare_with_previous(round_) == [
        {"application": a.pk, "before": aalto.pk, "after": None},
        {"application": b.pk, "before": None, "after": aalto.pk},
    ]


def test_only_a_submitted_application_can_be_withdrawn(call: Call, course: Any) -> None:
    """As in an ATHENS session: a draft takes no part in the ranking, so it is not withdrawn."""
    student = make_student("anna", course)
    first, _second, _third = offers(call)
    application = services.save_preferences(
        call=call, student=student, call_offer_ids=[first.pk], now=NOW
    )
    with pytest.raises(SelectionError, match=r"^Only a submitted application can be withdrawn\.$"):
        services.withdraw_application(application=application, actor=student, now=NOW)
    application.refresh_from_db()
    assert application.state == ApplicationState.DRAFT
    assert not AuditEvent.objects.filter(action="application.withdrawn").exists()


def test_a_mobility_keeps_the_months_its_call_allows(call: Call, course: Any) -> None:
    """The call's months per study cycle go with the mobility: its extension is checked
    against them (core/cycles.py), not against the general rule."""
    Call.objects.filter(pk=call.pk).update(months_per_cycle=18)
    _round, got = _published_round(call, course)
    services.accept_assignment(assignment=got["a"], actor=None, now=AFTER)
    assert Mobility.objects.get(student__username="a").cycle_months == 18
