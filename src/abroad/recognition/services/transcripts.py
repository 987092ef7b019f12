"""The transcript of records: entered or imported by the office, accepted or disputed by the
student."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from abroad.core import audit, importing
from abroad.core.importing import ImportReport, RowError
from abroad.mobility.enums import Table
from abroad.mobility.models import Component, LearningAgreement, Mobility
from abroad.mobility.queries import live_components
from abroad.people.models import User
from abroad.recognition import conversion, importers
from abroad.recognition.enums import Outcome, TranscriptState
from abroad.recognition.models import (
    GradingScale,
    Transcript,
    TranscriptEntry,
)
from abroad.recognition.services.base import (
    RecognitionError,
    _in_force,
    _lock,
    _require,
    _scale,
    _state,
)

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


def _editable(mobility: Mobility) -> Transcript | None:
    if not mobility.has_ended:  # the rule ``mobility_ended`` of ``enter_transcript_now``
        raise RecognitionError(
            _(
                "The student is still abroad: enter the transcript once the office has recorded "
                "the departure."
            )
        )
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


def transcript_problems(
    *, mobility: Mobility, host_scale: GradingScale, entries: Sequence[EntryData]
) -> list[str]:
    """Every problem :func:`enter_transcript` would name for these rows, saving nothing: the
    entry page shows them together with the form's own errors, all in one answer."""
    try:
        agreement = _in_force(mobility)
        scale = _scale(host_scale)
    except RecognitionError as error:
        return [str(error)]
    _prepared, problems = _prepare(entries, scale, table_a(agreement))
    return [str(p) for p in problems]


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
