"""A mobility as its three actors live it, in Debian's Chromium, through the pages only.

With the catalogue's and the mobility's demo loaded, a new student of a course the demo
``promoter`` coordinates is accepted by a host whose agreement the same promoter promotes (an
extendable offer). The student fills the first version of the learning agreement and sees the
credits warning appear while typing, saves and signs; the promoter returns it from its review
page with a comment; the student reads the comment, fixes it in a new version (on a phone
first: no horizontal scroll), signs again; the promoter approves it from the desk; the office
records the host's signature and the arrival; the student asks for an extension with the
host-signed form, the promoter authorises it, and the timeline shows the new end. axe-core
checks every page; the browser logs no error (a CSP violation would be one)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import FilePayload, Page, ViewportSize, expect

from abroad.core.academic_year import current_start_year
from abroad.mobility import services
from abroad.mobility.enums import (
    DocumentKind,
    ExtensionState,
    LearningAgreementState,
    MobilityState,
    Table,
)
from abroad.mobility.models import ExtensionRequest, LearningAgreement, Mobility
from abroad.people.enums import Role
from abroad.people.models import LanguageCertificate, StudentCareer, User
from abroad.site.demo.catalogue import PASSWORD
from abroad.site.demo.mobility import ERASMUS, load_mobility_demo
from tests.e2e.conftest import assert_accessible, log_in, no_horizontal_scroll, screenshot
from tests.mobility.factories import PDF_BYTES

pytestmark = pytest.mark.e2e

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 360, "height": 740}
# What the student types: (code, title, term, ECTS) at the host and (code, title, ECTS) at home.
HOST = [
    ("MEC41010", "Advanced Heat Transfer", "6"),
    ("MEC41020", "Robotics Laboratory", "6"),
    ("MEC41030", "Design of Machine Elements", "12"),
]
HOME = [
    ("052440", "Heat Transfer", "6"),
    ("052450", "Robotics", "6"),
    ("052460", "Machine Design", "12"),
]
FOURTH_HOST = ("MEC41040", "Vibrations and Noise", "6")
FOURTH_HOME = ("052470", "Mechanical Vibrations", "6")
COMMENT = "Table A has 24 ECTS: add a fourth course so that the semester counts 30."


def _pdf(name: str) -> FilePayload:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF_BYTES}


def _settled(page: Page) -> None:
    """No HTMX request in flight (the live checks have been swapped in)."""
    page.wait_for_function("!document.querySelector('.htmx-request')")


def _type_row(page: Page, table: str, index: int, values: tuple[str, ...]) -> None:
    """Type one row of the editor's table ``table`` (0-based ``index``), key by key."""
    code, title, *rest = values
    page.locator(f"#id_{table}-{index}-code").fill(code)
    page.locator(f"#id_{table}-{index}-title").fill(title)
    if table == Table.A:
        page.locator(f"#id_{table}-{index}-term").fill("Autumn semester")
    page.locator(f"#id_{table}-{index}-ects").press_sequentially(rest[-1])


def _accepted_student(today: dt.date) -> Mobility:
    """Giulia Ferrari, of the course the demo promoter coordinates (the demo Erasmus
    student's), accepted on the same extendable offer, leaving in five days for five months."""
    erasmus = Mobility.objects.select_related("offer", "student__course_of_study").get(
        student__username=ERASMUS
    )
    assert erasmus.offer is not None
    assert erasmus.offer.extendable
    office = User.objects.get(username="office")
    student = User.objects.create_user(
        username="giulia",
        password=PASSWORD,
        first_name="Giulia",
        last_name="Ferrari",
        email="giulia@example.org",
        role=Role.STUDENT,
        student_number="100199",
        course_of_study=erasmus.student.course_of_study,
    )
    StudentCareer.objects.create(
        student=student,
        first_enrolment_year=current_start_year(today) - 4,
        credits_bachelor=180,
        credits_master=60,
        first_year_completed=True,
        months_used=0,
    )
    LanguageCertificate.objects.create(
        student=student,
        language=erasmus.offer.language,
        level=erasmus.offer.language_level or "B2",
        name="Language certificate",
    )
    mobility = services.create_mobility(
        student=student,
        offer=erasmus.offer,
        academic_year=current_start_year(today),
        origin="e2e",
        actor=office,
    )
    mobility.planned_start = today + dt.timedelta(days=5)
    mobility.planned_end = mobility.planned_start + dt.timedelta(days=150)
    mobility.months = services.months_between(mobility.planned_start, mobility.planned_end)
    mobility.save(update_fields=["planned_start", "planned_end", "months"])
    for state in (MobilityState.APPLIED, MobilityState.ACCEPTED):
        services.set_state(mobility=mobility, state=state, actor=office)
    return mobility


