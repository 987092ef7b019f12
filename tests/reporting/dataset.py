"""A small hand-made dataset whose figures are counted by hand in the tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from abroad.catalogue.enums import Programme
from abroad.catalogue.models import CourseOfStudy, Institution, School
from abroad.grants.models import GrantCase, Payment
from abroad.mobility.enums import (
    DocumentKind,
    ExtensionState,
    LearningAgreementState,
    MobilityState,
    Table,
)
from abroad.mobility.models import ExtensionRequest, LearningAgreement, Mobility
from abroad.networks.enums import AllocationState, Season
from abroad.networks.enums import ApplicationState as AthensState
from abroad.networks.models import AthensAllocation, Participation
from abroad.people.enums import Role
from abroad.recognition.enums import TranscriptState
from abroad.recognition.models import RecognitionLine, Transcript
from abroad.selection.enums import ApplicationState, AssignmentState, RoundState
from tests.factories import (
    AgreementFactory,
    CourseOfStudyFactory,
    InstitutionFactory,
    OfferFactory,
    SchoolFactory,
    UserFactory,
)
from tests.mobility.factories import (
    ComponentFactory,
    DocumentFactory,
    LearningAgreementFactory,
    MobilityFactory,
)
from tests.networks.factories import ApplicationFactory as AthensApplicationFactory
from tests.networks.factories import CourseFactory, SessionFactory
from tests.recognition.factories import standard
from tests.selection.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    CallOfferFactory,
    RoundFactory,
)

YEAR = 2025
T0 = dt.datetime(2025, 3, 1, 10, 0, tzinfo=dt.UTC)


@dataclass
class Dataset:
    engineering: School
    design: School
    msc: CourseOfStudy
    bsc: CourseOfStudy
    berlin: Institution
    paris: Institution
    mobilities: list[Mobility]


def student(course: CourseOfStudy, name: str = "") -> object:
    if name:
        return UserFactory.create(role=Role.STUDENT, course_of_study=course, last_name=name)
    return UserFactory.create(role=Role.STUDENT, course_of_study=course)


def steps(mobility: Mobility, approved_after: int, signed_after: int | None) -> LearningAgreement:
    """A version submitted at T0, approved ``approved_after`` days later and signed by the host
    ``signed_after`` days after the approval (None: not yet)."""
    approved = T0 + dt.timedelta(days=approved_after)
    return LearningAgreementFactory.create(
        mobility=mobility,
        number=1,
        state=LearningAgreementState.SIGNED if signed_after else LearningAgreementState.APPROVED,
        student_signed_at=T0,
        promoter_signed_at=approved,
        host_signed_at=approved + dt.timedelta(days=signed_after) if signed_after else None,
    )


def build() -> Dataset:
    """Engineering (3I, MSc) sends three students to Berlin (Erasmus+, 6 months) and one is
    withdrawn; Design (BSc) sends one to Paris (bilateral, 10 months)."""
    engineering = SchoolFactory.create()
    design = SchoolFactory.create(code="DES", name="School of Design")
    msc = CourseOfStudyFactory.create(school=engineering, level="MSc")
    bsc = CourseOfStudyFactory.create(school=design, level="BSc")
    berlin = InstitutionFactory.create(name="=Berlin University", country="DE")
    paris = InstitutionFactory.create(name="Paris University", country="FR")
    erasmus = OfferFactory.create(agreement=AgreementFactory.create(partner=berlin))
    bilateral = OfferFactory.create(
        agreement=AgreementFactory.create(partner=paris, programme=Programme.BILATERAL),
        months=10,
    )
    went = [
        MobilityFactory.create(student=student(msc), offer=erasmus, academic_year=YEAR, months=6)
        for _ in range(3)
    ]
    withdrawn = MobilityFactory.create(
        student=student(msc), offer=erasmus, academic_year=YEAR, state=MobilityState.WITHDRAWN
    )
    went.append(
        MobilityFactory.create(student=student(bsc), offer=bilateral, academic_year=YEAR, months=10)
    )
    # learning agreements: submitted -> approved in 2, 4 and 6 days; approved -> signed in 3
    first = steps(went[0], 2, 3)
    steps(went[1], 4, None)
    steps(went[2], 6, None)
    LearningAgreementFactory.create(mobility=went[3], number=1)  # a draft
    # extensions: two asked by Berlin's students, one granted
    for mobility, state in ((went[0], ExtensionState.APPROVED), (went[1], ExtensionState.REFUSED)):
        ExtensionRequest.objects.create(
            mobility=mobility,
            state=state,
            current_end=dt.date(2025, 12, 1),
            requested_end=dt.date(2026, 2, 1),
            months_before=6,
            months_after=8,
            reason="More courses",
            requested_by=mobility.student,
            form=DocumentFactory.create(mobility=mobility, kind=DocumentKind.EXTENSION_FORM),
        )
    # recognition: table B of 2 x 6 credits, one course recognised
    for position in (1, 2):
        ComponentFactory.create(agreement=first, table=Table.B, position=position)
    ComponentFactory.create(agreement=first, table=Table.A, position=9)
    transcript = Transcript.objects.create(
        mobility=went[0],
        agreement=first,
        host_scale=standard("de"),
        state=TranscriptState.VALIDATED,
        validated_at=T0,
    )
    RecognitionLine.objects.create(
        transcript=transcript,
        position=1,
        title="Home 1",
        credits=Decimal(6),
        grade="27",
        proposed_grade="27",
    )
    RecognitionLine.objects.create(
        transcript=transcript, position=2, title="Home 2", credits=Decimal(0)
    )
    # a call for Engineering: 3 applications, 2 seats at Berlin; round 1 offers two seats,
    # one accepted and one renounced
    call = CallFactory.create(code="eng-2025", academic_year=YEAR, schools=[engineering])
    seats = CallOfferFactory.create(call=call, offer=erasmus, seats=2)
    applications = [
        ApplicationFactory.create(call=call, student=student(msc), state=ApplicationState.SUBMITTED)
        for _ in range(3)
    ]
    ApplicationFactory.create(call=call, student=student(msc))  # a draft
    first_round = RoundFactory.create(call=call, number=1, state=RoundState.CLOSED)
    for application, outcome in (
        (applications[0], AssignmentState.ACCEPTED),
        (applications[1], AssignmentState.RENOUNCED),
    ):
        AssignmentFactory.create(
            round=first_round, application=application, call_offer=seats, state=outcome
        )
    AssignmentFactory.create(
        round=first_round,
        application=applications[2],
        call_offer=None,
        state=AssignmentState.NONE,
    )
    # ATHENS, November 2025: two applications, one course accepted, one participant who passed
    session = SessionFactory.create(code="athens-nov-2025", season=Season.NOVEMBER, year=YEAR)
    course = CourseFactory.create(session=session, host=berlin)
    athens_applications = [
        AthensApplicationFactory.create(
            session=session, student=student(msc), state=AthensState.SUBMITTED
        )
        for _ in range(2)
    ]
    allocation = AthensAllocation.objects.create(
        application=athens_applications[0], course=course, state=AllocationState.ACCEPTED
    )
    Participation.objects.create(
        allocation=allocation,
        student=athens_applications[0].student,
        course=course,
        passed=True,
        nominated_at=timezone.now(),
    )
    # grants: 2,000 + 1,500 committed in Berlin (one paid 1,600), 3,000 in Paris, none for the
    # third Berlin stay (zero-grant) and the withdrawn one's left out
    for mobility, amount in (
        (went[0], "2000.00"),
        (went[1], "1500.00"),
        (went[2], "0.00"),
        (went[3], "3000.00"),
        (withdrawn, "999.00"),
    ):
        GrantCase.objects.create(mobility=mobility, amount=Decimal(amount))
    Payment.objects.create(
        mobility=went[0], instalment=1, amount=Decimal("1600.00"), paid_on=dt.date(2025, 10, 1)
    )
    return Dataset(engineering, design, msc, bsc, berlin, paris, went)
