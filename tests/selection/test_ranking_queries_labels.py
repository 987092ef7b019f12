"""The call page names each destination's type and language of instruction from labels read
once per page (abroad.core.enums.choice_labels), not through Django's ``get_FOO_display``,
which translates the field's whole list of choices at every call (issue 19): the same words
in English and in Italian, in the ranking, the choices, the results and the application."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from abroad.catalogue.models import Offer
from abroad.core.enums import Language, choice_labels
from abroad.people.enums import Role
from abroad.people.models import LanguageCertificate, StudentCareer, User
from abroad.selection import services
from abroad.selection.enums import AssignmentState, RoundState
from abroad.selection.models import Application, Assignment, Call, Round
from tests.factories import CourseOfStudyFactory, OfferFactory, SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting() -> tuple[Call, User, list[Offer]]:
    course = CourseOfStudyFactory.create(
        code="MECH-MSC", level="MSc", school=SchoolFactory.create(code="3I")
    )
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
    offers = [
        OfferFactory.create(courses=[course], language="de", language_level="B2"),
        OfferFactory.create(
            courses=[course], language="fr", language_level="", mobility_type="thesis"
        ),
        OfferFactory.create(courses=[course], language="en", language_level="B2"),
    ]
    services.fill_call_offers(call=call)
    student = UserFactory.create(username="anna", role=Role.STUDENT, course_of_study=course)
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
    LanguageCertificate.objects.create(student=student, language="de", level="C1")
    return call, student, offers


def expected(offer: Offer) -> tuple[str, str]:
    """What Django's own displays say in the active language."""
    return str(offer.get_mobility_type_display()), str(offer.get_language_display())


@pytest.fixture
def displays(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call of the offers' ``get_FOO_display`` while a page renders (Django's methods,
    counted and run as they are)."""
    called: list[str] = []
    for name in ("get_language_display", "get_mobility_type_display"):
        original = getattr(Offer, name)

        def counted(self: Offer, original: Any = original, name: str = name) -> Any:
            called.append(name)
            return original(self)

        monkeypatch.setattr(Offer, name, counted)
    return called


@pytest.mark.parametrize("language", ["en", "it"])
def test_the_call_page_says_the_same_labels(
    setting: tuple[Call, User, list[Offer]], displays: list[str], language: str
) -> None:
    call, student, offers = setting
    german, french, _english = offers
    call_offer = call.call_offers.get(offer=german)
    services.save_preferences(call=call, student=student, call_offer_ids=[call_offer.pk])
    client = Client()
    client.force_login(student)
    page = client.get(call.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    assert displays == []
    content = page.content.decode()
    with translation.override(language):
        for offer in (german, french):
            kind, tongue = expected(offer)
            assert f" · {kind} · " in content
            level = f" {offer.language_level}" if offer.language_level else ""
            assert f" · {tongue}{level}</small>" in content
    if language == "it":
        assert "Tedesco B2" in content  # the Italian catalogue (after the lead's merge)


@pytest.mark.parametrize("language", ["en", "it"])
def test_the_results_and_the_application_say_the_same_labels(
    setting: tuple[Call, User, list[Offer]], displays: list[str], language: str
) -> None:
    call, student, offers = setting
    german = offers[0]
    call_offer = call.call_offers.get(offer=german)
    application = services.save_preferences(
        call=call, student=student, call_offer_ids=[call_offer.pk]
    )
    Application.objects.filter(pk=application.pk).update(state="submitted")
    round = Round.objects.create(
        call=call,
        number=1,
        state=RoundState.PUBLISHED,
        acceptance_deadline=timezone.now() + dt.timedelta(days=7),
    )
    Assignment.objects.create(
        round=round, application=application, call_offer=call_offer, state=AssignmentState.OFFERED
    )
    client = Client()
    client.force_login(student)
    with translation.override(language):
        kind, tongue = expected(german)
    displays.clear()  # the expected words above, read through Django's displays
    for url in (call.get_absolute_url(), f"/calls/{call.code}/applications/{application.pk}/"):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert page.status_code == 200, url
        content = page.content.decode()
        assert f" · {kind} · " in content, url
        assert f" · {tongue} B2</small>" in content, url
    assert displays == []


def test_choice_labels_follow_the_active_language() -> None:
    with translation.override("en"):
        assert choice_labels(Language)["de"] == "German"
    with translation.override("it"):
        assert choice_labels(Language)["de"] == str(Language.DE.label)