def test_learning_agreement_returned_fixed_approved_then_extended(
    page: Page, demo_server: str, console_errors: list[str]
) -> None:
    load_mobility_demo()
    today = timezone.localdate()
    mobility = _accepted_student(today)
    assert mobility.months == 5  # 30 ECTS expected in table A
    timeline_url = f"/mobility/{mobility.pk}/"
    page.set_viewport_size(DESKTOP)

    # --- The student starts the learning agreement from the timeline.
    log_in(page, demo_server, "giulia", "/calls/")
    page.get_by_role("link", name="My mobility").click()  # just one: straight to its timeline
    expect(page).to_have_url(re.compile(rf"{timeline_url}$"))
    due = page.locator("#timeline [aria-current=step]")
    expect(due).to_contain_text("Learning agreement signed by all three")
    assert_accessible(page)
    due.get_by_role("link", name="Open the learning agreement").click()
    page.get_by_role("button", name="Start the learning agreement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Learning agreement: draft of version 1"
    )
    findings = page.locator("#findings")
    expect(findings).to_contain_text("Add the courses you will take at the host (table A).")

    # The first course typed: before anything is saved the checks say 6 of 30 ECTS.
    _type_row(page, Table.A, 0, HOST[0])
    expect(findings).to_contain_text("Table A totals 6 ECTS; 30 are expected for 1 semester(s).")
    expect(findings.locator(".la-total-off").first).to_contain_text("Table A: 6 ECTS")
    for index, course in enumerate(HOST[1:], start=1):
        _type_row(page, Table.A, index, course)
    for index, course in enumerate(HOME):
        _type_row(page, Table.B, index, course)
    page.get_by_label("Your level in that language").select_option("C1")
    expect(findings).to_contain_text("Table A totals 24 ECTS; 30 are expected")
    expect(findings).to_contain_text("1 warning: your promoter sees it too.")
    _settled(page)
    assert LearningAgreement.objects.get(mobility=mobility).components.count() == 0
    assert_accessible(page)
    screenshot(page, "la-editor-warning")

    page.get_by_role("button", name="Save and sign").click()
    expect(page.locator(".messages")).to_contain_text(
        "You signed version 1. It now waits for your promoter's approval"
    )
    first = LearningAgreement.objects.get(mobility=mobility, number=1)
    assert first.state == LearningAgreementState.SUBMITTED
    assert first.components.count() == 6

    # --- The promoter finds it on the desk, reviews it and returns it with a comment.
    log_in(page, demo_server, "promoter", "/mobility/desk/")
    row = page.locator(f"#agreement-{first.pk}")
    expect(row).to_contain_text("Ferrari Giulia")
    expect(row).to_contain_text("1 warning")
    assert_accessible(page)
    screenshot(page, "desk")
    row.get_by_role("link", name="Review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Learning agreement v1 of Giulia Ferrari"
    )
    expect(page.locator(".findings")).to_contain_text("Table A totals 24 ECTS")
    page.get_by_label("Comments (required to return it; the student reads them)").fill(COMMENT)
    assert_accessible(page)
    screenshot(page, "la-review", full_page=True)
    page.get_by_role("button", name="Return to the student").click()
    expect(page.locator(".messages")).to_contain_text(
        "Version 1 of Giulia Ferrari returned with your comments."
    )
    first.refresh_from_db()
    assert first.state == LearningAgreementState.RETURNED

    # --- The student reads the comment and fixes it in a new version, on a phone first.
    log_in(page, demo_server, "giulia", f"/mobility/{mobility.pk}/la/")
    expect(page.locator(".la-comment")).to_contain_text(COMMENT)
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Fix it in a new version").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Learning agreement: draft of version 2"
    )
    expect(findings).to_contain_text("Table A totals 24 ECTS")
    no_horizontal_scroll(page)
    assert_accessible(page)
    page.locator("#edit-A").evaluate("element => element.scrollIntoView()")
    screenshot(page, "la-editor-phone")
    page.set_viewport_size(DESKTOP)
    _type_row(page, Table.A, 3, FOURTH_HOST)
    _type_row(page, Table.B, 3, FOURTH_HOME)
    expect(findings).to_contain_text("No problems found.")
    expect(findings.locator(".la-total-ok").first).to_contain_text("Table A: 30 ECTS")
    _settled(page)
    assert_accessible(page)
    page.get_by_role("button", name="Save and sign").click()
    expect(page.locator(".messages")).to_contain_text("You signed version 2.")
    second = LearningAgreement.objects.get(mobility=mobility, number=2)
    assert (second.state, second.based_on_id) == (LearningAgreementState.SUBMITTED, first.pk)

    # --- The promoter approves it from the desk, with the bulk buttons.
    log_in(page, demo_server, "promoter", "/mobility/desk/")
    expect(page.locator(f"#agreement-{second.pk}")).to_contain_text("no remarks")
    page.locator(f"#select-{second.pk}").check()
    page.get_by_role("button", name="Approve selected").click()
    expect(page.locator(".messages")).to_contain_text(
        "1 learning agreement approved: Ferrari Giulia, version 2."
    )
    expect(page.locator(f"#agreement-{second.pk}")).to_have_count(0)
    assert_accessible(page)

    # --- The office records the host's signature, then the arrival.
    log_in(page, demo_server, "office", "/mobility/office/?q=Ferrari")
    page.get_by_role("link", name="Ferrari Giulia").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mobility of Giulia Ferrari")
    assert_accessible(page)
    page.locator(f"#signer-{second.pk}").fill("Dr. Claire Martin, exchange coordinator")
    page.locator(f"#file-{second.pk}").set_input_files(_pdf("la-v2-signed.pdf"))
    expect(page.locator(f"#agreement-{first.pk}")).to_contain_text("returned on")
    screenshot(page, "office-mobility", full_page=True)
    page.get_by_role("button", name="Record the host's signature").click()
    expect(page.locator(".messages")).to_contain_text(
        "Version 2 is signed by all three; it is now the one in force."
    )
    page.get_by_label("Arrived on").fill(today.isoformat())
    page.get_by_role("button", name="Move to “In mobility”").click()
    expect(page.locator(".messages")).to_contain_text("mobility is now “In mobility”.")
    expect(page.get_by_role("button", name="Move to “Completed”")).to_be_visible()
    assert_accessible(page)
    second.refresh_from_db()
    assert second.state == LearningAgreementState.SIGNED
    assert second.host_document is not None
    assert second.host_document.kind == DocumentKind.SIGNED_LA

    # --- The student asks to stay two months longer, with the host-signed form.
    planned_end = mobility.planned_end
    assert planned_end is not None
    new_end = planned_end + dt.timedelta(days=60)
    log_in(page, demo_server, "giulia", timeline_url)
    expect(page.locator("#timeline")).to_contain_text(f"You arrived on {_day(today)}.")
    page.get_by_role("link", name="Ask to stay longer").click()
    expect(page.get_by_role("heading", level=2, name="An extension is possible")).to_be_visible()
    page.get_by_label("New end of the mobility").fill(new_end.isoformat())
    page.get_by_label("Why you ask for it").fill(
        "The host offers me a research project in its robotics laboratory next term."
    )
    page.get_by_label("Extension form signed by the host").set_input_files(
        _pdf("extension-form.pdf")
    )
    assert_accessible(page)
    screenshot(page, "extension-request", full_page=True)
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".messages")).to_contain_text(
        f"Your request to stay until {_day(new_end)} is sent to the promoter"
    )
    extension = ExtensionRequest.objects.get(mobility=mobility)
    assert extension.state == ExtensionState.REQUESTED

    # --- The promoter of the partner site authorises it.
    log_in(page, demo_server, "promoter", "/mobility/desk/")
    page.locator(f"#extension-{extension.pk}").get_by_role("link", name="Review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Extension request of Giulia Ferrari")
    expect(page.locator("dl.facts")).to_contain_text("extension-form.pdf")
    assert_accessible(page)
    screenshot(page, "extension-review", full_page=True)
    page.get_by_role("button", name="Authorise").click()
    expect(page.locator(".messages")).to_contain_text(
        f"Extension of Giulia Ferrari authorised: the mobility now ends on {new_end.isoformat()}."
    )

    # --- The student's timeline shows the new end, on a desktop and on a phone.
    log_in(page, demo_server, "giulia", timeline_url)
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text(f"Extended to {_day(new_end)}.")
    expect(timeline).to_contain_text(f"Planned for {_day(new_end)}")
    expect(timeline.locator("[aria-current=step]")).to_contain_text("Departure")
    assert_accessible(page)
    screenshot(page, "mobility-timeline")
    page.set_viewport_size(PHONE)
    page.reload()
    expect(timeline).to_contain_text(f"Extended to {_day(new_end)}.")
    no_horizontal_scroll(page)

    mobility.refresh_from_db()
    assert mobility.state == MobilityState.IN_MOBILITY
    assert mobility.actual_start == today
    assert mobility.planned_end == new_end
    assert mobility.months == services.months_between(today, new_end)
    extension.refresh_from_db()
    assert extension.state == ExtensionState.APPROVED
    assert extension.decided_by == User.objects.get(username="promoter")
    assert list(
        mobility.learning_agreements.order_by("number").values_list("state", flat=True)
    ) == [LearningAgreementState.RETURNED, LearningAgreementState.SIGNED]
    assert console_errors == []


def _day(value: dt.date) -> str:
    return date_format(value, "j F Y")
