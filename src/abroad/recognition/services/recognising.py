"""The recognition of table B: proposed (the grade and credits of each line, with its
explanation as data), adjusted and validated by the promoter."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from abroad.core import audit
from abroad.mobility.enums import Table
from abroad.mobility.models import Component, Mobility
from abroad.mobility.queries import acting_for, live
from abroad.people.models import User
from abroad.people.substitutes import record_on_behalf
from abroad.recognition import conversion, proposal
from abroad.recognition.enums import LineFlag, Outcome, TranscriptState
from abroad.recognition.models import (
    ConversionRule,
    RecognitionLine,
    Transcript,
    TranscriptEntry,
)
from abroad.recognition.queries import total_credits
from abroad.recognition.services.base import (
    RecognitionError,
    _in_force,
    _lock,
    _require,
    _scale,
    _state,
    plain,
)
from abroad.recognition.services.scales_and_rules import _strategy, rule_for


@dataclass
class _Proposal:
    component: Component
    entries: list[TranscriptEntry]
    grade: str
    credits: Decimal
    flag: str
    explanation: dict[str, Any]


def _propose_line(
    component: Component,
    entries: list[TranscriptEntry],
    strategy: conversion.Strategy,
    rule: ConversionRule,
    mapping: str,
) -> _Proposal:
    """A line's grade (:mod:`abroad.recognition.proposal`) and its structured explanation:
    data only; :mod:`abroad.recognition.conversion.wording` says it in the reader's
    language."""
    sources: list[dict[str, Any]] = []
    converted: list[tuple[Decimal | None, conversion.Grade | None]] = []
    for entry in entries:
        source: dict[str, Any] = {
            "entry": entry.pk,
            "code": entry.code,
            "title": entry.title,
            "ects": plain(entry.ects) if entry.ects is not None else None,
            "outcome": entry.outcome,
            "host_grade": entry.grade,
        }
        home: conversion.Grade | None = None
        if entry.outcome == Outcome.MISSING:
            source["home_grade"] = ""
        else:
            result = strategy.convert(entry.grade)
            source["home_grade"] = result.label
            source["explanation"] = conversion.explanation_data(result.explanation)
            if isinstance(result.home, conversion.Grade):
                home = result.home
        converted.append((entry.ects, home))
        sources.append(source)
    outcome = proposal.line_grade(converted, strategy.home)
    explanation: dict[str, Any] = {
        "rule": rule.name,
        "rule_id": rule.pk,
        "scope": rule.scope_parts(),
        "method": rule.method,
        "mapping": mapping,
        "sources": sources,
    }
    if outcome.exact is not None:
        explanation["average"] = {
            "exact": plain(outcome.exact.quantize(Decimal("0.01"))),
            "grade": outcome.average,
        }
    if outcome.passing_give:
        explanation["passing_give"] = outcome.passing_give
    explanation["flag"] = LineFlag(outcome.flag.value)
    credits = proposal.line_credits(outcome.grade, component.ects)
    return _Proposal(component, entries, outcome.grade, credits, explanation["flag"], explanation)


@transaction.atomic
def propose_recognition(*, transcript: Transcript, actor: User | None) -> Transcript:
    """Propose the recognition of table B of the learning agreement in force from the accepted
    transcript (again, replacing the lines and their adjustments, until it is validated): see
    the module's docstring for which entries each component recognises and how its grade and
    credits are computed."""
    transcript = _lock(transcript)
    if transcript.state not in TranscriptState.proposable_states():
        raise RecognitionError(
            _("The student accepts the transcript first; it is “%(state)s”.")
            % {"state": transcript.get_state_display()}
        )
    _require(
        actor,
        "recognition.propose_recognition_now",
        transcript,
        _("Only the International Mobility Unit or the promoter proposes the recognition."),
        system=True,
    )
    mobility = transcript.mobility
    agreement = _in_force(mobility)
    if agreement.pk != transcript.agreement_id:
        raise RecognitionError(
            _(
                "The learning agreement in force is version %(number)s, but the transcript was "
                "entered against another version: the office enters the transcript again."
            )
            % {"number": agreement.number}
        )
    rule = rule_for(mobility, transcript.host_scale)
    if rule is None:
        course = mobility.student.course_of_study
        raise RecognitionError(
            _(
                "No conversion rule converts %(scale)s for this mobility (course of study "
                "%(course)s, partner %(partner)s): the office adds one."
            )
            % {
                "scale": transcript.host_scale,
                "course": course.code if course else "-",
                "partner": mobility.host,
            }
        )
    strategy = _strategy(rule)
    components = list(agreement.components.all())
    a = live(components, Table.A)
    b = live(components, Table.B)
    entries = list(transcript.entries.all())
    reported = {entry.component_id: entry for entry in entries if entry.component_id}
    paired = len(a) == len(b)
    proposals = []
    for index, component in enumerate(b):
        sources = [a[index]] if paired else a
        proposals.append(
            _propose_line(
                component,
                [reported[c.pk] for c in sources if c.pk in reported],
                strategy,
                rule,
                "position" if paired else "all",
            )
        )
    transcript.lines.all().delete()
    lines = RecognitionLine.objects.bulk_create(
        RecognitionLine(
            transcript=transcript,
            component=p.component,
            position=position,
            code=p.component.code,
            title=p.component.title,
            credits=p.credits,
            proposed_grade=p.grade,
            grade=p.grade,
            flag=p.flag,
            explanation=p.explanation,
        )
        for position, p in enumerate(proposals, start=1)
    )
    through = RecognitionLine.entries.through
    through.objects.bulk_create(
        through(recognitionline_id=line.pk, transcriptentry_id=entry.pk)
        for line, p in zip(lines, proposals, strict=True)
        for entry in p.entries
    )
    transcript.state = TranscriptState.PROPOSED
    transcript.proposed_at = timezone.now()
    transcript.rule = rule
    transcript.home_scale = rule.home_scale
    transcript.validated_by = None
    transcript.validated_at = None
    transcript.save(
        update_fields=["state", "proposed_at", "rule", "home_scale", "validated_by", "validated_at"]
    )
    audit.record(
        actor=actor,
        action="recognition.proposed",
        obj=transcript,
        rule=rule.pk,
        rule_name=rule.name,
        lines=len(lines),
        flagged=sum(1 for p in proposals if p.flag),
    )
    return transcript


@transaction.atomic
def adjust_line(
    *, line: RecognitionLine, grade: str, reason: str, actor: User | None
) -> RecognitionLine:
    """The promoter changes a proposed grade, saying why: a passing home grade, or empty not to
    recognise the component (its credits follow: the component's ECTS with a grade, none
    without)."""
    transcript = _lock(line.transcript)
    line = RecognitionLine.objects.select_related("component").get(pk=line.pk)
    _state(transcript, TranscriptState.PROPOSED)
    _require(
        actor,
        "recognition.validate_recognition_now",
        transcript,
        _("Only the promoter who approves this mobility adjusts its recognition."),
    )
    if not reason.strip():
        raise RecognitionError(_("Say why you change the grade."))
    assert transcript.home_scale is not None  # set by the proposal
    home = _scale(transcript.home_scale)
    label = ""
    if grade.strip():
        try:
            parsed = home.parse(grade)
        except ValueError as error:
            raise RecognitionError(str(error)) from None
        if not parsed.passed:
            raise RecognitionError(
                _(
                    "%(grade)s is a fail grade of %(scale)s: a recognised component has a passing "
                    "grade (%(low)s or better); leave the grade empty not to recognise it."
                )
                % {"grade": parsed, "scale": home.name, "low": home.lowest_pass}
            )
        label = parsed.label
    previous = line.grade
    line.grade = label
    line.adjusted_reason = reason.strip()
    line.adjusted_by = actor
    line.adjusted_at = timezone.now()
    if not label:
        line.credits = Decimal(0)
    elif line.component is not None and line.component.ects is not None:
        line.credits = line.component.ects
    line.save(update_fields=["grade", "adjusted_reason", "adjusted_by", "adjusted_at", "credits"])
    audit.record(
        actor=actor,
        action="recognition.adjusted",
        obj=transcript,
        line=line.pk,
        code=line.code,
        previous=previous,
        grade=label,
        proposed=line.proposed_grade,
        reason=line.adjusted_reason,
    )
    _on_behalf(actor, transcript, "recognition.adjusted")
    return line


def _on_behalf(actor: User | None, transcript: Transcript, action: str) -> None:
    """A substitute's decision records on whose behalf it was taken (both names)."""
    if actor is not None:
        promoters = acting_for(actor, transcript.mobility)
        record_on_behalf(actor=actor, promoters=promoters, obj=transcript, action=action)


@transaction.atomic
def validate_recognition(*, transcript: Transcript, actor: User | None) -> Transcript:
    """The promoter validates the proposed recognition: the grades and credits enter the
    student's career (the registrar's export)."""
    transcript = _lock(transcript)
    _state(transcript, TranscriptState.PROPOSED)
    _require(
        actor,
        "recognition.validate_recognition_now",
        transcript,
        _("Only the promoter who approves this mobility validates its recognition."),
    )
    transcript.state = TranscriptState.VALIDATED
    transcript.validated_by = actor
    transcript.validated_at = timezone.now()
    transcript.save(update_fields=["state", "validated_by", "validated_at"])
    # the learning agreement can no longer change (``mobility.change_learning_agreement``)
    Mobility.objects.filter(pk=transcript.mobility_id).update(recognised_at=transcript.validated_at)
    lines = list(transcript.lines.all())
    audit.record(
        actor=actor,
        action="recognition.validated",
        obj=transcript,
        lines=len(lines),
        recognised=sum(1 for line in lines if line.grade),
        credits=total_credits(lines),
    )
    _on_behalf(actor, transcript, "recognition.validated")
    return transcript
