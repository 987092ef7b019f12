"""The dates of a mobility in Debian's Chromium, through the pages only (issue 18, point 2).

A student takes a seat of a call (the mobility is born with dates proposed from the academic
year and the seat's months), corrects them to the host's calendar on the mobility's page; the
office records the host's arrival certificate with the date it bears, and the mobility is
under way from that day. axe-core checks both pages; the browser logs no error."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from playwright.sync_api import FilePayload, Page, ViewportSize, expect

from abroad.mobility import services
from abroad.mobility.enums import MobilityState
from abroad.mobility.models import Mobility
from abroad.people.enums import Role
from abroad.site.demo.catalogue import PASSWORD
from tests.e2e.conftest import assert_accessible, log_in, screenshot
from tests.factories import CourseOfStudyFactory, OfferFactory, PromoterFactory, UserFactory
from tests.mobility.factories import PDF_BYTES

pytestmark = pytest.mark.e2e

DESKTOP: ViewportSize = {"width": 1280, "height": 900}


@pytest.fixture
def server(live_server: Any, transactional_db: None) -> str:
    return str(live_server.url)


def _seat_taken() -> Mobility:
    """Lucia Ferraro took a five-month seat of a 2027/2028 call."""
    student = UserFactory.create(
        username="lucia",
        password=make_password(PASSWORD),  # what log_in types
        first_name="Lucia",
        last_name="Ferraro",
        role=Role.STUDENT,
        course_of_study=CourseOfStudyFactory.create(),
    )
    UserFactory.create(
        username="office",
        password=make_password(PASSWORD),
        first_name="Olga",
        last_name="Office",
        role=Role.OFFICE,
    )
    offer = OfferFactory.create(
        months=5,
        extendable=True,
        agreement__promoter=PromoterFactory.create(
            user__first_name="Marco", user__last_name="Bianchi", user__email="marco@example.org"
        ),
        agreement__partner__name="Technische Universiteit Delft",
        agreement__partner__city="Delft",
    )
    return services.create_mobility(
        student=student, offer=offer, academic_year=2027, origin="call:engineering-2027-1"
    )


def test_the_student_sets_the_dates_and_the_office_records_the_arrival(
    page: Page, server: str, console_errors: list[str]
) -> None:
    mobility = _seat_taken()
    page.set_viewport_size(DESKTOP)

    # --- The student finds the proposed dates and sets the host's.
    log_in(page, server, "lucia", f"/mobility/{mobility.pk}/")
    planned = page.locator("#planned")
    expect(planned).to_have_text("1 September 2027 – 31 January 2028")
    dates = page.locator("#dates")
    expect(dates.get_by_label("Planned start")).to_have_value("2027-09-01")
    dates.get_by_label("Planned start").fill("2027-09-15")
    dates.get_by_label("Planned end").fill("2028-02-14")
    dates.get_by_role("button", name="Save the planned dates").click()
    expect(page.get_by_text("The planned dates are saved: from 15 September 2027")).to_be_visible()
    expect(planned).to_have_text("15 September 2027 – 14 February 2028")
    expect(page.locator("#months")).to_have_text("5")
    assert_accessible(page)
    page.locator("#facts").evaluate("element => element.scrollIntoView()")
    screenshot(page, "student-mobility-dates")

    # --- A stay longer than the seat is refused, in words.
    dates.get_by_label("Planned end").fill("2028-06-30")
    dates.get_by_role("button", name="Save the planned dates").click()
    expect(page.locator(".message.error")).to_contain_text("this seat is for at most 5")
    expect(planned).to_have_text("15 September 2027 – 14 February 2028")

    # --- The host accepts her; the office records the arrival certificate.
    for state in (MobilityState.APPLIED, MobilityState.ACCEPTED):
        services.set_state(mobility=mobility, state=state, actor=None)
    log_in(page, server, "office", f"/mobility/office/{mobility.pk}/")
    form = page.locator(".certificate-form")
    form.get_by_label("Kind of certificate").select_option(label="Arrival certificate")
    form.get_by_label("Date on the certificate").fill("2027-09-16")
    certificate: FilePayload = {
        "name": "arrival.pdf",
        "mimeType": "application/pdf",
        "buffer": PDF_BYTES,
    }
    form.get_by_label("The certificate (PDF").set_input_files(certificate)
    form.get_by_role("button", name="Record the certificate").click()
    expect(
        page.get_by_text(re.compile(r"The certificate is recorded: .* “In mobility”"))
    ).to_be_visible()
    expect(page.locator("#arrival")).to_have_text("16 September 2027")
    expect(page.get_by_role("link", name="arrival.pdf")).to_be_visible()
    assert_accessible(page)

    # --- The student sees the arrival on her timeline.
    log_in(page, server, "lucia", f"/mobility/{mobility.pk}/")
    expect(page.get_by_text("You arrived on 16 September 2027.")).to_be_visible()
    assert console_errors == []
