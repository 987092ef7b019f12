"""The promoter's digest, run by ``run-scheduled`` with the clock moved: what waits on the
desk, once a day (or on Mondays), from the configured hour, in the promoter's language, nothing
when nothing waits or when the promoter said never."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail as django_mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client

from abroad.core import scheduled
from abroad.mobility.enums import LearningAgreementState
from abroad.people.enums import Digest
from abroad.people.models import User
from abroad.site.digest import send_digests, waiting_for
from tests.factories import PromoterFactory
from tests.mobility.factories import LearningAgreementFactory, MobilityFactory, coordinate

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

ROME = ZoneInfo("Europe/Rome")
MONDAY_8 = dt.datetime(2027, 3, 15, 8, 0, tzinfo=ROME)  # a Monday
TUESDAY_8 = MONDAY_8 + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def defaults(settings: Any) -> None:
    settings.DIGEST_HOUR = 7
    settings.SITE_URL = "https://abroad.example.org"


@pytest.fixture
def approver() -> User:
    user: User = PromoterFactory.create(
        user__username="approver", user__email="approver@polimi.example", user__language="en"
    ).user
    return user


def waiting_agreements(approver: User, count: int) -> None:
    for _ in range(count):
        mobility = MobilityFactory.create()
        coordinate(mobility, approver)
        LearningAgreementFactory.create(mobility=mobility, state=LearningAgreementState.SUBMITTED)


def run_at(when: dt.datetime, capture: Any) -> None:
    with capture(execute=True):
        scheduled.run(now=when)


def digests() -> list[EmailMultiAlternatives]:
    return [
        m
        for m in django_mail.outbox
        if isinstance(m, EmailMultiAlternatives)
        and ("your desk" in m.subject or "scrivania" in m.subject)
    ]


def test_the_digest_says_what_waits_once_a_day(
    approver: User, django_capture_on_commit_callbacks: Any
) -> None:
    waiting_agreements(approver, 2)
    assert waiting_for(approver) == {"agreements": 2}
    run_at(MONDAY_8 - dt.timedelta(hours=2), django_capture_on_commit_callbacks)  # 6:00
    assert digests() == []
    run_at(MONDAY_8, django_capture_on_commit_callbacks)
    run_at(MONDAY_8 + dt.timedelta(hours=3), django_capture_on_commit_callbacks)
    [message] = digests()
    assert message.to == ["approver@polimi.example"]
    assert message.subject == "2 items wait on your desk"
    assert "2 learning agreements or changes to approve" in message.body
    assert "https://abroad.example.org/mobility/desk/" in message.body
    assert message.extra_headers["List-Unsubscribe"] == (
        "<https://abroad.example.org/accounts/preferences/>"
    )
    html = message.alternatives[0][0]
    assert "https://abroad.example.org/mobility/desk/" in str(html)
    run_at(TUESDAY_8, django_capture_on_commit_callbacks)  # a new day, still waiting
    assert len(digests()) == 2


def test_weekly_goes_on_mondays_and_never_goes_never(
    approver: User, django_capture_on_commit_callbacks: Any
) -> None:
    waiting_agreements(approver, 1)
    approver.digest = Digest.WEEKLY
    approver.save()
    run_at(TUESDAY_8, django_capture_on_commit_callbacks)
    assert digests() == []
    run_at(MONDAY_8 + dt.timedelta(days=7), django_capture_on_commit_callbacks)
    assert len(digests()) == 1
    approver.digest = Digest.NEVER
    approver.save()
    run_at(MONDAY_8 + dt.timedelta(days=14), django_capture_on_commit_callbacks)
    assert len(digests()) == 1


def test_nothing_waiting_sends_nothing(
    approver: User, django_capture_on_commit_callbacks: Any
) -> None:
    mobility = MobilityFactory.create()
    coordinate(mobility, approver)
    LearningAgreementFactory.create(mobility=mobility, state=LearningAgreementState.APPROVED)
    assert send_digests(MONDAY_8) == 0
    run_at(MONDAY_8, django_capture_on_commit_callbacks)
    assert digests() == []


def test_the_digest_speaks_the_promoters_language(
    approver: User, django_capture_on_commit_callbacks: Any
) -> None:
    approver.language = "it"
    approver.save()
    waiting_agreements(approver, 1)
    run_at(MONDAY_8, django_capture_on_commit_callbacks)
    [message] = digests()
    assert "scrivania" in message.subject


def test_the_promoter_chooses_the_digest_on_the_preferences_page(approver: User) -> None:
    client = Client()
    client.force_login(approver)
    page = client.get("/accounts/preferences/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "E-mail me what waits on my desk" in page
    response = client.post("/accounts/preferences/", {"language": "en", "digest": "weekly"})
    assert response.status_code == 302
    approver.refresh_from_db()
    assert approver.digest == Digest.WEEKLY


def test_a_student_has_no_digest_choice(student: User) -> None:
    client = Client()
    client.force_login(student)
    page = client.get("/accounts/preferences/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "E-mail me what waits on my desk" not in page
