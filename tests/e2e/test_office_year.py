"""The office's whole academic year on the demo, in Debian's Chromium (issue 18, "done means").

One journey, run on the demo as ``python -m abroad demo`` loads it (catalogue, calls,
mobilities, recognition) and on the same demo at ten times its catalogue (``--scale 10``: the
new call's Master offers alone are then over 4,000, all added at once):

1. the office creates a call on its own page, is refused a closing in the past, moves the
   deadline later and adds every Master offer of the filter at once;
2. three students rank destinations and submit while the call is open; the office's page
   offers no ranking then and says when;
3. time passes (the closing moves into the past through the ORM: the page refuses a past
   deadline, rightly); the office ranks, creates round 1, does a dry run and publishes it;
4. the students answer: two accept, one renounces; round 2 is refused while round 1 is open,
   and closing round 1 is refused before its deadline; once it passes and round 1 is closed,
   round 2 gives the renounced seat to the student who had none;
5. the office reads the nominations and moves the mobility to the host's acceptance; the
   student sets the planned dates, fills and signs the learning agreement, the promoter
   approves it, the office records the host's signature and the arrival certificate; the
   student proposes a change, the promoter approves it, the office records the host's
   signature; the transcript is refused while the student is abroad; the office records the
   departure certificate and enters the transcript, the student accepts it, the office
   proposes the recognition, the promoter validates it; a change of the learning agreement
   is then refused.

Every step goes through the pages as the office, the students and the demo ``promoter``
(who coordinates the demo ``student``'s course) would, except three, each said where it is
done: the two other students and their careers are written with the ORM (``# no page yet:``),
and time passes twice through the ORM (the call's closing, round 1's deadline), since the
pages rightly refuse a date in the past and the test cannot wait. axe-core checks the main
pages; the browser logs no error."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import FilePayload, Page, ViewportSize, expect

from abroad.catalogue.enums import MobilityType
from abroad.mobility.enums import LearningAgreementState, MobilityState
from abroad.mobility.models import LearningAgreement, Mobility
from abroad.people.enums import Role
from abroad.people.models import LanguageCertificate, StudentCareer, User
from abroad.recognition.enums import TranscriptState
from abroad.recognition.models import Transcript
from abroad.selection import services
from abroad.selection.enums import ApplicationState, AssignmentState, RoundState
from abroad.selection.models import Application, Assignment, Call, CallOffer, Round
from abroad.site.demo.catalogue import PASSWORD
from tests.e2e.conftest import assert_accessible, log_in, screenshot
from tests.mobility.factories import PDF_BYTES

pytestmark = pytest.mark.e2e

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
FORMAT = "%Y-%m-%dT%H:%M"
CODE = "engineering-2027-2"
TITLE = "Exchange programmes 2027/2028 – Engineering, second call"
# The host's scales the recognition demo converts (linear formula), and a passing grade in each.
GRADES = {"FR": "14", "DE": "2.0", "ES": "7", "NL": "7"}
# The learning agreement: 30 ECTS at the host and at home; the change drops the third host
# course for another.
HOST_COURSES = [
    ("MEC41010", "Advanced Heat Transfer", "12"),
    ("MEC41020", "Robotics Laboratory", "12"),
    ("MEC41030", "Technical French", "6"),
]
HOME_COURSES = [
    ("052440", "Heat Transfer", "12"),
    ("052450", "Robotics", "12"),
    ("052460", "Free credits", "6"),
]
ADDED = ("MEC41040", "Vibrations and Noise", "6")
# The three applicants: the demo login ``student`` and two made by the test (best, worst).
BEST, MIDDLE, LAST = "anna", "student", "carlo"


@pytest.fixture(params=[1, 10], ids=["demo", "demo-x10"])
def year_demo(request: Any, live_server: Any, transactional_db: None) -> tuple[str, int]:
    """The live server's URL with the whole demo loaded as ``python -m abroad demo`` does
    (without the networks'), at scale 1 or 10. The 10x catalogue is loaded once, for its one
    test (some 40 s on SQLite)."""
    from abroad.site.demo.catalogue import load_demo
    from abroad.site.demo.mobility import load_mobility_demo
    from abroad.site.demo.recognition import load_recognition_demo
    from abroad.site.demo.selection import load_selection_demo

    scale = int(request.param)
    load_demo(scale=scale)
    load_selection_demo()
    load_mobility_demo()
    load_recognition_demo()
    return str(live_server.url), scale


def _pdf(name: str) -> FilePayload:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF_BYTES}


def _message(page: Page, text: str | re.Pattern[str]) -> None:
    expect(page.locator(".messages")).to_contain_text(text)


def _students() -> dict[str, User]:
    """The demo login ``student`` (MSc Mechanical Engineering, English C1) and two more of the
    same course, one with a better career and one with a worse."""
    # no page yet: students come from the university's accounts and their careers from the
    # registrar's file (``python -m abroad import-careers``); the office workspace's admin
    # could type a career, but that is no step of the office's year. The ORM writes them.
    student = User.objects.select_related("course_of_study").get(username=MIDDLE)
    made = {}
    for username, first, last, number, average in (
        (BEST, "Anna", "Rossi", "100901", "29.80"),
        (LAST, "Carlo", "Bruno", "100902", "22.10"),
    ):
        user = User.objects.create_user(
            username=username,
            password=PASSWORD,
            first_name=first,
            last_name=last,
            email=f"{username}@example.org",
            role=Role.STUDENT,
            student_number=number,
            course_of_study=student.course_of_study,
        )
        career = StudentCareer.objects.get(student=student)
        StudentCareer.objects.create(
            student=user,
            first_enrolment_year=career.first_enrolment_year,
            credits_bachelor=180,
            credits_master=60,
            average_bachelor=Decimal(average),
            average_master=Decimal(average),
            first_year_completed=True,
        )
        LanguageCertificate.objects.create(student=user, language="en", level="C1", name="IELTS")
        made[username] = user
    return {BEST: made[BEST], MIDDLE: student, LAST: made[LAST]}


def _two_destinations(call: Call, student: User) -> tuple[CallOffer, CallOffer]:
    """Two courses-only offers of the call, at two partners in countries whose grades the
    demo converts, open to the student (and so to the two others of the same course)."""
    chosen: list[CallOffer] = []
    partners: set[int] = set()
    for answer in services.offers_for_student(call, student):
        offer = answer.call_offer.offer
        partner = offer.agreement.partner
        if (
            answer.available
            and offer.mobility_type == MobilityType.STUDY
            and offer.months >= 5
            and partner.country in GRADES
            and partner.pk not in partners
        ):
            chosen.append(answer.call_offer)
            partners.add(partner.pk)
        if len(chosen) == 2:
            return chosen[0], chosen[1]
    raise AssertionError("the demo has no two fitting destinations")


def _apply(page: Page, server: str, username: str, call: Call, wanted: list[CallOffer]) -> None:
    """The student ranks ``wanted`` in order on the call's page and submits. (The student's
    call page is being reworked: its steps are all here, on its stable buttons.)"""
    log_in(page, server, username, "/calls/")
    page.get_by_role("link", name=call.title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(call.title)
    for number, call_offer in enumerate(wanted, start=1):
        page.locator(f"#add-{call_offer.pk}").click()
        expect(page.locator(f"#added-{call_offer.pk}")).to_have_text(f"Your choice {number}")
    expect(page.locator("ol.ranking > li")).to_have_count(len(wanted))
    page.get_by_role("button", name="Submit application").click()
    _message(page, "Your application is submitted.")
    expect(page.locator("#application")).to_contain_text("Submitted on")


def _answer(page: Page, server: str, username: str, call: Call, *, accept: bool) -> None:
    log_in(page, server, username, call.get_absolute_url())
    results = page.locator("#results")
    expect(results).to_contain_text("Accept or renounce by")
    if accept:
        page.get_by_role("button", name="Accept this seat").click()
        _message(page, "You accepted your seat at")
        expect(results).to_contain_text("Accepted on")
    else:
        page.get_by_role("button", name="Renounce…").click()
        page.get_by_role("button", name="Renounce this seat").click()
        expect(results).to_contain_text("Renounced")
    expect(page.get_by_role("button", name="Accept this seat")).to_have_count(0)


def _round_page(page: Page, server: str, number: int) -> None:
    page.goto(f"{server}/calls/office/{CODE}/rounds/{number}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Round {number}")


def _type_rows(page: Page, table: str, rows: list[tuple[str, str, str]], start: int = 0) -> None:
    for index, (code, title, ects) in enumerate(rows, start=start):
        page.locator(f"#id_{table}-{index}-code").fill(code)
        page.locator(f"#id_{table}-{index}-title").fill(title)
        if table == "A":
            page.locator(f"#id_{table}-{index}-term").fill("Autumn semester")
        page.locator(f"#id_{table}-{index}-ects").fill(ects)


def _settled(page: Page) -> None:
    page.wait_for_function("!document.querySelector('.htmx-request')")


def _promoter_approves(page: Page, server: str, agreement: LearningAgreement) -> None:
    log_in(page, server, "promoter", "/mobility/desk/")
    row = page.locator(f"#agreement-{agreement.pk}")
    expect(row).to_contain_text(agreement.mobility.student.last_name)
    row.get_by_role("link", name="Review").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"Learning agreement v{agreement.number} of"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Approve").click()
    _message(
        page,
        f"Version {agreement.number} of {agreement.mobility.student.get_full_name()} approved; "
        "it now waits for the host.",
    )
    agreement.refresh_from_db()
    assert agreement.state == LearningAgreementState.APPROVED


def _office_records_host_signature(
    page: Page, server: str, mobility: Mobility, agreement: LearningAgreement
) -> None:
    log_in(page, server, "office", f"/mobility/office/{mobility.pk}/")
    page.locator(f"#signer-{agreement.pk}").fill("Dr. Claire Martin, exchange coordinator")
    page.locator(f"#file-{agreement.pk}").set_input_files(_pdf(f"la-v{agreement.number}.pdf"))
    page.get_by_role("button", name="Record the host's signature").click()
    _message(page, f"Version {agreement.number} is signed by all three")
    agreement.refresh_from_db()
    assert agreement.state == LearningAgreementState.SIGNED


def _certificate(page: Page, kind: str, day: str, name: str) -> None:
    form = page.locator(".certificate-form")
    form.get_by_label("Kind of certificate").select_option(label=kind)
    form.get_by_label("Date on the certificate").fill(day)
    form.get_by_label("The certificate (PDF").set_input_files(_pdf(name))
    form.get_by_role("button", name="Record the certificate").click()
    expect(page.get_by_text(re.compile(r"The certificate is recorded"))).to_be_visible()


def _day(value: dt.date) -> str:
    return date_format(value, "j F Y")


def _type_grades(page: Page, grade: str) -> int:
    """The same passing grade for every prefilled row of the transcript; how many rows."""
    index = 0
    while page.locator(f"#id_entries-{index}-code").input_value():
        page.locator(f"#id_entries-{index}-grade").fill(grade)
        index += 1
    return index


def test_the_office_year(page: Page, year_demo: tuple[str, int], console_errors: list[str]) -> None:
    server, scale = year_demo
    page.set_viewport_size(DESKTOP)
    students = _students()

    # ------------------------------------------------ 1. the office creates and edits a call
    log_in(page, server, "office")
    page.get_by_role("link", name="Calls", exact=True).click()
    page.get_by_role("button", name="New call").click()
    expect(page.get_by_role("heading", name="New call")).to_be_visible()
    now = timezone.localtime().replace(second=0, microsecond=0)
    page.get_by_label("Code").fill(CODE)
    page.get_by_label("Title").fill(TITLE)
    for school in ("ICAT", "3I", "AUIC-ENG"):
        page.get_by_role("checkbox", name=re.compile(rf"(^|\s){school} – ")).check()
    page.get_by_label("Academic year of the mobility").fill("2027")
    page.get_by_label(re.compile(r"^Call \*")).select_option("2")
    page.get_by_label("Applications open").fill((now - dt.timedelta(hours=1)).strftime(FORMAT))
    page.get_by_label("Applications close").fill((now + dt.timedelta(days=30)).strftime(FORMAT))
    page.get_by_label("Master (Laurea Magistrale)", exact=True).check()
    page.get_by_role("button", name="Create the call").click()
    expect(page.get_by_text("Call created: now choose its offers.")).to_be_visible()
    call = Call.objects.get(code=CODE)
    assert call.is_open()

    # Out of order: a closing in the past is refused, and the call stays as it was.
    page.get_by_role("link", name="Dates and rules").click()
    page.get_by_label("Applications close").fill((now - dt.timedelta(minutes=30)).strftime(FORMAT))
    page.get_by_role("button", name="Save the call").click()
    expect(page.get_by_text(re.compile(r"is in the past"))).to_be_visible()
    call.refresh_from_db()
    assert call.closes_at == now + dt.timedelta(days=30)
    # The deadline moves a week later.
    later = now + dt.timedelta(days=37)
    page.get_by_label("Applications close").fill(later.strftime(FORMAT))
    page.get_by_role("button", name="Save the call").click()
    expect(page.get_by_text("The call was saved.")).to_be_visible()
    call.refresh_from_db()
    assert call.closes_at == later

    # The offers: every Master offer of the candidates, added at once.
    page.get_by_role("link", name="Offers", exact=True).click()
    page.get_by_role("link", name=re.compile(r"Not in the call yet \(\d+\)")).click()
    page.get_by_label("Degree level").select_option("7")
    expect(page).to_have_url(re.compile(r"eqf=7"))
    add_all = page.get_by_role("button", name=re.compile(r"Add all \d+ offers matching"))
    expect(add_all).to_be_visible()
    assert_accessible(page)
    wanted = int("".join(re.findall(r"\d", add_all.inner_text())))  # "4114" or "4,114"
    if scale == 10:
        assert wanted >= 2000, wanted
    add_all.click()
    expect(page.get_by_text(f"{wanted} offers added to the call.")).to_be_visible()
    expect(page.get_by_role("link", name=f"In the call ({wanted})")).to_be_visible()
    assert call.call_offers.count() == wanted
    page.get_by_role("link", name=f"In the call ({wanted})").click()
    expect(page.locator("table.call-offers tbody tr")).to_have_count(min(wanted, 50))
    expect(
        page.get_by_role("button", name=f"Remove all {wanted} offers matching the filters")
    ).to_be_visible()

    # One seat at each of two destinations, on the offers page (searched by partner).
    first, second = _two_destinations(call, students[MIDDLE])
    for call_offer in (first, second):
        partner = call_offer.offer.agreement.partner
        page.goto(f"{server}/calls/office/{CODE}/offers/?q={partner.erasmus_code or partner.name}")
        seats = page.locator(f"input[name=seats-{call_offer.pk}]")
        seats.fill("1")
        page.get_by_role("button", name="Save the seats of this page").click()
        expect(page.locator(f"input[name=seats-{call_offer.pk}]")).to_have_value("1")
        call_offer.refresh_from_db()
        assert call_offer.seats == 1

    # ---------------------------------------------- 2. students apply while the call is open
    # Anna (the best) wants the first; the demo student the second; Carlo both.
    _apply(page, server, BEST, call, [first])
    assert_accessible(page)
    _apply(page, server, MIDDLE, call, [second])
    _apply(page, server, LAST, call, [first, second])
    assert Application.objects.filter(call=call, state=ApplicationState.SUBMITTED).count() == 3

    # Out of order: while the call is open the office is offered no ranking, and no round runs.
    log_in(page, server, "office", f"/calls/office/{CODE}/")
    expect(page.get_by_role("button", name="Rank the applications")).to_have_count(0)
    expect(page.locator(".ranking-waits")).to_contain_text(
        "The applications can be ranked once the call closes"
    )
    expect(page.locator(".stats")).to_contain_text("3")
    assert_accessible(page)
    if scale == 1:
        page.locator(".call-steps").evaluate("element => element.scrollIntoView()")
        screenshot(page, "office-year-rank-waits")

    # ------------------------------------------------ 3. close, rank, dry run, publish round 1
    # Time passes: the deadline is moved into the past through the ORM (the page rightly
    # refuses a past closing, and the test cannot wait a month).
    Call.objects.filter(pk=call.pk).update(closes_at=timezone.now() - dt.timedelta(seconds=1))
    page.reload()
    page.get_by_role("button", name="Rank the applications").click()
    _message(page, "3 applications scored, 3 eligible and ranked.")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Rossi Anna")
    expect(rows.nth(2)).to_contain_text("Bruno Carlo")
    assert_accessible(page)

    page.goto(f"{server}/calls/office/{CODE}/")
    deadline = timezone.localtime() + dt.timedelta(days=7)
    page.get_by_label("Students accept by").fill(deadline.strftime(FORMAT))
    page.get_by_role("button", name="Create the next round").click()
    _message(page, "Round 1 created: run it when ready.")
    page.get_by_role("button", name="Run (dry run)").click()
    _message(page, "Dry run done: 2 of 3 students get a seat.")
    expect(page.locator("dl.facts")).to_contain_text("2 with a seat, 1 without")
    assert_accessible(page)
    page.get_by_role("button", name="Publish to the students").click()
    _message(page, "Round 1 published")
    round_1 = Round.objects.get(call=call, number=1)
    assert round_1.state == RoundState.PUBLISHED

    # ------------------------------------ 4. answers; round 2 waits for round 1 to be closed
    _answer(page, server, BEST, call, accept=False)
    _answer(page, server, MIDDLE, call, accept=True)
    log_in(page, server, LAST, call.get_absolute_url())
    expect(page.locator("#results")).not_to_contain_text("Accept or renounce by")
    expect(page.get_by_role("button", name="Accept this seat")).to_have_count(0)

    # Out of order: no second round while round 1 is open; round 1 waits for its deadline.
    log_in(page, server, "office", f"/calls/office/{CODE}/")
    expect(page.get_by_role("button", name="Create the next round")).to_have_count(0)
    expect(page.locator(".round-waits")).to_contain_text(
        "The next round can be created once the earlier rounds are closed."
    )
    _round_page(page, server, 1)
    expect(page.locator("#close-help")).to_contain_text("once the students' deadline has passed")
    page.get_by_role("button", name="Close the round").click()
    _message(page, "The students can still answer until the deadline.")
    if scale == 1:
        screenshot(page, "office-year-close-refused")
    assert Round.objects.get(pk=round_1.pk).state == RoundState.PUBLISHED

    # Time passes: the students' deadline is moved into the past through the ORM.
    Round.objects.filter(pk=round_1.pk).update(
        acceptance_deadline=timezone.now() - dt.timedelta(seconds=1)
    )
    page.reload()
    page.get_by_role("button", name="Close the round").click()
    _message(page, "Round 1 closed")
    page.goto(f"{server}/calls/office/{CODE}/")
    page.get_by_label("Students accept by").fill(
        (timezone.localtime() + dt.timedelta(days=7)).strftime(FORMAT)
    )
    page.get_by_role("button", name="Create the next round").click()
    _message(page, "Round 2 created")
    page.get_by_role("button", name="Run (dry run)").click()
    _message(page, "Dry run done: 1 of 1 students get a seat.")
    page.get_by_role("button", name="Publish to the students").click()
    _message(page, "Round 2 published")
    _answer(page, server, LAST, call, accept=True)
    round_2 = Assignment.objects.get(round__call=call, round__number=2)
    assert round_2.application.student.username == LAST
    assert round_2.call_offer_id == first.pk
    assert round_2.state == AssignmentState.ACCEPTED

    # ------------------------------------------------------ 5. nomination and the mobility
    log_in(page, server, "office", f"/calls/office/{CODE}/")
    expect(page.locator(".call-steps")).to_contain_text("2 students accepted a seat.")
    page.get_by_role("button", name="See the nominations").click()
    main = page.locator("main")
    expect(main).to_contain_text("Bruno Carlo")
    expect(main).to_contain_text(str(second.offer.agreement.partner))
    assert_accessible(page)
    # (made as a background job: its page offers the file once made)
    page.get_by_role("button", name="Download CSV").click()
    expect(page.locator("#job")).to_have_attribute("data-state", "done")
    with page.expect_download() as download_info:
        page.get_by_role("button", name=f"Download nominations-{CODE}.csv").click()
    download = download_info.value
    assert download.suggested_filename == f"nominations-{CODE}.csv"
    nominated = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    assert sorted(row["Student number"] for row in nominated) == sorted(
        (students[MIDDLE].student_number, students[LAST].student_number)
    )

    student = students[MIDDLE]
    mobility = Mobility.objects.get(student=student, origin=f"call:{CODE}")
    assert mobility.state == MobilityState.NOMINATED
    assert mobility.host_id == second.offer.agreement.partner_id
    # The office tells the host and the host accepts.
    page.goto(f"{server}/mobility/office/{mobility.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Mobility of {student.get_full_name()}"
    )
    page.get_by_role("button", name="Move to “Applied to the host”").click()
    _message(page, "“Applied to the host”")
    page.get_by_role("button", name="Move to “Accepted by the host”").click()
    _message(page, "“Accepted by the host”")
    assert_accessible(page)

    # The student sets the planned dates (from today, so that the change window of the
    # learning agreement, counted from the arrival, is open whenever the test runs), then
    # fills and signs the learning agreement.
    start = timezone.localdate()
    end = start + dt.timedelta(days=140)  # within the seat's five months or more
    log_in(page, server, MIDDLE, f"/mobility/{mobility.pk}/")
    dates = page.locator("#dates")
    dates.get_by_label("Planned start").fill(start.isoformat())
    dates.get_by_label("Planned end").fill(end.isoformat())
    dates.get_by_role("button", name="Save the planned dates").click()
    expect(page.get_by_text(f"The planned dates are saved: from {_day(start)}")).to_be_visible()
    expect(page.locator("#planned")).to_have_text(f"{_day(start)} – {_day(end)}")
    assert_accessible(page)
    page.get_by_role("link", name="Open the learning agreement").first.click()
    page.get_by_role("button", name="Start the learning agreement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Learning agreement: draft of version 1"
    )
    _type_rows(page, "A", HOST_COURSES)
    _type_rows(page, "B", HOME_COURSES)
    page.get_by_label("Your level in that language").select_option("C1")
    _settled(page)
    page.get_by_role("button", name="Save and sign").click()
    _message(page, "You signed version 1.")
    version_1 = LearningAgreement.objects.get(mobility=mobility, number=1)
    assert version_1.state == LearningAgreementState.SUBMITTED

    # Out of order: the student's dates cannot change once the agreement is submitted (the
    # form is gone; the planned dates stay as set).
    page.goto(f"{server}/mobility/{mobility.pk}/")
    expect(page.locator("#planned")).to_have_text(f"{_day(start)} – {_day(end)}")
    expect(page.locator("#dates")).to_have_count(0)

    _promoter_approves(page, server, version_1)
    _office_records_host_signature(page, server, mobility, version_1)
    _certificate(page, "Arrival certificate", start.isoformat(), "arrival.pdf")
    expect(page.locator("#arrival")).to_have_text(_day(start))
    mobility.refresh_from_db()
    assert mobility.state == MobilityState.IN_MOBILITY

    # A change during the mobility: the third host course is dropped, another added.
    log_in(page, server, MIDDLE, f"/mobility/{mobility.pk}/la/")
    page.get_by_role("button", name="Propose a change").click()
    page.locator("#id_A-2-status").select_option("deleted")
    page.locator("#id_A-2-reason_code").select_option("not-available")
    _type_rows(page, "A", [ADDED], start=3)
    page.locator("#id_A-3-status").select_option("inserted")
    page.locator("#id_A-3-reason_code").select_option("substituting-deleted")
    _settled(page)
    page.get_by_role("button", name="Save and sign").click()
    _message(page, "You signed version 2.")
    version_2 = LearningAgreement.objects.get(mobility=mobility, number=2)
    _promoter_approves(page, server, version_2)
    _office_records_host_signature(page, server, mobility, version_2)

    # Out of order: no transcript while the student is abroad.
    page.get_by_role("link", name="The transcript and the recognition of the exams").click()
    expect(page.locator(".transcript-waits")).to_contain_text("The student is still abroad")
    # The entry page itself says so and offers no form (a POST is refused by the service).
    page.goto(f"{server}/recognition/mobility/{mobility.pk}/enter/")
    expect(page.locator("main")).to_contain_text(
        "The student is still abroad: the transcript is entered once the office has recorded "
        "the departure."
    )
    expect(page.get_by_role("button", name="Save the transcript")).to_have_count(0)
    grade = GRADES[mobility.host.country]
    assert not Transcript.objects.filter(mobility=mobility).exists()

    # Back home: the departure certificate, then the transcript.
    page.goto(f"{server}/mobility/office/{mobility.pk}/")
    _certificate(page, "Departure certificate", end.isoformat(), "departure.pdf")
    mobility.refresh_from_db()
    assert mobility.state == MobilityState.COMPLETED
    page.get_by_role("link", name="Enter or import the transcript").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the transcript of records")
    page.get_by_label("Received on").fill(timezone.localdate().isoformat())
    index = _type_grades(page, grade)
    assert index == len(HOST_COURSES)  # two kept and one added; the dropped one is gone
    page.get_by_role("button", name="Save the transcript").click()
    _message(page, "The transcript was saved; the student is asked to accept it.")
    expect(page.locator(".outcome-counts")).to_contain_text(f"{index} passed")

    log_in(page, server, MIDDLE, f"/recognition/mobility/{mobility.pk}/")
    page.get_by_role("button", name="Accept the transcript").click()
    _message(page, "You accepted the transcript")

    log_in(page, server, "office", f"/recognition/mobility/{mobility.pk}/")
    page.get_by_role("button", name="Propose the recognition").click()
    _message(page, "The recognition was proposed")
    assert_accessible(page)

    log_in(page, server, "promoter", f"/recognition/mobility/{mobility.pk}/")
    page.get_by_role("button", name="Validate the recognition").click()
    _message(page, "is validated: it goes to the registrar")
    transcript = Transcript.objects.get(mobility=mobility)
    assert transcript.state == TranscriptState.VALIDATED

    # Out of order: after the validation the learning agreement can no longer change.
    log_in(page, server, MIDDLE, f"/mobility/{mobility.pk}/la/")
    expect(page.locator(".la-recognised")).to_contain_text(
        "the learning agreement can no longer change"
    )
    expect(page.get_by_role("button", name="Propose a change")).to_have_count(0)
    assert_accessible(page)
    assert mobility.learning_agreements.count() == 2
    assert console_errors == []
