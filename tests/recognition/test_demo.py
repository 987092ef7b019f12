"""The recognition's demo: the scales and conversion rules an office keeps, EGRACONS grading
tables for TU Dublin and Politecnico, a student back from a semester abroad whose recognition
is validated (so the registrar's export has rows), and the ``erasmus`` student's transcript
left for the office to enter."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from abroad.core.models import AuditEvent
from abroad.mobility import services as mobility_services
from abroad.mobility.enums import LearningAgreementState, MobilityState
from abroad.mobility.models import Mobility
from abroad.people.models import User
from abroad.recognition import services
from abroad.recognition.enums import Cycle, LineFlag, Method, TranscriptState
from abroad.recognition.exports import export_recognitions
from abroad.recognition.management.commands.recognition import scope_of
from abroad.recognition.models import ConversionRule, GradingScale, GradingTable, Transcript
from abroad.recognition.services import EntryData
from abroad.site.demo import catalogue as catalogue_demo
from abroad.site.demo.mobility import ERASMUS, load_mobility_demo
from abroad.site.demo.recognition import (
    RETURNEE,
    RecognitionDemoSummary,
    load_recognition_demo,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

TODAY = dt.date(2027, 3, 1)
RULES_LINE = (
    "Recognition:   12 conversion rules, 2 grading tables, 1 transcript (1 validated); the "
    "rules: python -m abroad recognition rules"
)
DUBLIN_RULE = "Technological University Dublin, 3I-MSC-MECH: grading tables (EGRACONS)"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def loaded() -> RecognitionDemoSummary:
    catalogue_demo.load_demo()
    load_mobility_demo(today=TODAY)
    return load_recognition_demo(today=TODAY)


def scale(code: str) -> GradingScale:
    return GradingScale.objects.get(code=code)


def test_demo_rules_as_an_office_keeps_them(loaded: RecognitionDemoSummary) -> None:
    assert set(GradingScale.objects.values_list("code", flat=True)) == {
        "it", "fr", "de", "es", "nl", "uk", "uk-pg", "us", "ects", "at", "ie",
    }  # fmt: skip
    ireland = scale("ie")
    assert (ireland.standard, ireland.country.code) == ("", "IE")
    assert ireland.scale().lowest_pass.label == "40"

    rules = {
        rule.name: (str(scope_of(rule)), rule.method, rule.host_scale.code)
        for rule in ConversionRule.objects.select_related("host_scale")
    }
    arch = "AUIC-ARCH: France 0-20 table (illustrative: the real AUIC/ARCH table is not public)"
    assert rules == {
        "Ministry formula: France 0-20": ("default", Method.LINEAR, "fr"),
        "Ministry formula: Germany 1.0-5.0": ("default", Method.LINEAR, "de"),
        "Ministry formula: Spain 0-10 (MH gives 30L)": ("default", Method.LINEAR, "es"),
        "Ministry formula: Netherlands 1-10": ("default", Method.LINEAR, "nl"),
        "Ministry formula: UK percentage (undergraduate)": ("default", Method.LINEAR, "uk"),
        "Ministry formula: UK percentage (postgraduate)": ("default", Method.LINEAR, "uk-pg"),
        "Ministry formula: US letters": ("default", Method.LINEAR, "us"),
        "Ministry formula: Ireland percentage 0-100": ("default", Method.LINEAR, "ie"),
        "ECTS letters: the 10/25/30/25/10 bands": ("default", Method.ECTS_FALLBACK, "ects"),
        arch: ("School", Method.FIXED_TABLE, "fr"),
        "AUIC-MSC-BAE: France 0-20 through ECTS letters (illustrative)": (
            "course of study",
            Method.TWO_STEP,
            "fr",
        ),
        DUBLIN_RULE: ("partner institution", Method.GRADING_TABLES, "ie"),
    }
    for rule in ConversionRule.objects.all():
        rule.full_clean()  # every rule converts (clean() builds its strategy)
        assert rule.home_scale.code == "it"

    # The formula as the ministry writes it, and lode only where a rule grants it.
    french = ConversionRule.objects.get(name="Ministry formula: France 0-20").strategy()
    assert [french.convert(g).label for g in ("10", "14.5", "20", "9.99")] == [
        "18", "23", "30", "FAIL",
    ]  # fmt: skip
    spanish = ConversionRule.objects.get(host_scale__code="es").strategy()
    assert [spanish.convert(g).label for g in ("10", "MH")] == ["30", "30L"]
    us = ConversionRule.objects.get(host_scale__code="us").strategy()
    assert [us.convert(g).label for g in ("A", "B", "D", "F")] == ["30", "26", "18", "FAIL"]
    arch_table = ConversionRule.objects.get(name=arch).strategy()
    assert [arch_table.convert(g).label for g in ("18.5", "15", "12.25", "10")] == [
        "30L", "28", "22", "18",
    ]  # fmt: skip


def test_demo_grading_tables_for_tu_dublin(loaded: RecognitionDemoSummary) -> None:
    home = GradingTable.objects.get(institution__is_home=True)
    dublin = GradingTable.objects.get(institution__erasmus_code="IRLDUBLIN44")
    for table in (home, dublin):
        assert (table.isced_code, table.cycle, table.first_year, table.last_year) == (
            "0715",
            Cycle.SECOND,
            2024,
            2025,
        )
        assert "invented" in table.source.lower()
        table.full_clean()
    assert home.scale.code == "it"
    assert home.counts is not None
    assert sum(home.counts.values()) == 1405
    # best first, as the table orders them (PostgreSQL's JSON keeps no key order)
    assert [label for label, _share in home.table().percentages][:3] == ["30L", "30", "29"]
    assert home.source.startswith("demo-past-grades-3I-MSC-MECH.csv: 1405 passing grades")
    assert AuditEvent.objects.filter(action="gradingtable.built").count() == 1
    assert dublin.scale.code == "ie"
    assert dublin.counts is not None
    assert sum(Decimal(p) for p in dublin.percentages.values()) == pytest.approx(100, abs=0.5)

    erasmus = Mobility.objects.get(student__username=ERASMUS)
    rule = services.rule_for(erasmus, scale("ie"))
    assert rule is not None
    assert (rule.name, rule.host_table, rule.home_table) == (DUBLIN_RULE, dublin, home)
    assert rule.parameters == {"policy": "closest"}
    strategy = rule.strategy()
    marks = ("40", "55", "62", "68", "72", "80", "39")
    assert [strategy.convert(m).label for m in marks] == [
        "18", "24", "26", "29", "30", "30L", "FAIL",
    ]  # fmt: skip


def test_demo_returnee_has_a_validated_recognition(loaded: RecognitionDemoSummary) -> None:
    student = User.objects.get(username=RETURNEE)
    promoter = User.objects.get(username="promoter")
    assert (student.first_name, student.last_name, student.student_number) == (
        "Nicolò",
        "Brambilla",
        "100103",
    )
    assert not student.has_usable_password()
    assert RETURNEE not in dict(catalogue_demo.LOGINS)
    assert student.course_of_study is not None
    assert student.course_of_study.code == "3I-MSC-MECH"

    mobility = Mobility.objects.select_related("host").get(student=student)
    assert (mobility.state, mobility.academic_year, mobility.host.display_name) == (
        MobilityState.COMPLETED,
        2025,
        "RWTH Aachen University",
    )
    assert (mobility.actual_start, mobility.actual_end) == (
        dt.date(2025, 9, 15),
        dt.date(2026, 2, 13),
    )
    agreement = mobility.learning_agreements.get()
    assert agreement.state == LearningAgreementState.SIGNED
    assert agreement.host_signed_at is not None
    assert timezone.localdate(agreement.host_signed_at) < dt.date(2025, 9, 15)

    transcript = Transcript.objects.get(mobility=mobility)
    assert (transcript.state, transcript.host_scale.code, transcript.validated_by) == (
        TranscriptState.VALIDATED,
        "de",
        promoter,
    )
    assert transcript.received_on == dt.date(2026, 3, 15)
    moments = [
        transcript.entered_at,
        transcript.accepted_at,
        transcript.proposed_at,
        transcript.validated_at,
    ]
    assert None not in moments
    assert moments == sorted(moments)  # type: ignore[type-var]
    assert rule_name(transcript) == "Ministry formula: Germany 1.0-5.0"
    lines = list(transcript.lines.values_list("code", "credits", "proposed_grade", "grade", "flag"))
    assert lines == [
        ("052512", Decimal(6), "29", "29", LineFlag.NONE),
        ("052518", Decimal(6), "26", "26", LineFlag.NONE),
        ("052523", Decimal(6), "27", "27", LineFlag.NONE),
        ("052531", Decimal(6), "23", "23", LineFlag.NONE),
        ("052540", Decimal(6), "30", "30L", LineFlag.NONE),
    ]
    adjusted = transcript.lines.get(code="052540")
    assert adjusted.adjusted_by == promoter
    assert "lode" in adjusted.adjusted_reason
    assert list(
        AuditEvent.objects.filter(object_type="recognition.transcript")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "transcript.entered",
        "transcript.accepted",
        "recognition.proposed",
        "recognition.adjusted",
        "recognition.validated",
    ]


def rule_name(transcript: Transcript) -> str:
    assert transcript.rule is not None
    return transcript.rule.name


def test_demo_export_has_the_validated_rows(loaded: RecognitionDemoSummary) -> None:
    target = io.BytesIO()
    target.name = "recognitions.csv"

    assert export_recognitions(target) == 5
    row = (
        "100103,Brambilla Nicolò,{},6,{},RWTH Aachen University,2025/2026,2026-03-27,Bellandi Marco"
    )
    assert target.getvalue().decode("utf-8-sig").splitlines()[1:] == [
        row.format("052512,Dynamics of Mechanical Systems", "29"),
        row.format("052518,Computational Solid Mechanics", "26"),
        row.format("052523,Internal Combustion Engines", "27"),
        row.format("052531,Machine Design", "23"),
        row.format("052540,Industrial Robotics", "30L"),
    ]
    assert export_recognitions(io.BytesIO(), fmt="csv", academic_year=2026) == 0


def test_demo_erasmus_transcript_is_left_to_enter_and_converts_by_grading_tables(
    loaded: RecognitionDemoSummary,
) -> None:
    """What the journey does: the office enters TU Dublin's transcript, the student accepts
    it, the promoter sees the grades converted by the grading tables and validates."""
    mobility = Mobility.objects.get(student__username=ERASMUS)
    assert not Transcript.objects.filter(mobility=mobility).exists()
    office = User.objects.get(username="office")
    promoter = User.objects.get(username="promoter")
    codes = [c.code for c in mobility.learning_agreements.get().components.filter(table="A")]
    if not mobility.has_ended:  # the office records the departure first
        mobility = mobility_services.set_state(
            mobility=mobility,
            state=MobilityState.COMPLETED,
            actor=office,
            left_on=mobility.planned_end,
        )

    transcript = services.enter_transcript(
        mobility=mobility,
        host_scale=scale("ie"),
        entries=[
            EntryData(code, grade=mark)
            for code, mark in zip(codes, ("55", "62", "68", "72", "80"), strict=True)
        ],
        actor=office,
    )
    services.accept_transcript(transcript=transcript, actor=mobility.student)
    services.propose_recognition(transcript=transcript, actor=office)
    services.validate_recognition(transcript=transcript, actor=promoter)

    transcript.refresh_from_db()
    assert rule_name(transcript) == DUBLIN_RULE
    assert list(transcript.lines.values_list("grade", flat=True)) == [
        "24", "26", "29", "30", "30L",
    ]  # fmt: skip
    text = "\n".join(transcript.lines.get(position=1).sentences())
    assert "ISCED-F 0715, second cycle" in text


def test_demo_loaded_twice_changes_nothing(loaded: RecognitionDemoSummary) -> None:
    again = load_recognition_demo(today=TODAY)

    # the Irish scale (a migration adds the standard ones), 12 rules, 2 tables, the returnee,
    # the mobility, its agreement and its signed copy, the transcript, its 5 entries and 5 lines
    assert loaded.created == 1 + 12 + 2 + 1 + 1 + 1 + 1 + 1 + 5 + 5
    assert again.created == 0
    assert again == RecognitionDemoSummary(**{**loaded.__dict__, "created": 0})
    assert (loaded.scales, loaded.rules, loaded.tables, loaded.transcripts) == (11, 12, 2, 1)
    assert AuditEvent.objects.filter(action="demo.recognition_loaded").count() == 1


def test_demo_lines(loaded: RecognitionDemoSummary) -> None:
    assert loaded.lines() == [
        RULES_LINE,
        "  returnee (no login; the office and promoter see it): back from RWTH Aachen University "
        "(2025/2026), recognition validated: 30 "
        "ECTS; the registrar's file: python -m abroad recognition export",
        f"  erasmus: transcript not entered yet; its grades will convert by “{DUBLIN_RULE}”",
    ]


def test_demo_without_the_catalogue_adds_the_scales_and_default_rules(db: None) -> None:
    summary = load_recognition_demo(today=TODAY)

    assert (summary.scales, summary.rules, summary.tables, summary.transcripts) == (11, 9, 0, 0)
    assert summary.created == 1 + 9  # the Irish scale and the rules
    assert {str(scope_of(rule)) for rule in ConversionRule.objects.all()} == {"default"}
    assert summary.lines() == [
        "Recognition:   9 conversion rules, 0 grading tables, 0 transcripts (0 validated); the "
        "rules: python -m abroad recognition rules"
    ]
    assert load_recognition_demo(today=TODAY).created == 0


def test_demo_command_prints_the_recognition(db: None) -> None:
    out = StringIO()
    call_command("demo", stdout=out)
    lines = out.getvalue().splitlines()

    recognition = next(i for i, line in enumerate(lines) if line.startswith("  Recognition:"))
    assert lines[recognition - 1].startswith("    thesis: ")  # after the mobilities
    assert lines[recognition].startswith("  Recognition:   12 conversion rules, 2 grading tables")
    assert lines[recognition + 1].startswith(
        "    returnee (no login; the office and promoter see it)"
    )
    assert lines[recognition + 2].startswith("    erasmus: transcript not entered yet")
