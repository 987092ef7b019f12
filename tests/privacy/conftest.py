"""A student with a record in every app: a career, a certificate, a passed course, an
application to a call (with a preference and a seat), an ATHENS application, a mobility with
a signed learning agreement, a document and a validated transcript; and the same, smaller,
for another student."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from abroad.core.audit import record
from abroad.mobility.enums import DocumentKind, LearningAgreementState, MobilityState
from abroad.mobility.models import Document, LearningAgreement, Mobility
from abroad.networks.enums import ApplicationState as AthensState
from abroad.networks.models import AthensApplication
from abroad.people.models import PassedCourse, User
from abroad.recognition.enums import Outcome, TranscriptState
from abroad.recognition.models import Transcript, TranscriptEntry
from abroad.selection.enums import ApplicationState, AssignmentState
from abroad.selection.models import Application

# The browser fixtures of the journeys in tests/e2e, for this app's journey.
from tests.e2e.conftest import console_errors, demo_server  # noqa: F401
from tests.mobility.factories import DocumentFactory, MobilityFactory, agreement_with_rows
from tests.networks.factories import ApplicationFactory as AthensApplicationFactory
from tests.networks.factories import SessionFactory, in_days
from tests.recognition.factories import standard
from tests.selection.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    LanguageCertificateFactory,
    PreferenceFactory,
    StudentCareerFactory,
)


@dataclass
class Record:
    person: User
    application: Application
    athens: AthensApplication
    mobility: Mobility
    agreement: LearningAgreement
    document: Document
    transcript: Transcript


def past_call_application(person: User) -> Application:
    call = CallFactory.create(opens_at=in_days(-60), closes_at=in_days(-30))
    application = ApplicationFactory.create(
        call=call, student=person, state=ApplicationState.SUBMITTED, submitted_at=in_days(-40)
    )
    PreferenceFactory.create(application=application)
    AssignmentFactory.create(
        application=application,
        round__call=call,
        round__acceptance_deadline=in_days(-20),
        call_offer__call=call,
        state=AssignmentState.ACCEPTED,
    )
    return application


def full_record(person: User, *, signed: bool = True) -> Record:
    """A finished mobility (completed), a closed call and a closed ATHENS session."""
    StudentCareerFactory.create(student=person)
    LanguageCertificateFactory.create(student=person)
    PassedCourse.objects.create(
        student=person, code=f"P{person.pk}", title="Analisi 1", credits=Decimal(10)
    )
    application = past_call_application(person)
    athens = AthensApplicationFactory.create(
        student=person,
        session=SessionFactory.create(
            applications_open_at=in_days(-90), applications_close_at=in_days(-60)
        ),
        state=AthensState.SUBMITTED,
        motivation=f"Motivation of {person.username}",
    )
    today = timezone.localdate()
    mobility = MobilityFactory.create(
        student=person,
        state=MobilityState.COMPLETED,
        planned_start=today - dt.timedelta(days=200),
        planned_end=today - dt.timedelta(days=20),
        actual_start=today - dt.timedelta(days=200),
        actual_end=today - dt.timedelta(days=20),
    )
    agreement = agreement_with_rows(
        mobility,
        a=2,
        b=2,
        state=LearningAgreementState.SIGNED if signed else LearningAgreementState.SUBMITTED,
    )
    document = DocumentFactory.create(
        mobility=mobility, kind=DocumentKind.ACCEPTANCE_LETTER, uploaded_by=person
    )
    transcript = Transcript.objects.create(
        mobility=mobility,
        agreement=agreement,
        host_scale=standard("fr"),
        state=TranscriptState.VALIDATED if signed else TranscriptState.ENTERED,
        validated_at=timezone.now() if signed else None,
    )
    component = agreement.components.first()
    TranscriptEntry.objects.create(
        transcript=transcript,
        component=component,
        position=1,
        code="HOST1",
        title="Host course",
        ects=Decimal(6),
        grade="14",
        outcome=Outcome.PASSED,
    )
    record(actor=person, action="test.did_something", obj=mobility)
    return Record(person, application, athens, mobility, agreement, document, transcript)


@pytest.fixture
def owner(student: User) -> Record:
    student.student_number = "100234"
    student.save()
    return full_record(student)


@pytest.fixture
def others(other_student: User) -> Record:
    other_student.student_number = "100999"
    other_student.save()
    return full_record(other_student, signed=False)
