"""Saving a ranking costs what the student's choices need, not what the call holds (issue 19):
the validation reads the posted offers alone (their call membership, level, course of study
and language in one query), the same number of queries at 10 offers as at 500, and an invalid
id is still refused with the same message, leaving nothing stored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from abroad.catalogue.models import Offer
from abroad.people.enums import Role
from abroad.people.models import LanguageCertificate, StudentCareer, User
from abroad.selection import services
from abroad.selection.models import Application, Call, CallOffer
from abroad.selection.services import SelectionError
from tests.factories import CourseOfStudyFactory, OfferFactory, SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db


def make_student(name: str, course: Any) -> User:
    student = UserFactory.create(username=name, role=Role.STUDENT, course_of_study=course)
    StudentCareer.objects.create(
        student=student,
        first_enrolment_year=2023,
        credits_bachelor=180,
        credits_master=60,
        average_bachelor=Decimal("27"),
        average_master=Decimal("27"),
        first_year_completed=True,
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
    now = timezone.now()
    call = Call.objects.create(
        code="engineering-2027-1",
        title="Engineering call 2027/2028",
        academic_year=2027,
        opens_at=now - dt.timedelta(days=10),
        closes_at=now + dt.timedelta(days=30),
        max_preferences=6,
    )
    call.schools.add(course.school)
    return call


def grow(call: Call, course: Any, total: int) -> None:
    """Copies of one offer (open to ``course``) until the call has ``total`` offers."""
    model = Offer.objects.filter(courses=course).order_by("pk").first() or OfferFactory.create(
        courses=[course]
    )
    missing = total - Offer.objects.filter(courses=course).count()
    fields = [f.attname for f in Offer._meta.concrete_fields if not f.primary_key]
    copies = Offer.objects.bulk_create(
        [Offer(**{name: getattr(model, name) for name in fields}) for _ in range(missing)]
    )
    through = Offer.courses.through
    through.objects.bulk_create(
        [through(offer_id=offer.pk, courseofstudy_id=course.pk) for offer in copies]
    )
    services.fill_call_offers(call=call)
    assert call.call_offers.count() == total


def save_queries(call: Call, student: User, ids: list[int]) -> int:
    """The queries of the save-ranking request (the form's post, as without JavaScript)."""
    client = Client()
    client.force_login(student)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"/calls/{call.code}/ranking/", {"offer": ids})
    assert response.status_code == 302
    stored = Application.objects.get(call=call, student=student)
    assert list(stored.preferences.order_by("rank").values_list("call_offer_id", flat=True)) == ids
    return len(queries.captured_queries)


def test_saving_a_ranking_costs_the_same_at_10_and_at_500_offers(call: Call, course: Any) -> None:
    grow(call, course, 10)
    small = save_queries(call, make_student("anna", course), _six(call))
    grow(call, course, 500)
    big = save_queries(call, make_student("bruno", course), _six(call, last=True))
    assert small == big


def test_the_service_queries_do_not_grow_either(call: Call, course: Any) -> None:
    grow(call, course, 10)
    anna, bruno = make_student("anna", course), make_student("bruno", course)
    anna.refresh_from_db()
    bruno.refresh_from_db()
    with CaptureQueriesContext(connection) as small:
        services.save_preferences(call=call, student=anna, call_offer_ids=_six(call))
    grow(call, course, 500)
    with CaptureQueriesContext(connection) as big:
        services.save_preferences(call=call, student=bruno, call_offer_ids=_six(call, last=True))
    assert len(small.captured_queries) == len(big.captured_queries)


def _six(call: Call, *, last: bool = False) -> list[int]:
    ids = list(call.call_offers.order_by("-pk" if last else "pk").values_list("pk", flat=True))
    return ids[:6]


def test_invalid_ids_are_refused_with_the_same_messages(call: Call, course: Any) -> None:
    grow(call, course, 500)
    student = make_student("anna", course)
    good = _six(call)[:2]
    other_course = CourseOfStudyFactory.create(code="DES-MSC", school=course.school)
    bachelor = OfferFactory.create(courses=[course], level_master=False, level_bachelor=True)
    unlisted = OfferFactory.create(courses=[other_course])
    german = OfferFactory.create(courses=[course], language="de", language_level="B2")
    services.fill_call_offers(call=call)
    elsewhere = Call.objects.create(
        code="design-2027-1",
        title="Design",
        academic_year=2027,
        opens_at=call.opens_at,
        closes_at=call.closes_at,
    )
    outside = CallOffer.objects.create(call=elsewhere, offer=OfferFactory.create(), seats=1)

    def in_call(offer: Offer) -> CallOffer:
        return CallOffer.objects.get(call=call, offer=offer)

    cases = [
        (outside.pk, "One of the destinations is not in this call."),
        (-1, "One of the destinations is not in this call."),
        (in_call(bachelor).pk, f"{bachelor.label}: Not open at your degree level."),
        (
            in_call(unlisted).pk,
            f"{unlisted.label}: Not open to your course of study.",
        ),
        (in_call(german).pk, f"{german.label}: Needs German B2; you have no certificate."),
    ]
    for bad, message in cases:
        with pytest.raises(SelectionError) as refused:
            services.save_preferences(call=call, student=student, call_offer_ids=[*good, bad])
        assert str(refused.value) == message
    assert not Application.objects.exists()
    # The same through the page: the message is shown, nothing is stored.
    client = Client()
    client.force_login(student)
    response = client.post(
        f"/calls/{call.code}/ranking/", {"offer": [*good, in_call(german).pk]}, follow=True
    )
    assert f"{german.label}: Needs German B2; you have no certificate." in response.content.decode()
    assert not Application.objects.exists()
