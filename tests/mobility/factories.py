"""Factories of the mobility app. A mobility is in progress by default (arrived ten days ago,
ending in five months) on an extendable offer whose agreement's promoter decides extensions;
the student's course has one coordinator, who approves learning agreements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from abroad.mobility.enums import (
    DocumentKind,
    LearningAgreementState,
    MobilityKind,
    MobilityState,
    Stage,
    Table,
)
from abroad.mobility.models import Component, Document, LearningAgreement, Mobility
from abroad.people.enums import Role
from tests.factories import CourseOfStudyFactory, OfferFactory, PromoterFactory, UserFactory

# The smallest files each accepted type is recognised by.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def pdf_upload(name: str = "signed.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def today() -> dt.date:
    return timezone.localdate()


class MobilityFactory(factory.django.DjangoModelFactory[Mobility]):
    class Meta:
        model = Mobility

    student = factory.SubFactory(
        UserFactory, role=Role.STUDENT, course_of_study=factory.SubFactory(CourseOfStudyFactory)
    )
    offer = factory.SubFactory(
        OfferFactory,
        extendable=True,
        agreement__promoter=factory.SubFactory(PromoterFactory),
    )
    host = factory.LazyAttribute(lambda m: m.offer.agreement.partner)
    academic_year = 2026
    kind = MobilityKind.SEMESTER
    state = MobilityState.IN_MOBILITY
    months = 6
    planned_start = factory.LazyFunction(lambda: today() - dt.timedelta(days=10))
    planned_end = factory.LazyFunction(lambda: today() + dt.timedelta(days=150))
    actual_start = factory.LazyFunction(lambda: today() - dt.timedelta(days=10))
    origin = "test"


class DocumentFactory(factory.django.DjangoModelFactory[Document]):
    class Meta:
        model = Document

    mobility = factory.SubFactory(MobilityFactory)
    kind = DocumentKind.ACCEPTANCE_LETTER
    file = factory.django.FileField(filename="letter.pdf", data=PDF_BYTES)
    original_name = "letter.pdf"
    content_type = "application/pdf"
    size = len(PDF_BYTES)


class LearningAgreementFactory(factory.django.DjangoModelFactory[LearningAgreement]):
    class Meta:
        model = LearningAgreement

    mobility = factory.SubFactory(MobilityFactory)
    number = factory.Sequence(lambda n: n + 1)
    stage = Stage.BEFORE
    state = LearningAgreementState.DRAFT
    language = "en"
    language_level = "B2"
    isced_code = "0715"
    eqf = 7


class ComponentFactory(factory.django.DjangoModelFactory[Component]):
    class Meta:
        model = Component

    agreement = factory.SubFactory(LearningAgreementFactory)
    table = Table.A
    position = factory.Sequence(lambda n: n + 1)
    code = factory.Sequence(lambda n: f"HOST{n:03d}")
    title = factory.Sequence(lambda n: f"Host course {n}")
    term = "Fall"
    ects = Decimal(6)


def coordinate(mobility: Mobility, promoter_user: object) -> None:
    """Make ``promoter_user`` (a promoter) the coordinator of the student's course."""
    course = mobility.student.course_of_study
    assert course is not None
    course.coordinators.add(promoter_user.promoter)  # type: ignore[attr-defined]


def agreement_with_rows(
    mobility: Mobility, *, a: int = 5, b: int = 5, **kwargs: object
) -> LearningAgreement:
    """A learning agreement with ``a`` host courses and ``b`` home courses of 6 ECTS each
    (5 and 5: the 30 ECTS a semester expects)."""
    agreement = LearningAgreementFactory.create(
        mobility=mobility, number=kwargs.pop("number", 1), **kwargs
    )
    for i in range(a):
        ComponentFactory.create(agreement=agreement, table=Table.A, position=i + 1)
    for i in range(b):
        ComponentFactory.create(
            agreement=agreement, table=Table.B, position=i + 1, code=f"HOME{i:03d}"
        )
    return agreement
