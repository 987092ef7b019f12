"""Every write of the recognition app: one function per transition, keyword-only arguments, in a
transaction, with an audit event. A refused step raises :class:`RecognitionError` with a
message for the person who tried (and, for rows, every bad row in ``errors``).

The flow: the office enters the host's transcript (:func:`enter_transcript`, or
:func:`import_transcript` from a spreadsheet); the student accepts it
(:func:`accept_transcript`) or disputes it with a reason (:func:`dispute_transcript`: the
office enters it again); the recognition of table B is proposed (:func:`propose_recognition`);
the promoter adjusts a grade with a reason (:func:`adjust_line`) and validates
(:func:`validate_recognition`).

Which host entries a table B component recognises
-------------------------------------------------
When tables A and B of the learning agreement in force have the same number of rows, the B
component in each position recognises the A component in the same position (one to one, as
the Erasmus+ template lays them out). Otherwise every B component recognises all of table A
together (the learning agreement says which package is recognised by which, not course by
course), and its grade is the credit-weighted average of table A's converted grades.

Grades and credits of a line
----------------------------
Each host grade converts with the conversion rule of the mobility (:func:`rule_for`). When
all the entries a line recognises passed, its grade is the credit-weighted average of their
converted grades, rounded to the nearest passing home grade (a tie to the better grade; the
honours grade only when every converted grade is honours; one entry keeps its converted
grade), and its credits are the B component's ECTS. When any of them failed or is missing,
the line gets no grade and no credits and is flagged for the promoter (``failed`` when none
passed, ``partial`` otherwise, with what the passing ones would give); the promoter may then
grant a grade with a reason. A line's credits follow its grade: the B component's ECTS with a
grade, none without.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from abroad.catalogue.models import CourseOfStudy, Institution, School
from abroad.core import audit, importing
from abroad.core.importing import ImportReport, RowError
from abroad.core.permissions import require_actor
from abroad.mobility.enums import Table
from abroad.mobility.models import Component, LearningAgreement, Mobility
from abroad.mobility.queries import in_force, live, live_components
from abroad.people.models import User
from abroad.recognition import conversion, importers, proposal
from abroad.recognition.enums import Cycle, LineFlag, Outcome, TranscriptState
from abroad.recognition.models import (
    ConversionRule,
    GradingScale,
    GradingTable,
    RecognitionLine,
    Transcript,
    TranscriptEntry,
)
from abroad.recognition.queries import total_credits
from abroad.recognition.scales import STANDARD_SCALES


class RecognitionError(Exception):
    """A step refused, with the reason in words; ``errors`` lists every bad row."""

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


# --------------------------------------------------------------------------------- scales

# The country of each standard scale (the UK's in ISO 3166: GB).
STANDARD_COUNTRIES = {
    "it": "IT",
    "fr": "FR",
    "de": "DE",
    "es": "ES",
    "nl": "NL",
    "uk": "GB",
    "uk-pg": "GB",
    "us": "US",
    "ects": "",
    "at": "AT",
}


@transaction.atomic
def ensure_standard_scales() -> dict[str, GradingScale]:
    """The standard scales (``scales.STANDARD_SCALES``) in the database, by key; the missing
    ones are created (code = key), the others left as they are."""
    held = {scale.standard: scale for scale in GradingScale.objects.exclude(standard="")}
    codes = set(GradingScale.objects.values_list("code", flat=True))
    for key, scale in STANDARD_SCALES.items():
        if key in held:
            continue
        code = key if key not in codes else f"{key}-standard"
        held[key] = GradingScale.objects.create(
            code=code, name=scale.name, country=STANDARD_COUNTRIES.get(key, ""), standard=key
        )
        codes.add(code)
    return held


# ---------------------------------------------------------------------------------- rules


def _rule_candidates(
    mobility: Mobility, host_scale: GradingScale
) -> tuple[School | None, list[ConversionRule]]:
    course = mobility.student.course_of_study
    school = course.school if course is not None else None
    schools = [pk for pk in (school.pk, school.parent_id) if pk] if school is not None else []
    rules = list(
        ConversionRule.objects.filter(host_scale=host_scale)
        .filter(Q(school__isnull=True) | Q(school__in=schools))
        .filter(Q(course_of_study__isnull=True) | Q(course_of_study=course))
        .filter(Q(partner__isnull=True) | Q(partner=mobility.host_id))
        .select_related(
            "school",
            "course_of_study",
            "partner",
            "host_scale",
            "home_scale",
            "host_table__scale",
            "host_table__institution",
            "home_table__scale",
            "home_table__institution",
        )
        .order_by("pk")
    )
    return school, rules


def rule_for(mobility: Mobility, host_scale: GradingScale) -> ConversionRule | None:
    """The conversion rule of ``mobility`` for grades of ``host_scale``: the most specific
    (``conversion.resolve``: partner > course of study > School > default) among the rules of
    that host scale. The School is the student's course's, or the School it is a section of
    (a rule of the section beats the same rule of the whole School). RecognitionError when two
    rules tie."""
    school, rules = _rule_candidates(mobility, host_scale)
    if not rules:
        return None
    course_id = mobility.student.course_of_study_id
    section = school.pk if school is not None else None
    # The resolver compares strategies only to tell rules apart: each database rule stands in
    # for its strategy until one is picked (a broken rule that loses never stops the others).
    pairs = [
        (
            conversion.Rule(
                strategy=cast(conversion.Strategy, rule),
                school=section if rule.school_id is not None else None,
                course_of_study=rule.course_of_study_id,
                partner=rule.partner_id,
                name=f"{rule.name} ({rule.scope()})",
            ),
            rule,
        )
        for rule in rules
    ]
    top = max(candidate.precedence for candidate, _rule in pairs)
    winners = [(candidate, rule) for candidate, rule in pairs if candidate.precedence == top]
    own = [(c, r) for c, r in winners if r.school_id is None or r.school_id == section]
    chosen = own or winners
    try:
        picked = conversion.resolve(
            [candidate for candidate, _rule in chosen],
            school=section,
            course_of_study=course_id,
            partner=mobility.host_id,
        )
    except ValueError as error:
        raise RecognitionError(str(error)) from None
    return next(rule for candidate, rule in chosen if candidate is picked)


def _strategy(rule: ConversionRule) -> conversion.Strategy:
    try:
        return rule.strategy()
    except ValueError as error:
        raise RecognitionError(
            _(
                "The conversion rule “%(rule)s” cannot convert grades: %(error)s. The office "
                "fixes it."
            )
            % {"rule": rule, "error": error}
        ) from None


# ------------------------------------------------------------------------------ permissions


class Refused(RecognitionError, PermissionDenied):
    """A step refused to who asked (not for the state it found): a RecognitionError for the
    callers that show its message, a PermissionDenied (403) for the views."""


def _require(
    actor: User | None, permission: str, obj: Any, message: str, *, system: bool = False
) -> None:
    """Refuse unless ``actor`` holds ``permission`` on ``obj``: the rules the templates ask
    (``recognition/rules.py``, never ``user.has_perm``: a superuser is nobody's student). None
    is the system (the CLI, the demo), allowed where ``system``; a student's or a promoter's
    step needs the person. Each step checks the state first, so that a step somebody already
    took says so instead of refusing."""
    if actor is None and not system:
        raise Refused(message)
    try:
        require_actor(actor, permission, obj, message)
    except PermissionDenied:
        raise Refused(message) from None


# ------------------------------------------------------------------------------- transcripts


@dataclass(frozen=True)
class EntryData:
    """A transcript row as the office gives it: the host's code, title, ECTS credits and grade
    (as the transcript writes it; empty when the transcript does not report the component).
    ``component`` is the table A component it reports, found by code when not given;
    ``line`` is the file's line, for imports."""

    code: str
    title: str = ""
    ects: Decimal | None = None
    grade: str = ""
    component: Component | None = None
    line: int | None = None


@dataclass(frozen=True)
class _Problem:
    row: int  # 1-based position in the entries
    line: int | None
    code: str
    column: str
    message: str

    def __str__(self) -> str:
        where = _("row %(row)d") % {"row": self.row}
        if self.code:
            where += f" ({self.code})"
        return f"{where}, {self.column}: {self.message}"


def _key(code: str) -> str:
    """Codes compare ignoring case and spaces."""
    return "".join(code.split()).casefold()


def table_a(agreement: LearningAgreement) -> list[Component]:
    return _table(agreement, Table.A)


def _table(agreement: LearningAgreement, table: str) -> list[Component]:
    """The table's components as the agreement stands (deleted rows of a change left out)."""
    return live_components(agreement, table)


def _prepare(
    entries: Sequence[EntryData], scale: conversion.Scale, components: Sequence[Component]
) -> tuple[list[TranscriptEntry], list[_Problem]]:
    """Unsaved entries (the given ones, then a missing one for each table A component no
    entry reports) and every problem of the given ones."""
    by_pk = {c.pk: c for c in components}
    by_code = {_key(c.code): c for c in components if _key(c.code)}
    problems: list[_Problem] = []
    result: list[TranscriptEntry] = []
    linked: dict[int, int] = {}  # component pk -> the row reporting it
    for row, entry in enumerate(entries, start=1):
        code, title = entry.code.strip(), entry.title.strip()

        def problem(
            column: str,
            message: str,
            row: int = row,
            line: int | None = entry.line,
            code: str = code,
        ) -> None:
            problems.append(_Problem(row, line, code, column, message))

        if not code and not title:
            problem("code", _("give the host's code or title of the component"))
        if len(code) > importers.MAX_CODE:
            problem("code", _("the code is longer than %(max)d characters") % {"max": 40})
        if len(title) > importers.MAX_TITLE:
            problem("title", _("the title is longer than %(max)d characters") % {"max": 250})
        component = entry.component
        if component is not None and component.pk not in by_pk:
            problem(
                "code",
                _("%(component)s is not in table A of the learning agreement in force")
                % {"component": component},
            )
            component = None
        elif component is None and code:
            component = by_code.get(_key(code))
        if component is not None:
            first = linked.setdefault(component.pk, row)
            if first != row:
                earlier = entries[first - 1].line
                where = (
                    _("line %(line)d") % {"line": earlier}
                    if earlier is not None
                    else _("row %(row)d") % {"row": first}
                )
                problem(
                    "code",
                    _("%(where)s already reports %(component)s: keep one row per component")
                    % {"where": where, "component": component.code or component.title},
                )
        credits = entry.ects
        if credits is not None and not Decimal("0.5") <= credits <= importers.MAX_ECTS:
            problem("ects", _("%(value)s is not between 0.5 and 60 credits") % {"value": credits})
        if credits is None and component is not None:
            credits = component.ects
        text = entry.grade.strip()
        outcome, label = Outcome.MISSING, ""
        if text:
            try:
                grade = scale.parse(text)
            except ValueError as error:
                problem("grade", str(error))
            else:
                label = grade.label
                outcome = Outcome.PASSED if grade.passed else Outcome.FAILED
        result.append(
            TranscriptEntry(
                component=component,
                position=row,
                code=code or (component.code if component else ""),
                title=title or (component.title if component else ""),
                ects=credits,
                grade=label,
                outcome=outcome,
            )
        )
    for component in components:
        if component.pk not in linked:
            result.append(
                TranscriptEntry(
                    component=component,
                    position=len(result) + 1,
                    code=component.code,
                    title=component.title,
                    ects=component.ects,
                    grade="",
                    outcome=Outcome.MISSING,
                )
            )
    return result, problems


def _lock_mobility(mobility: Mobility) -> Mobility:
    return (
        Mobility.objects.select_for_update(of=("self",))
        .select_related("student__course_of_study", "offer__agreement", "host")
        .get(pk=mobility.pk)
    )


def _in_force(mobility: Mobility) -> LearningAgreement:
    agreement = in_force(mobility)
    if agreement is None:
        raise RecognitionError(
            _(
                "This mobility has no learning agreement signed by all three: the transcript is "
                "checked against it."
            )
        )
    return agreement


def _editable(mobility: Mobility) -> Transcript | None:
    transcript = Transcript.objects.filter(mobility=mobility).first()
    if transcript is not None and transcript.state not in TranscriptState.editable_states():
        raise RecognitionError(
            _("The recognition of this transcript was validated; it can no longer change.")
        )
    return transcript


def _save_transcript(
    *,
    mobility: Mobility,
    transcript: Transcript | None,
    agreement: LearningAgreement,
    host_scale: GradingScale,
    entries: list[TranscriptEntry],
    actor: User | None,
    received_on: dt.date | None,
) -> Transcript:
    now = timezone.now()
    if transcript is None:
        transcript = Transcript(mobility=mobility)
    else:
        transcript.lines.all().delete()
        transcript.entries.all().delete()
    transcript.agreement = agreement
    transcript.host_scale = host_scale
    transcript.state = TranscriptState.ENTERED
    transcript.received_on = received_on or transcript.received_on
    transcript.entered_by = actor if getattr(actor, "is_authenticated", False) else None
    transcript.entered_at = now
    transcript.accepted_at = None
    transcript.disputed_at = None
    transcript.dispute_reason = ""
    transcript.rule = None
    transcript.home_scale = None
    transcript.proposed_at = None
    transcript.save()
    for entry in entries:
        entry.transcript = transcript
    TranscriptEntry.objects.bulk_create(entries)
    return transcript


def _outcomes(entries: Iterable[TranscriptEntry]) -> dict[str, int]:
    counts = Counter(entry.outcome for entry in entries)
    return {outcome: counts.get(outcome, 0) for outcome in Outcome.values}


@transaction.atomic
def enter_transcript(
    *,
    mobility: Mobility,
    host_scale: GradingScale,
    entries: Sequence[EntryData],
    actor: User | None,
    received_on: dt.date | None = None,
) -> Transcript:
    """The office enters the host's transcript (again, replacing the entries, until the
    recognition is validated; the student then accepts it anew). Each grade is parsed by the
    host scale; each entry is linked to its table A component (by code when not given); every
    table A component no entry reports becomes a "missing" entry. Any bad row: nothing is
    saved, and the error names every one."""
    _require(
        actor,
        "recognition.enter_transcript",
        mobility,
        _("Only the International Mobility Unit enters transcripts."),
        system=True,
    )
    mobility = _lock_mobility(mobility)
    transcript = _editable(mobility)
    agreement = _in_force(mobility)
    scale = _scale(host_scale)
    prepared, problems = _prepare(entries, scale, table_a(agreement))
    if problems:
        raise RecognitionError(
            _("The transcript was not saved: %(problems)s.")
            % {"problems": "; ".join(map(str, problems))},
            [str(p) for p in problems],
        )
    transcript = _save_transcript(
        mobility=mobility,
        transcript=transcript,
        agreement=agreement,
        host_scale=host_scale,
        entries=prepared,
        actor=actor,
        received_on=received_on,
    )
    audit.record(
        actor=actor,
        action="transcript.entered",
        obj=transcript,
        mobility=mobility.pk,
        agreement=agreement.number,
        host_scale=host_scale.code,
        **_outcomes(prepared),
    )
    return transcript


def _scale(scale: GradingScale) -> conversion.Scale:
    try:
        return scale.scale()
    except ValueError as error:
        raise RecognitionError(str(error)) from None


@dataclass
class TranscriptImportReport(ImportReport):
    transcript: Transcript | None = None
    outcomes: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {"rows": self.rows, **self.outcomes}

    def imported_summary(self) -> str:
        shown = ", ".join(f"{n} {outcome}" for outcome, n in self.outcomes.items())
        return f"{super().imported_summary()}: {shown}"


def host_scale_of(mobility: Mobility, given: GradingScale | None) -> GradingScale:
    if given is not None:
        return given
    transcript = Transcript.objects.filter(mobility=mobility).select_related("host_scale").first()
    if transcript is not None:
        return transcript.host_scale
    country = mobility.host.country
    candidates = list(GradingScale.objects.filter(country=country))
    if len(candidates) == 1:
        return candidates[0]
    raise RecognitionError(
        _("Choose the grading scale of the transcript: %(count)s scales are of %(country)s.")
        % {"count": len(candidates), "country": country.name}
    )


def import_transcript(
    *,
    mobility: Mobility,
    file: importing.Source,
    actor: User | None,
    host_scale: GradingScale | None = None,
    name: str | None = None,
    received_on: dt.date | None = None,
    dry_run: bool = False,
) -> TranscriptImportReport:
    """The transcript from a CSV or XLSX file (columns code, title, ects, grade), as
    :func:`enter_transcript` stores it: all the rows, or none when any row is bad (the
    report's ``errors`` name each: line, column, reason). The host scale is the given one, else
    the transcript's, else the only scale of the host's country."""
    _require(
        actor,
        "recognition.enter_transcript",
        mobility,
        _("Only the International Mobility Unit enters transcripts."),
        system=True,
    )
    report = TranscriptImportReport(file=importing.source_name(file, name), dry_run=dry_run)
    host_scale = host_scale_of(mobility, host_scale)
    scale = _scale(host_scale)
    rows = importers.read_transcript(file, report)
    if report.errors:
        return report
    entries = [EntryData(r.code, r.title, r.ects, r.grade, line=r.line) for r in rows]
    with transaction.atomic():
        mobility = _lock_mobility(mobility)
        transcript = _editable(mobility)
        agreement = _in_force(mobility)
        prepared, problems = _prepare(entries, scale, table_a(agreement))
        report.errors.extend(RowError(p.line, p.column, p.message) for p in problems)
        if report.errors:
            return report
        report.outcomes = _outcomes(prepared)
        transcript = _save_transcript(
            mobility=mobility,
            transcript=transcript,
            agreement=agreement,
            host_scale=host_scale,
            entries=prepared,
            actor=actor,
            received_on=received_on,
        )
        if dry_run:
            transaction.set_rollback(True)
            return report
        report.transcript = transcript
        audit.record(
            actor=actor,
            action="transcript.imported",
            obj=transcript,
            file=Path(report.file).name,
            mobility=mobility.pk,
            agreement=agreement.number,
            host_scale=host_scale.code,
            **report.counts(),
        )
    return report


def _lock(transcript: Transcript) -> Transcript:
    return (
        Transcript.objects.select_for_update(of=("self",))
        .select_related(
            "mobility__student__course_of_study",
            "mobility__offer__agreement",
            "mobility__host",
            "host_scale",
            "home_scale",
        )
        .get(pk=transcript.pk)
    )


def _state(transcript: Transcript, *states: str) -> None:
    if transcript.state not in states:
        raise RecognitionError(
            _("The transcript is “%(state)s”; somebody may have acted on it already.")
            % {"state": transcript.get_state_display()}
        )


@transaction.atomic
def accept_transcript(*, transcript: Transcript, actor: User | None) -> Transcript:
    """The student accepts the transcript as entered: its recognition can be proposed."""
    transcript = _lock(transcript)
    _state(transcript, TranscriptState.ENTERED)
    _require(
        actor,
        "recognition.accept_transcript_now",
        transcript,
        _("Only the student of this mobility accepts the transcript."),
    )
    transcript.state = TranscriptState.ACCEPTED
    transcript.accepted_at = timezone.now()
    transcript.save(update_fields=["state", "accepted_at"])
    audit.record(actor=actor, action="transcript.accepted", obj=transcript)
    return transcript


@transaction.atomic
def dispute_transcript(*, transcript: Transcript, actor: User | None, reason: str) -> Transcript:
    """The student rejects the transcript as entered, saying why: the office checks it with
    the host and enters it again."""
    transcript = _lock(transcript)
    _state(transcript, TranscriptState.ENTERED)
    _require(
        actor,
        "recognition.accept_transcript_now",
        transcript,
        _("Only the student of this mobility accepts or disputes the transcript."),
    )
    if not reason.strip():
        raise RecognitionError(_("Say what is wrong with the transcript."))
    transcript.state = TranscriptState.DISPUTED
    transcript.disputed_at = timezone.now()
    transcript.dispute_reason = reason.strip()
    transcript.save(update_fields=["state", "disputed_at", "dispute_reason"])
    audit.record(actor=actor, action="transcript.disputed", obj=transcript, reason=reason.strip())
    return transcript


# ------------------------------------------------------------------------------- recognition


def plain(number: Decimal) -> str:
    """A number as people write it: 6, 7.5, 24.33."""
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


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
    return line


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
    lines = list(transcript.lines.all())
    audit.record(
        actor=actor,
        action="recognition.validated",
        obj=transcript,
        lines=len(lines),
        recognised=sum(1 for line in lines if line.grade),
        credits=total_credits(lines),
    )
    return transcript


# ---------------------------------------------------------------------------- grading tables


@dataclass
class GradingTableReport(ImportReport):
    table: GradingTable | None = None
    grades: int = 0  # passing grades counted in the table
    failing: int = 0  # fail grades left out
    other_fields: int = 0  # grades of other ISCED-F fields left out

    def imported_summary(self) -> str:
        return (
            f"{super().imported_summary()}: {self.grades} passing grades counted, "
            f"{self.failing} fail grades and {self.other_fields} grades of other fields left out"
        )


PERCENT_PLACES = Decimal("0.01")


def build_home_grading_table(
    *,
    institution: Institution,
    scale: GradingScale,
    isced_code: str,
    cycle: str,
    file: importing.Source,
    actor: User | None,
    name: str | None = None,
    dry_run: bool = False,
) -> GradingTableReport:
    """The grading table of ``isced_code`` and ``cycle`` (the reference group) from a CSV or
    XLSX file of past grades (columns course_of_study or isced, academic_year, grade, and
    optionally count): the distribution of the passing grades of the courses in that field
    (their ISCED-F code starts with ``isced_code``), over at least two academic years. The
    table of the same group and years is replaced. Any bad row: nothing is stored, and the
    report names each."""
    _require(
        actor,
        "recognition.add_gradingtable",
        None,
        _("Only the International Mobility Unit builds grading tables."),
        system=True,
    )
    report = GradingTableReport(file=importing.source_name(file, name), dry_run=dry_run)
    isced_code = isced_code.strip()
    if not isced_code.isdigit() or not 2 <= len(isced_code) <= 4:
        raise RecognitionError(
            _("%(value)s is not an ISCED-F code: give 2 to 4 digits, like 0715")
            % {"value": isced_code}
        )
    if cycle not in Cycle.values:
        raise RecognitionError(
            _("%(value)s is not a cycle: choose one of %(cycles)s")
            % {"value": cycle, "cycles": ", ".join(Cycle.values)}
        )
    home = _scale(scale)
    courses = {
        code.upper(): isced
        for code, isced in CourseOfStudy.objects.values_list("code", "isced_code")
    }
    grades = importers.read_past_grades(file, report, scale=home, courses=courses)
    if report.errors:
        return report
    counts: Counter[str] = Counter()
    years: set[int] = set()
    for grade in grades:
        if not grade.isced.startswith(isced_code):
            report.other_fields += grade.count
        elif not grade.grade.passed:
            report.failing += grade.count
        else:
            counts[grade.grade.label] += grade.count
            years.add(grade.year)
    if len(years) < 2:
        report.errors.append(
            RowError(
                None,
                importers.ACADEMIC_YEAR,
                _(
                    "the passing grades of ISCED-F %(isced)s cover %(years)s: a grading table "
                    "needs at least two academic years"
                )
                % {
                    "isced": isced_code,
                    "years": importers.years_text(sorted(years)) or _("no year"),
                },
            )
        )
        return report
    first, last = min(years), max(years)
    ordered = {g.label: counts[g.label] for g in home.passing_grades() if counts[g.label]}
    total = sum(ordered.values())
    percentages = {
        label: str((Decimal(100) * n / total).quantize(PERCENT_PLACES))
        for label, n in ordered.items()
    }
    report.grades = total
    with transaction.atomic():
        table, _created = GradingTable.objects.update_or_create(
            institution=institution,
            scale=scale,
            isced_code=isced_code,
            cycle=cycle,
            first_year=first,
            last_year=last,
            defaults={
                "percentages": percentages,
                "counts": ordered,
                "source": f"{Path(report.file).name}: {total} passing grades, "
                f"{importers.years_text(sorted(years))}",
            },
        )
        try:
            table.table()
        except ValueError as error:
            report.errors.append(RowError(None, None, str(error)))
            transaction.set_rollback(True)
            return report
        if dry_run:
            transaction.set_rollback(True)
            return report
        report.table = table
        audit.record(
            actor=actor,
            action="gradingtable.built",
            obj=table,
            file=Path(report.file).name,
            **report.counts(),
        )
    return report
