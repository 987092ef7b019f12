"""The dates of a mobility through the pages: the student's form of the planned dates (until
the learning agreement is submitted), the office's (until the departure), the office's arrival
and departure certificates, and what a double degree's pages say about extensions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from abroad.mobility import services
from abroad.mobility.enums import DocumentKind, LearningAgreementState, MobilityKind, MobilityState
from abroad.mobility.models import Mobility
from abroad.people.models import User
from tests.factories import OfferFactory, PromoterFactory
from tests.mobility.factories import (
    MobilityFactory,
    agreement_with_rows,
    coordinate,
    pdf_upload,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

GOOD = {"planned_start": "2027-09-15", "planned_end": "2028-02-14"}


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def mobility(student: User) -> Mobility:
    """The student persona's mobility, as a call's seat made it: nominated, dates proposed."""
    offer = OfferFactory.create(
        months=5, extendable=True, agreement__promoter=PromoterFactory.create()
    )
    return services.create_mobility(
        student=student, offer=offer, academic_year=2027, origin="call:test"
    )


@pytest.fixture
def clients(personas: dict[str, Client], mobility: Mobility) -> dict[str, Client]:
    """The personas, and the promoter who approves the mobility's learning agreement."""
    approver = PromoterFactory.create(user__username="approver").user
    coordinate(mobility, approver)
    client = Client()
    client.force_login(approver)
    return {**personas, "approver": client}


