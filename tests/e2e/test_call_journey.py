"""A call as the student lives it, in Debian's Chromium: with the demo data and an engineering
call open now, the demo student logs in on a phone, ranks four destinations, submits and
reads the confirmation; the office ranks the call and publishes the first round (through the
services); the student reloads, reads which seat they got and why, and accepts it. A second
journey does the ranking with JavaScript off. axe-core checks every page."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, ViewportSize, expect

from abroad.catalogue.models import School
from abroad.mobility.models import Mobility
from abroad.people.models import LanguageCertificate, StudentCareer, User
from abroad.selection import services
from abroad.selection.enums import ApplicationState, AssignmentState
from abroad.selection.models import Application, Assignment, Call, CallOffer
from tests.e2e.conftest import assert_accessible, log_in, screenshot

pytestmark = pytest.mark.e2e

PHONE: ViewportSize = {"width": 390, "height": 844}
PASSWORD = "demo-password"


def _engineering_call() -> Call:
    """The engineering call for 2027/2028 (ICAT, 3I, AUIC-ENG), open now, with every
    candidate offer of the demo agreements."""
    now = timezone.now()
    call = Call.objects.create(
        code="engineering-2027-1",
        title="Engineering call 2027/2028",
        academic_year=2027,
        number=1,
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=20),
        max_preferences=6,
    )
    call.schools.set(School.objects.filter(code__in=["ICAT", "3I", "AUIC-ENG"]))
    assert services.fill_call_offers(call=call) > 4
    return call


def _ready(username: str, *, average: str) -> User:
    """A demo user as an MSc Mechanical Engineering student with a career and English C1."""
    student = User.objects.get(username=username)
    if student.course_of_study is None or student.course_of_study.code != "3I-MSC-MECH":
        student.course_of_study = User.objects.get(username="student").course_of_study
        student.save()
    StudentCareer.objects.create(
        student=student,
        first_enrolment_year=2022,
        credits_bachelor=180,
        credits_master=60,
        average_bachelor=Decimal(average),
        average_master=Decimal(average),
        first_year_completed=True,
    )
    LanguageCertificate.objects.create(student=student, language="en", level="C1", name="IELTS")
    return student


def _choosable(call: Call, student: User, count: int) -> list[CallOffer]:
    available = [a.call_offer for a in services.offers_for_student(call, student) if a.available]
    assert len(available) >= count
    return available[:count]


def test_student_ranks_submits_and_accepts_a_seat(
    page: Page, demo_server: str, console_errors: list[str]
) -> None:
    call = _engineering_call()
    student = _ready("student", average="27.5")
    first, second, third, fourth = _choosable(call, student, 4)

    page.set_viewport_size(PHONE)
    log_in(page, demo_server, "student", "/calls/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My calls")
    expect(page.locator(".call-list")).to_contain_text("Engineering call 2027/2028")
    expect(page.locator(".call-list")).to_contain_text("not started")
    assert_accessible(page)
    page.get_by_role("link", name="Engineering call 2027/2028", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Engineering call 2027/2028")
    expect(page.locator(".call-deadline")).to_contain_text("Applications close on")
    expect(page.locator(".call-problems")).to_have_count(0)
    assert_accessible(page)

    # Four destinations, added in place (HTMX): the fourth, then moved above the third.
    for number, call_offer in enumerate((first, second, third, fourth), start=1):
        page.locator(f"#add-{call_offer.pk}").click()
        expect(page.locator(f"#added-{call_offer.pk}")).to_have_text(f"Your choice {number}")
        expect(page.locator("#ranking-status")).to_contain_text(
            f"added as your choice number {number}"
        )
        # The focus stays where the student was working.
        expect(page.locator(f"#added-{call_offer.pk}")).to_be_focused()
    page.locator(f"#up-{fourth.pk}").click()
    expect(page.locator("#ranking-status")).to_contain_text("is now your choice number 3")
    expect(page.locator(f"#up-{fourth.pk}")).to_be_focused()
    expect(page.locator("ol.ranking > li")).to_have_count(4)
    wanted = [first.pk, second.pk, fourth.pk, third.pk]
    application = Application.objects.get(call=call, student=student)
    assert (
        list(application.preferences.order_by("rank").values_list("call_offer_id", flat=True))
        == wanted
    )
    assert_accessible(page)
    page.locator("#ranking").evaluate("element => element.scrollIntoView()")
    screenshot(page, "call-ranking")

    page.get_by_role("button", name="Submit application").click()
    expect(page.locator(".messages")).to_contain_text(
        "Your application is submitted. We sent a confirmation to student@example.org."
    )
    expect(page.locator("#application")).to_contain_text("Submitted on")
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    assert_accessible(page)
    screenshot(page, "call-submitted")

    # A better-placed student takes the only seat of the first choice.
    rival = _ready("student01", average="29.5")
    CallOffer.objects.filter(pk=first.pk).update(seats=1)
    services.submit_application(
        application=services.save_preferences(call=call, student=rival, call_offer_ids=[first.pk]),
        actor=rival,
    )

    # The deadline passes; the office ranks the call and publishes the first round.
    Call.objects.filter(pk=call.pk).update(closes_at=timezone.now() - dt.timedelta(seconds=1))
    call.refresh_from_db()
    assert services.rank_call(call=call) == 2
    round_ = services.create_round(
        call=call, acceptance_deadline=timezone.now() + dt.timedelta(days=7)
    )
    services.run_round(round=round_)
    services.publish_round(round=round_)

    page.reload()
    results = page.locator("#results")
    expect(results).to_contain_text(f"A seat at {second.offer.label}: your choice number 2.")
    expect(results).to_contain_text("your 1st choice was filled at score")
    expect(results).to_contain_text(
        f"Choice 1, {first.offer.label}: every seat went to students ranked above "
        "you; the last one admitted had a score of"
    )
    expect(results).to_contain_text("Accept or renounce by")
    expect(page.locator("#score")).to_contain_text("position 2 in the ranking")
    assert_accessible(page)
    results.evaluate("element => element.scrollIntoView()")
    screenshot(page, "call-result")

    page.get_by_role("button", name="Accept this seat").click()
    expect(page.locator(".messages")).to_contain_text(
        f"You accepted your seat at {second.offer.label}."
    )
    expect(page.locator("#results")).to_contain_text("Accepted on")
    expect(page.get_by_role("button", name="Accept this seat")).to_have_count(0)
    assert_accessible(page)
    assignment = Assignment.objects.get(round=round_, application=application)
    assert assignment.state == AssignmentState.ACCEPTED
    mobility = Mobility.objects.get(student=student)
    assert mobility.offer == second.offer
    assert mobility.origin == "call:engineering-2027-1"
    assert console_errors == []


def test_ranking_works_without_htmx(page: Page, demo_server: str) -> None:
    """Without HTMX (blocked, as on a browser where scripts fail) each button is a plain form:
    the ranking is saved and the page comes back with a message."""
    call = _engineering_call()
    student = _ready("student", average="27.5")
    first, second = _choosable(call, student, 2)
    page.route(re.compile(r".*/(htmx\.min|ranking)\.js$"), lambda route: route.abort())
    page.set_viewport_size(PHONE)
    log_in(page, demo_server, "student", call.get_absolute_url())
    page.locator(f"#add-{first.pk}").click()
    expect(page.locator(".messages")).to_contain_text("added as your choice number 1")
    page.locator(f"#add-{second.pk}").click()
    expect(page.locator(".messages")).to_contain_text("added as your choice number 2")
    page.locator(f"#up-{second.pk}").click()
    expect(page.locator(".messages")).to_contain_text("is now your choice number 1")
    page.locator(f"#remove-{first.pk}").click()
    expect(page.locator(".messages")).to_contain_text("removed from your ranking")
    expect(page).to_have_url(re.compile(r"/calls/engineering-2027-1/#ranking$"))
    application = Application.objects.get(call=call, student=student)
    assert list(application.preferences.values_list("call_offer_id", flat=True)) == [second.pk]
    assert_accessible(page)
