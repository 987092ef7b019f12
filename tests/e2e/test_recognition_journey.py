"""The recognition of a mobility as its three actors live it, in Debian's Chromium, through the
pages only.

With the catalogue's, the mobility's and the recognition's demo loaded, the ``erasmus`` student
(at TU Dublin, learning agreement signed by all three) reads from the timeline how her grades
will convert: by grading tables (EGRACONS), with worked examples. The office records her
departure and types in the host's transcript in Irish percentages, one exam failed; the student
checks it (on a phone first: no horizontal scroll) and accepts it; the office proposes the
recognition from the recognition desk; the promoter who coordinates her course of study finds
it on the desk, reads how each grade was computed (which percentiles at the host and at home),
raises one grade with a reason and validates; the office looks at the home grading table and
its chart, then downloads the registrar's CSV, which holds her recognised lines (not the failed
one); the student sees the validated recognition from her timeline. axe-core checks every
page; the browser logs no error (a CSP violation would be one).

An Italian reader (the office, switched to Italiano) of the demo's validated recognition reads
its explanation in Italian: nothing in words is stored, the page says it in her language."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.utils import timezone, translation
from playwright.sync_api import Page, ViewportSize, expect

from abroad.core.academic_year import format_year
from abroad.mobility.enums import MobilityState
from abroad.mobility.models import Mobility
from abroad.people.models import User
from abroad.recognition.enums import LineFlag, Method, Outcome, TranscriptState
from abroad.recognition.models import GradingTable, Transcript
from abroad.site.demo.mobility import ERASMUS, PROMOTER, load_mobility_demo
from abroad.site.demo.recognition import (
    REFERENCE_COURSE,
    RETURNEE,
    TU_DUBLIN,
    load_recognition_demo,
)
from tests.e2e.conftest import assert_accessible, log_in, no_horizontal_scroll, screenshot

pytestmark = pytest.mark.e2e

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 360, "height": 740}
# The host's transcript, in Irish percentages (pass at 40), in the order of table A: the
# fourth exam failed.
GRADES = ("72", "65", "58", "35", "81")
FAILED = 3
# The promoter raises the first line (72 converts to 30) to 30 e lode, saying why.
RAISED_TO = "30L"
REASON = (
    "First-class honours in this module on the host's transcript: the board of the course of "
    "study grants the lode."
)


def test_transcript_entered_accepted_converted_adjusted_validated_exported(
    page: Page, demo_server: str, console_errors: list[str]
) -> None:
    load_mobility_demo()
    load_recognition_demo()
    today = timezone.localdate()
    mobility = Mobility.objects.select_related("host", "student__course_of_study").get(
        student__username=ERASMUS
    )
    assert mobility.host.erasmus_code == TU_DUBLIN
    assert mobility.student.course_of_study is not None
    assert mobility.student.course_of_study.code == REFERENCE_COURSE
    assert mobility.state == MobilityState.IN_MOBILITY
    assert not Transcript.objects.filter(mobility=mobility).exists()
    student = mobility.student
    timeline_url = f"/mobility/{mobility.pk}/"
    page.set_viewport_size(DESKTOP)

    # --- Before coming back, the student reads how her grades will convert.
    log_in(page, demo_server, ERASMUS, "/calls/")
    page.get_by_role("link", name="My mobility").click()  # just one: straight to its timeline
    expect(page).to_have_url(re.compile(rf"{timeline_url}$"))
    page.get_by_role("link", name="How your grades will be converted").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How your grades will be converted")
    main = page.locator("main")
    expect(main).to_contain_text("Technological University Dublin, 3I-MSC-MECH: grading tables")
    expect(main).to_contain_text(str(Method.GRADING_TABLES.label))
    examples = page.locator("table.examples-table tbody tr")
    expect(examples.first).to_be_visible()
    assert examples.count() >= 5
    expect(page.locator("tr.example-failed")).to_contain_text("fail")
    expect(page.locator("svg.grading-chart")).to_have_count(2)  # the host's and the home table
    assert_accessible(page)
    screenshot(page, "recognition-conversion", full_page=True)

    # --- Back home: the office records the departure and types in the transcript.
    log_in(page, demo_server, "office", f"/mobility/office/?q={student.last_name}")
    page.get_by_role("link", name=f"{student.last_name} {student.first_name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Mobility of {student.get_full_name()}"
    )
    page.get_by_label("Left on").fill(today.isoformat())
    page.get_by_role("button", name="Move to “Completed”").click()
    expect(page.locator(".messages")).to_contain_text("mobility is now “Completed”.")
    assert_accessible(page)
    page.get_by_role("link", name="Enter or import the transcript").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the transcript of records")
    scale = page.get_by_label("Grading scale of the transcript").locator("option:checked")
    expect(scale).to_have_text("Ireland percentage 0-100")  # the host country's
    page.get_by_label("Received on").fill(today.isoformat())
    for index, grade in enumerate(GRADES):
        page.locator(f"#id_entries-{index}-grade").fill(grade)
    assert_accessible(page)
    screenshot(page, "transcript-enter", full_page=True)
    page.get_by_role("button", name="Save the transcript").click()
    expect(page.locator(".messages")).to_contain_text(
        "The transcript was saved; the student is asked to accept it."
    )
    expect(page.locator(".outcome-counts")).to_contain_text("4 passed")
    expect(page.locator(".outcome-counts")).to_contain_text("1 failed")
    assert_accessible(page)

    # --- The student finds it on the timeline, checks it on a phone, and accepts it.
    log_in(page, demo_server, ERASMUS, timeline_url)
    page.set_viewport_size(PHONE)
    page.get_by_role("link", name="Transcript and recognition").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Transcript and recognition")
    entries = page.locator("table.entries-table tbody tr")
    expect(entries).to_have_count(len(GRADES))
    expect(entries.nth(FAILED)).to_contain_text("Failed")
    expect(page.get_by_role("heading", name="Is the transcript right?")).to_be_visible()
    no_horizontal_scroll(page)
    assert_accessible(page)
    page.set_viewport_size(DESKTOP)
    screenshot(page, "transcript-accept", full_page=True)
    page.get_by_role("button", name="Accept the transcript").click()
    expect(page.locator(".messages")).to_contain_text("You accepted the transcript")
    assert_accessible(page)

    # --- The office proposes the recognition from the recognition desk.
    log_in(page, demo_server, "office", "/recognition/desk/")
    transcript = Transcript.objects.get(mobility=mobility)
    assert transcript.state == TranscriptState.ACCEPTED
    assert_accessible(page)
    page.locator(f"#transcript-{transcript.pk}").get_by_role("link", name="Open").click()
    page.get_by_role("button", name="Propose the recognition").click()
    expect(page.locator(".messages")).to_contain_text("The recognition was proposed")
    assert_accessible(page)

    # --- The promoter finds it on the desk, reads the explanation, changes one grade, validates.
    log_in(page, demo_server, PROMOTER, "/calls/")
    page.get_by_role("link", name="Recognition", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recognitions to validate")
    row = page.locator(f"#transcript-{transcript.pk}")
    expect(row).to_contain_text(f"{student.last_name} {student.first_name}")
    expect(row).to_contain_text("1 line to decide")
    assert_accessible(page)
    screenshot(page, "recognition-desk")
    row.get_by_role("link", name="Review").click()
    lines = page.locator("article.recognition-line")
    expect(lines).to_have_count(len(GRADES))
    first = lines.first
    expect(first).to_contain_text("Host percentiles")
    expect(first).to_contain_text("Home percentiles")
    expect(lines.nth(FAILED)).to_contain_text(str(LineFlag.FAILED.label))
    expect(first.get_by_role("heading")).to_have_text(re.compile(r": 30$"))
    raised = first
    raised.locator("summary").click()
    raised.get_by_label("Grade").fill(RAISED_TO)
    raised.get_by_label("Why (the student reads it)").fill(REASON)
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 1180})  # the line and its form, whole
    first.evaluate("element => element.scrollIntoView()")
    page.evaluate("window.scrollBy(0, -64)")
    screenshot(page, "recognition-explained")
    page.set_viewport_size(DESKTOP)
    raised.get_by_role("button", name="Change the grade").click()
    expect(page.locator(".messages")).to_contain_text(f"the grade is now {RAISED_TO}.")
    expect(page.locator(".line-adjustment")).to_contain_text(REASON)
    assert_accessible(page)
    page.get_by_role("button", name="Validate the recognition").click()
    expect(page.locator(".messages")).to_contain_text("is validated: it goes to the registrar")
    assert_accessible(page)

    # --- The office looks at the home grading table, then exports for the registrar.
    log_in(page, demo_server, "office", "/recognition/desk/")
    page.get_by_role("link", name="Grading tables").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grading tables")
    expect(page.locator("svg.grading-chart")).to_have_count(2)
    assert_accessible(page)
    home_table = GradingTable.objects.get(institution__is_home=True)
    page.get_by_role("link", name=home_table.institution.display_name).first.click()
    expect(page.locator("svg.grading-chart")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "grading-table", full_page=True)
    page.get_by_role("link", name="Recognition", exact=True).click()
    page.get_by_label("Academic year").select_option(format_year(mobility.academic_year))
    # (made as a background job: its page offers the file once made)
    page.get_by_role("button", name="Download CSV").click()
    expect(page.locator("#job")).to_have_attribute("data-state", "done")
    year = mobility.academic_year
    with page.expect_download() as download_info:
        page.get_by_role("button", name=f"Download recognitions-{year}-{year + 1}.csv").click()
    download = download_info.value
    assert download.suggested_filename == f"recognitions-{year}-{year + 1}.csv"
    rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    assert_accessible(page)

    # --- The student sees the validated recognition from the timeline.
    log_in(page, demo_server, ERASMUS, timeline_url)
    expect(page.locator("#timeline")).to_contain_text("the recognition of your exams follows")
    page.get_by_role("link", name="Transcript and recognition").click()
    expect(
        page.get_by_role("heading", level=2, name="Recognition at home (validated)")
    ).to_be_visible()
    expect(page.locator(".line-adjustment")).to_contain_text(REASON)
    assert_accessible(page)

    transcript.refresh_from_db()
    assert transcript.state == TranscriptState.VALIDATED
    assert transcript.validated_by == User.objects.get(username=PROMOTER)
    entry_outcomes = list(transcript.entries.order_by("pk").values_list("outcome", flat=True))
    assert entry_outcomes.count(Outcome.FAILED) == 1
    lines_by_position = list(transcript.lines.order_by("position"))
    assert lines_by_position[FAILED].grade == ""  # not recognised, not exported
    raised_line = lines_by_position[0]
    assert (raised_line.proposed_grade, raised_line.grade) == ("30", RAISED_TO)
    assert raised_line.adjusted_reason == REASON
    assert raised_line.adjusted_by == transcript.validated_by
    recognised = [line for line in lines_by_position if line.grade]
    assert len(recognised) == len(GRADES) - 1
    assert [(row["course_code"], row["grade"], row["credits"]) for row in rows] == [
        (line.code, line.grade, "6") for line in recognised
    ]
    assert {row["student_number"] for row in rows} == {student.student_number}
    assert {row["host_institution"] for row in rows} == {mobility.host.display_name}
    mobility.refresh_from_db()
    assert (mobility.state, mobility.actual_end) == (MobilityState.COMPLETED, today)
    assert console_errors == []


@pytest.mark.once  # reads a page only
def test_an_italian_reader_reads_the_explanation_in_italian(
    page: Page, demo_server: str, console_errors: list[str]
) -> None:
    load_mobility_demo()
    load_recognition_demo()
    mobility = Mobility.objects.get(student__username=RETURNEE)
    transcript = Transcript.objects.get(mobility=mobility)
    assert transcript.state == TranscriptState.VALIDATED
    line = transcript.lines.order_by("position").first()
    assert line is not None
    with translation.override("en"):
        english = line.sentences()
    with translation.override("it"):
        italian = line.sentences()
    assert english != italian

    log_in(page, demo_server, "office", f"/recognition/mobility/{mobility.pk}/")
    page.get_by_role("button", name="Italiano").click()
    expect(page.locator("html")).to_have_attribute("lang", "it")
    words = page.locator(f"#line-{line.pk} .explanation-text")
    for sentence in italian:
        expect(words).to_contain_text(sentence)
    main = page.locator("main")
    for sentence in english:
        expect(main).not_to_contain_text(sentence)
    expect(main).not_to_contain_text("(linear formula)")
    expect(main).not_to_contain_text("rounded half up")
    expect(main).to_contain_text("(formula lineare)")
    assert_accessible(page)
    assert console_errors == []
