"""The mobility's e-mails, sent on commit by the services: a signed learning agreement to the
approvers, the decision on it to the student, an extension request to the partner site's
promoter, the decision on it to the student."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from abroad.mobility import services
from abroad.mobility.enums import LearningAgreementState
from abroad.mobility.models import ExtensionRequest, LearningAgreement, Mobility
from tests.factories import CourseOfStudyFactory, PromoterFactory, UserFactory
from tests.mobility.factories import MobilityFactory, agreement_with_rows, coordinate, pdf_upload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FROM = "abroad <noreply@localhost>"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.DEFAULT_FROM_EMAIL = FROM
    settings.SITE_URL = "https://abroad.example.org"  # the links are absolute


@pytest.fixture
def mobility() -> Mobility:
    """Anna Rossi's semester at Partner University Delft; Prof. Bianchi and Prof. Verdi
    coordinate her course, Prof. Neri promotes the partner site."""
    found: Mobility = MobilityFactory.create(
        student=UserFactory.create(
            username="anna",
            first_name="Anna",
            last_name="Rossi",
            email="anna@example.org",
            course_of_study=CourseOfStudyFactory.create(),
        ),
        offer__agreement__partner__name="Partner University Delft",
        offer__agreement__promoter__user__username="neri",
    )
    for username in ("bianchi", "verdi"):
        coordinate(found, PromoterFactory.create(user__username=username).user)
    return found


def draft(mobility: Mobility, number: int = 1) -> LearningAgreement:
    return agreement_with_rows(mobility, state=LearningAgreementState.DRAFT, number=number)


def signed_by_student(mobility: Mobility) -> LearningAgreement:
    agreement = services.submit(agreement=draft(mobility), actor=mobility.student)
    mail.outbox.clear()
    return agreement


def promoter_user(username: str) -> Any:
    return PromoterFactory._meta.model.objects.get(user__username=username).user


def extension(mobility: Mobility) -> ExtensionRequest:
    assert mobility.planned_end is not None
    requested = services.request_extension(
        mobility=mobility,
        actor=mobility.student,
        requested_end=mobility.planned_end + dt.timedelta(days=60),
        reason="A research project in the spring.",
        form=pdf_upload(),
    )
    return requested


def test_submitted_goes_to_the_coordinators(mobility: Mobility) -> None:
    services.submit(agreement=draft(mobility), actor=mobility.student)
    (message,) = mail.outbox
    assert message.to == ["bianchi@example.org", "verdi@example.org"]
    assert message.from_email == FROM
    assert message.subject == "Learning agreement v1 of Anna Rossi to approve"
    assert message.body == (
        "Anna Rossi signed version 1 of the learning agreement for Partner University Delft. "
        "It waits for your approval on your desk.\n\nOpen your desk: https://abroad.example.org/mobility/desk/\n"
    )


def test_submitted_goes_to_the_site_promoter_without_coordinators() -> None:
    found = MobilityFactory.create(offer__agreement__promoter__user__username="neri")
    services.submit(agreement=draft(found), actor=found.student)
    (message,) = mail.outbox
    assert message.to == ["neri@example.org"]


def test_approved_goes_to_the_student(mobility: Mobility) -> None:
    agreement = signed_by_student(mobility)
    services.approve(agreement=agreement, actor=promoter_user("bianchi"))
    (message,) = mail.outbox
    assert message.to == ["anna@example.org"]
    assert message.subject == "Your learning agreement v1 was approved"
    assert message.body == (
        "Your promoter approved version 1 of your learning agreement for Partner University "
        f"Delft. It now waits for the host's signature.\n\nhttps://abroad.example.org/mobility/{mobility.pk}/\n"
    )


def test_returned_goes_to_the_student_with_the_comment(mobility: Mobility) -> None:
    agreement = signed_by_student(mobility)
    services.return_to_student(
        agreement=agreement,
        actor=promoter_user("verdi"),
        comment="Table B: Analysis 2 is passed already.\nChoose another exam.",
    )
    (message,) = mail.outbox
    assert message.to == ["anna@example.org"]
    assert message.subject == "Your learning agreement v1 was returned"
    assert message.body == (
        "Your promoter returned version 1 of your learning agreement for Partner University "
        "Delft with these comments:\n\n"
        "Table B: Analysis 2 is passed already.\nChoose another exam.\n\n"
        f"Open the agreement, fix it and sign it again.\n\nhttps://abroad.example.org/mobility/{mobility.pk}/\n"
    )


def test_bulk_decisions_send_one_message_each(mobility: Mobility) -> None:
    other = MobilityFactory.create(
        student__email="marco@example.org", student__course_of_study=CourseOfStudyFactory.create()
    )
    coordinate(other, promoter_user("bianchi"))  # who approves both
    first = signed_by_student(mobility)
    second = signed_by_student(other)
    services.bulk_decide(
        agreements=[first, second], actor=promoter_user("bianchi"), approve_them=True
    )
    assert sorted(message.to[0] for message in mail.outbox) == [
        "anna@example.org",
        "marco@example.org",
    ]


def test_extension_requested_goes_to_the_site_promoter(mobility: Mobility) -> None:
    requested = extension(mobility)
    (message,) = mail.outbox
    assert message.to == ["neri@example.org"]
    assert message.subject == "Extension request of Anna Rossi to decide"
    current = requested.current_end
    end = requested.requested_end
    assert message.body == (
        "Anna Rossi asks to extend the mobility at Partner University Delft from "
        f"{current.day} {current:%B %Y} to {end.day} {end:%B %Y}.\n\n"
        "A research project in the spring.\n\nOpen your desk: https://abroad.example.org/mobility/desk/\n"
    )


def test_extension_authorised_goes_to_the_student(mobility: Mobility) -> None:
    requested = extension(mobility)
    mail.outbox.clear()
    services.decide_extension(extension=requested, actor=promoter_user("neri"), authorise=True)
    (message,) = mail.outbox
    end = requested.requested_end
    assert message.to == ["anna@example.org"]
    assert message.subject == "Your extension was authorised"
    assert message.body == (
        f"Your mobility now ends on {end.day} {end:%B %Y} ({requested.months_after} months)."
        f"\n\nhttps://abroad.example.org/mobility/{mobility.pk}/\n"
    )


def test_extension_refused_goes_to_the_student_with_the_reason(mobility: Mobility) -> None:
    requested = extension(mobility)
    mail.outbox.clear()
    services.decide_extension(
        extension=requested,
        actor=promoter_user("neri"),
        authorise=False,
        reason="The host cannot supervise you in the spring.",
    )
    (message,) = mail.outbox
    current = requested.current_end
    assert message.to == ["anna@example.org"]
    assert message.subject == "Your extension was refused"
    assert message.body == (
        f"Your extension was refused; the mobility still ends on {current.day} "
        f"{current:%B %Y}. The reason:\n\n"
        "The host cannot supervise you in the spring.\n\n"
        f"https://abroad.example.org/mobility/{mobility.pk}/\n"
    )


def test_nothing_is_sent_when_the_transition_is_refused(mobility: Mobility) -> None:
    agreement = signed_by_student(mobility)
    with pytest.raises(services.MobilityError):
        services.return_to_student(agreement=agreement, actor=promoter_user("bianchi"), comment="")
    assert mail.outbox == []


def test_text_is_not_html_escaped(mobility: Mobility) -> None:
    """Plain-text e-mails: an apostrophe or an ampersand arrives as typed."""
    mobility.student.last_name = "D'Angelo"
    mobility.student.save()
    agreement = signed_by_student(mobility)
    services.return_to_student(
        agreement=agreement, actor=promoter_user("bianchi"), comment="Don't mix A & B <here>."
    )
    (message,) = mail.outbox
    assert "Don't mix A & B <here>." in message.body
    services.submit(agreement=draft(mobility, number=2), actor=mobility.student)
    assert mail.outbox[1].subject == "Learning agreement v2 of Anna D'Angelo to approve"