def _messages(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _dates(mobility: Mobility) -> tuple[dt.date | None, dt.date | None]:
    mobility.refresh_from_db()
    return mobility.planned_start, mobility.planned_end


PROPOSED = (dt.date(2027, 9, 1), dt.date(2028, 1, 31))
SET = (dt.date(2027, 9, 15), dt.date(2028, 2, 14))


# ------------------------------------------------------------------------- the student's


def test_the_student_page_proposes_the_dates_and_offers_the_form(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    page = personas["student"].get(reverse("mobility:detail", kwargs={"pk": mobility.pk}))
    assert "dates not known yet" not in page.text
    assert "1 September 2027 – 31 January 2028" in page.text
    assert f'action="/mobility/{mobility.pk}/dates/"' in page.text
    assert "This seat is for at most 5 months." in page.text


@pytest.mark.parametrize(
    ("persona", "status", "changed"),
    [
        ("student", 302, True),
        ("other_student", 404, False),
        ("promoter", 404, False),
        ("approver", 403, False),
        ("office", 302, True),
        ("anonymous", 302, False),
    ],
)
def test_who_sets_the_planned_dates_on_the_student_page(
    clients: dict[str, Client], mobility: Mobility, persona: str, status: int, changed: bool
) -> None:
    url = reverse("mobility:planned_dates", kwargs={"pk": mobility.pk})
    response = clients[persona].post(url, GOOD)
    assert response.status_code == status
    assert _dates(mobility) == (SET if changed else PROPOSED)
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    if changed:
        assert response["Location"].endswith("#dates")


def test_the_planned_dates_refused_with_a_clear_message(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    url = reverse("mobility:planned_dates", kwargs={"pk": mobility.pk})
    backwards = personas["student"].post(
        url, {"planned_start": "2028-01-31", "planned_end": "2027-09-01"}, follow=True
    )
    assert _messages(backwards) == ["The planned end must come after the planned start."]
    too_long = personas["student"].post(
        url, {"planned_start": "2027-09-01", "planned_end": "2028-06-30"}
    )
    assert _messages(too_long) == [
        "From 2027-09-01 to 2028-06-30 is 10 months; this seat is for at most 5. A longer stay "
        "is asked as an extension, during the mobility."
    ]
    assert _dates(mobility) == PROPOSED


def test_after_the_learning_agreement_the_student_no_longer_sets_the_dates(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    agreement_with_rows(
        mobility, state=LearningAgreementState.SUBMITTED, student_signed_at=timezone.now()
    )
    page = personas["student"].get(reverse("mobility:detail", kwargs={"pk": mobility.pk}))
    assert 'id="save-dates"' not in page.text
    assert (  # the page says why the form is gone, not only the refusal after a POST
        '<p id="dates-fixed">Your learning agreement was submitted with these dates: ask the '
        "International Mobility Unit to change them.</p>" in page.text
    )
    response = personas["student"].post(
        reverse("mobility:planned_dates", kwargs={"pk": mobility.pk}), GOOD
    )
    assert _messages(response) == [
        "Your learning agreement was submitted with these dates: ask the International Mobility "
        "Unit to change them."
    ]
    assert _dates(mobility) == PROPOSED


# -------------------------------------------------------------------------- the office's


@pytest.mark.parametrize("view", ["office_dates", "office_certificate"])
def test_the_office_date_pages_answer_404_to_everybody_else(
    clients: dict[str, Client], mobility: Mobility, view: str
) -> None:
    Mobility.objects.filter(pk=mobility.pk).update(state=MobilityState.ACCEPTED)
    url = reverse(f"mobility:{view}", kwargs={"pk": mobility.pk})
    data = {
        "office_dates": GOOD,
        "office_certificate": {"kind": DocumentKind.ARRIVAL, "day": "2027-09-03"},
    }[view]
    codes = {}
    for persona in ("student", "other_student", "promoter", "approver", "anonymous"):
        codes[persona] = clients[persona].post(url, data).status_code
    assert codes == {
        "student": 404,
        "other_student": 404,
        "promoter": 404,
        "approver": 404,
        "anonymous": 302,
    }
    mobility.refresh_from_db()
    assert (mobility.planned_start, mobility.actual_start) == (PROPOSED[0], None)
    assert mobility.documents.count() == 0


def test_the_office_sets_the_dates_after_the_learning_agreement(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    agreement_with_rows(
        mobility, state=LearningAgreementState.SUBMITTED, student_signed_at=timezone.now()
    )
    page = personas["office"].get(reverse("mobility:office_mobility", kwargs={"pk": mobility.pk}))
    assert 'id="save-dates"' in page.text
    response = personas["office"].post(
        reverse("mobility:office_dates", kwargs={"pk": mobility.pk}), GOOD
    )
    assert _messages(response) == ["The planned dates are saved."]
    assert _dates(mobility) == SET


def test_the_office_records_arrival_and_departure_certificates(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    Mobility.objects.filter(pk=mobility.pk).update(state=MobilityState.ACCEPTED)
    url = reverse("mobility:office_certificate", kwargs={"pk": mobility.pk})
    office = personas["office"]

    arrival = office.post(
        url, {"kind": DocumentKind.ARRIVAL, "day": "2027-09-03", "file": pdf_upload("in.pdf")}
    )
    assert _messages(arrival) == [
        "The certificate is recorded: First Last's mobility is “In mobility”, 5 months.".replace(
            "First Last", str(mobility.student)
        )
    ]
    departure = office.post(
        url, {"kind": DocumentKind.DEPARTURE, "day": "2028-01-20", "file": pdf_upload("out.pdf")}
    )
    assert departure.status_code == 302
    mobility.refresh_from_db()
    assert (mobility.state, mobility.actual_start, mobility.actual_end, mobility.months) == (
        MobilityState.COMPLETED,
        dt.date(2027, 9, 3),
        dt.date(2028, 1, 20),
        5,  # 4 months 18 days
    )
    page = office.get(reverse("mobility:office_mobility", kwargs={"pk": mobility.pk}))
    assert "3 September 2027" in page.text.split('id="arrival"')[1][:40]
    assert 'id="save-dates"' not in page.text  # the departure is recorded
    student_page = personas["student"].get(reverse("mobility:detail", kwargs={"pk": mobility.pk}))
    assert "counted from the host's certificates" in student_page.text


def test_a_certificate_without_its_date_is_refused(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    Mobility.objects.filter(pk=mobility.pk).update(state=MobilityState.ACCEPTED)
    response = personas["office"].post(
        reverse("mobility:office_certificate", kwargs={"pk": mobility.pk}),
        {"kind": DocumentKind.ARRIVAL, "file": pdf_upload()},
    )
    assert _messages(response) == ["Date on the certificate: This field is required."]
    mobility.refresh_from_db()
    assert (mobility.state, mobility.documents.count()) == (MobilityState.ACCEPTED, 0)


# ---------------------------------------------------------------- double degree (point 12)


@pytest.fixture
def double_degree(student: User) -> Mobility:
    return MobilityFactory.create(
        student=student, kind=MobilityKind.DOUBLE_DEGREE, months=24, cycle_months=12
    )


def test_a_double_degree_page_offers_no_extension(
    personas: dict[str, Client], double_degree: Mobility
) -> None:
    """Before: "not applicable" on the timeline, and "Ask to stay longer" below it."""
    page = personas["student"].get(reverse("mobility:detail", kwargs={"pk": double_degree.pk}))
    assert "Ask to stay longer" not in page.text
    assert page.text.count("extensions do not apply to it") == 1


def test_a_double_degree_extension_page_explains_its_months(
    personas: dict[str, Client], double_degree: Mobility
) -> None:
    """Before: the refusal twice, and "12 months allowed ... planned for 24" unexplained."""
    page = personas["student"].get(reverse("mobility:extension", kwargs={"pk": double_degree.pk}))
    refusal = (
        "A double degree lasts as its agreement says, 24 months: extensions do not apply to it."
    )
    assert page.context["problem"] == refusal
    assert page.text.count("extensions do not apply") == 1
    assert "does not allow extensions" not in page.text
    assert (
        "A double degree follows its agreement's duration (24 months), not the 12 months of "
        "an exchange in your study cycle" in page.text
    )
    assert "which is planned for 24 months" not in page.text
    response = personas["student"].post(
        reverse("mobility:extension", kwargs={"pk": double_degree.pk}),
        {"requested_end": "2030-01-01", "reason": "More.", "form": pdf_upload()},
    )
    assert response.status_code == 200
    assert _messages(response) == [refusal]
    assert double_degree.extensions.count() == 0
