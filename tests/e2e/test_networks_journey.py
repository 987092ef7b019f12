"""ATHENS as the student lives it, in Debian's Chromium: with the demo data, the demo student
browses the March session's catalogue on a phone, ranks three courses, writes a motivation
and submits; the office ranks, allocates and publishes on its pages; the student reads which
course they got and accepts it. Also: no horizontal scroll at 360 px, the Alliance4Tech step
on a student's timeline, and the promoter's double-degree approval page. axe-core checks
every page; the screenshots go to the user guide."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, ViewportSize, expect

from abroad.mobility.models import Mobility
from abroad.networks.enums import AllocationState
from abroad.networks.models import AthensAllocation, AthensSession, Participation
from abroad.people.models import StudentCareer, User
from abroad.site.demo.networks import load_networks_demo
from tests.e2e.conftest import assert_accessible, log_in, no_horizontal_scroll, screenshot

pytestmark = pytest.mark.e2e

PHONE: ViewportSize = {"width": 390, "height": 844}
NARROW: ViewportSize = {"width": 360, "height": 740}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PASSWORD = "demo-password"


def _ready_student() -> User:
    student = User.objects.get(username="student")
    StudentCareer.objects.update_or_create(
        student=student,
        defaults={
            "first_enrolment_year": 2022,
            "credits_bachelor": 180,
            "credits_master": 60,
            "average_bachelor": Decimal("29.50"),
            "average_master": Decimal("29.50"),
            "first_year_completed": True,
        },
    )
    return student


def test_student_ranks_three_courses_gets_one_and_accepts(
    page: Page, browser: Browser, demo_server: str, console_errors: list[str]
) -> None:
    load_networks_demo()
    student = _ready_student()
    march = next(s for s in AthensSession.objects.filter(season="march") if s.is_open())
    courses = list(march.courses.select_related("host").order_by("host__name", "code"))[:3]

    page.set_viewport_size(PHONE)
    log_in(page, demo_server, "student", "/networks/")
    expect(page.get_by_role("heading", level=1)).to_have_text("ATHENS sessions")
    assert_accessible(page)
    page.get_by_role("link", name=str(march), exact=True).click()

    # The public catalogue of the March session, with its filters and its map.
    expect(page.get_by_role("heading", level=1)).to_have_text(str(march))
    expect(page.locator("#courses li")).to_have_count(10)
    expect(page.locator("#map")).to_have_attribute("data-loaded", "true")
    assert_accessible(page)
    page.set_viewport_size(NARROW)
    no_horizontal_scroll(page)
    page.set_viewport_size(DESKTOP)
    screenshot(page, "athens-catalogue")  # the map (70vh) would be clipped in a full-page shot
    page.set_viewport_size(PHONE)
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"language=fr"))
    expect(page.locator("#courses h2")).to_contain_text("1 course matches")
    page.locator("#apply-link").click()

    # Three courses, the favourite first, a motivation, and the submission.
    expect(page.locator(".eligible")).to_contain_text("Eligible")
    for number, course in enumerate(courses, start=1):
        page.locator(f"#add-{course.pk}").click()
        expect(page.locator(".messages")).to_contain_text(
            f"{course.title} added as your choice number {number}."
        )
    page.locator(f"#up-{courses[2].pk}").click()
    expect(page.locator(".messages")).to_contain_text(
        f"{courses[2].title} is now your choice number 2."
    )
    expect(page.locator("ol.ranking > li")).to_have_count(3)
    expect(page.locator("#choices")).to_contain_text("Your list is full (3 courses)")
    page.get_by_role("textbox", name="Your motivation").fill(
        "I want to see how robots are taught abroad."
    )
    page.get_by_role("button", name="Save the motivation").click()
    expect(page.locator(".messages")).to_contain_text("Your motivation is saved.")
    page.get_by_role("button", name="Submit application").click()
    expect(page.locator(".messages")).to_contain_text("Your application is submitted.")
    expect(page.locator("#application")).to_contain_text("Submitted on")
    assert_accessible(page)
    page.set_viewport_size(NARROW)
    no_horizontal_scroll(page)
    page.set_viewport_size(PHONE)
    page.locator("#ranking").evaluate("element => element.scrollIntoView()")
    screenshot(page, "athens-application")

    # The deadline passes; the office ranks, allocates and publishes on its pages.
    AthensSession.objects.filter(pk=march.pk).update(
        applications_close_at=timezone.now() - dt.timedelta(seconds=1)
    )
    office = browser.new_context(viewport=DESKTOP).new_page()
    log_in(office, demo_server, "office", f"/networks/office/{march.code}/")
    office.locator("#rank").click()
    expect(office.locator(".messages")).to_contain_text("eligible applications ranked.")
    office.locator("#allocate").click()
    expect(office.locator(".messages")).to_contain_text("students got a course.")
    deadline = timezone.localtime() + dt.timedelta(days=5)
    office.get_by_label("Students accept by").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
    office.locator("#publish").click()
    expect(office.locator(".messages")).to_contain_text("The results are published")
    assert_accessible(office)
    screenshot(office, "athens-office", full_page=True)
    office.context.close()

    # The student reads their course and accepts it.
    page.goto(f"{demo_server}/networks/athens/{march.code}/apply/")
    result = page.locator("#result")
    expect(result).to_contain_text("A place in")
    expect(result).to_contain_text("Accept or decline by")
    assert_accessible(page)
    result.evaluate("element => element.scrollIntoView()")
    screenshot(page, "athens-result")
    page.get_by_role("button", name="Accept this course").click()
    expect(page.locator(".messages")).to_contain_text("You accepted")
    expect(result).to_contain_text("Accepted on")
    allocation = AthensAllocation.objects.get(
        application__session=march, application__student=student
    )
    assert allocation.state == AllocationState.ACCEPTED
    assert allocation.course_id in {course.pk for course in courses}
    assert Participation.objects.filter(student=student, course=allocation.course).exists()
    assert Mobility.objects.filter(student=student, origin=f"athens:{march.code}").count() == 1
    assert console_errors == []


def test_alliance4tech_step_and_double_degree_approval(
    page: Page, browser: Browser, demo_server: str, console_errors: list[str]
) -> None:
    load_networks_demo()
    page.set_viewport_size(PHONE)
    mobility = Mobility.objects.filter(student__username="alliance").order_by("pk").first()
    assert mobility is not None
    log_in(page, demo_server, "alliance", f"/mobility/{mobility.pk}/")
    step = page.get_by_text("Alliance4Tech certificate").first
    expect(step).to_be_visible()
    expect(page.locator("main")).to_contain_text("On track with the credits planned")
    assert_accessible(page)
    step.evaluate("element => element.scrollIntoView()")
    screenshot(page, "networks-alliance4tech")

    plan_mobility = Mobility.objects.get(student__username="doubledegree")
    promoter = browser.new_context(viewport=DESKTOP).new_page()
    log_in(promoter, demo_server, "promoter", "/networks/double-degree/")
    expect(promoter.locator("main")).to_contain_text("1 plan to approve")
    promoter.get_by_role("link", name=re.compile("Galli")).click()
    expect(promoter.locator("#plan-ok")).to_contain_text("meets the double-degree rules")
    assert_accessible(promoter)
    screenshot(promoter, "networks-double-degree", full_page=True)
    promoter.get_by_label("Comment").fill("Good plan.")
    promoter.locator("#approve-plan").click()
    expect(promoter.locator(".messages")).to_contain_text("The plan is approved.")
    plan_mobility.double_degree_plan.refresh_from_db()
    assert plan_mobility.double_degree_plan.state == "approved"
    promoter.context.close()
    assert console_errors == []
