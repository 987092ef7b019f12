"""The mobility's demo: a student abroad with a signed learning agreement, a thesis nominee."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.db.models import Sum
from django.utils import timezone

from abroad.core.enums import CEFR
from abroad.core.models import AuditEvent
from abroad.mobility import services
from abroad.mobility.enums import (
    DocumentKind,
    LearningAgreementState,
    MobilityKind,
    MobilityState,
    Stage,
    Table,
)
from abroad.mobility.models import Document, LearningAgreement, Mobility
from abroad.people.models import User
from abroad.site.demo import catalogue as catalogue_demo
from abroad.site.demo.mobility import ERASMUS, THESIS, MobilityDemoSummary, load_mobility_demo

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

TODAY = dt.date(2027, 3, 1)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def loaded() -> MobilityDemoSummary:
    catalogue_demo.load_demo()
    return load_mobility_demo(today=TODAY)


def test_demo_erasmus_student_is_abroad_with_a_signed_agreement(
    loaded: MobilityDemoSummary,
) -> None:
    student = User.objects.get(username=ERASMUS)
    mobility = Mobility.objects.select_related("offer__agreement__promoter__user").get(
        student=student
    )
    promoter = User.objects.get(username="promoter")

    assert authenticate(username=ERASMUS, password=catalogue_demo.PASSWORD) == student
    assert student.student_number != ""
    assert student.course_of_study is not None
    assert student.course_of_study.level == "MSc"
    assert promoter.promoter in student.course_of_study.coordinators.all()
    assert (mobility.state, mobility.kind) == (MobilityState.IN_MOBILITY, MobilityKind.SEMESTER)
    assert mobility.actual_start == TODAY - dt.timedelta(days=12)
    assert mobility.planned_end == TODAY + dt.timedelta(days=150)
    assert mobility.months == 5
    assert mobility.offer is not None
    assert mobility.offer.extendable
    assert mobility.offer.agreement.promoter is not None
    assert mobility.offer.agreement.promoter.user == promoter
    assert mobility.host == mobility.offer.agreement.partner
    assert not mobility.host.is_home

    agreement = LearningAgreement.objects.get(mobility=mobility)
    assert (agreement.number, agreement.stage, agreement.state) == (
        1,
        Stage.BEFORE,
        LearningAgreementState.SIGNED,
    )
    assert agreement.promoter == promoter
    assert agreement.host_signer != ""
    signed_at = [
        agreement.student_signed_at,
        agreement.promoter_signed_at,
        agreement.host_signed_at,
    ]
    assert None not in signed_at
    assert signed_at == sorted(signed_at)  # type: ignore[type-var]
    assert timezone.localdate(agreement.host_signed_at) < mobility.actual_start
    for table in (Table.A, Table.B):
        rows = agreement.components.filter(table=table)
        assert rows.count() == 5
        assert set(rows.values_list("ects", flat=True)) == {Decimal(6)}
        assert rows.aggregate(total=Sum("ects"))["total"] == Decimal(30)
    assert services.findings(agreement) == []
    assert agreement.host_document is not None
    assert agreement.host_document.kind == DocumentKind.SIGNED_LA

    letter = Document.objects.get(mobility=mobility, kind=DocumentKind.ACCEPTANCE_LETTER)
    assert letter.is_current
    assert letter.content_type == "application/pdf"
    assert letter.file.read().startswith(b"%PDF-")

    certificate = student.certificates.get(language=mobility.offer.language)
    assert CEFR.rank(certificate.level) >= CEFR.rank(mobility.offer.language_level or "A1")
    assert student.career.months_used == 0


def test_demo_erasmus_student_can_try_a_change_and_an_extension(
    loaded: MobilityDemoSummary,
) -> None:
    mobility = Mobility.objects.get(student__username=ERASMUS)
    student = mobility.student
    promoter = User.objects.get(username="promoter")

    services.change_window_check(
        mobility=mobility, actor=student, now=timezone.make_aware(dt.datetime(2027, 3, 1, 12))
    )
    assert (
        services.extension_problem(
            mobility=mobility,
            requested_end=TODAY + dt.timedelta(days=240),
            today=TODAY,
        )
        is None
    )
    assert student.has_perm("mobility.request_extension", mobility)
    assert promoter.has_perm("mobility.approve_learning_agreement", mobility)
    assert promoter.has_perm("mobility.decide_extension", mobility)


def test_demo_thesis_student_is_nominated_without_agreement(loaded: MobilityDemoSummary) -> None:
    mobility = Mobility.objects.get(student__username=THESIS)

    assert (mobility.state, mobility.kind) == (MobilityState.NOMINATED, MobilityKind.THESIS)
    assert mobility.learning_agreements.count() == 0
    assert authenticate(username=THESIS, password=catalogue_demo.PASSWORD) == mobility.student
    assert mobility.student.course_of_study is not None
    assert mobility.student.course_of_study.coordinators.filter(user__username="promoter").exists()


def test_demo_loaded_twice_changes_nothing(loaded: MobilityDemoSummary) -> None:
    again = load_mobility_demo(today=TODAY)

    assert loaded.created == 21
    assert again.created == 0
    assert again == MobilityDemoSummary(**{**loaded.__dict__, "created": 0})
    assert Mobility.objects.filter(origin="demo").count() == 2
    assert AuditEvent.objects.filter(action="demo.mobility_loaded").count() == 1


def test_demo_lines(loaded: MobilityDemoSummary) -> None:
    lines = loaded.lines()

    assert lines[0] == (
        f"Mobilities:    {loaded.mobilities} (learning agreement versions: 1, documents: 2)"
    )
    assert lines[1].startswith("  erasmus: in mobility at ")
    assert lines[2].startswith("  thesis: nominated to the host at ")


def test_demo_without_the_catalogue_adds_nothing(db: None) -> None:
    summary = load_mobility_demo(today=TODAY)

    assert summary == MobilityDemoSummary(mobilities=0, agreements=0, documents=0, created=0)
    assert summary.lines() == ["Mobilities:    0 (learning agreement versions: 0, documents: 0)"]
    assert not AuditEvent.objects.filter(action="demo.mobility_loaded").exists()
