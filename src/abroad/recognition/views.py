"""The recognition pages of one mobility, under /recognition/mobility/<pk>/: the transcript and
its recognition (the student accepts or disputes, the office or the approving promoter proposes,
the promoter adjusts and validates), the office's transcript entry and import, and "how my grades
will be converted" for the student before departure.

Who (``recognition/rules.py``): the transcript is seen by ``recognition.view_transcript`` (the
student, the office, the promoter who approves the mobility); the conversion page by whoever
sees the mobility (``mobility.view_mobility``); the entering page is the office's
(``office_page``). Anybody else gets a 404; an anonymous visitor is sent to log in. What the
visitor may do now, the template asks the rules (``{% has_perm %}``); every write is one call to
:mod:`abroad.recognition.services`, which asks the same rules: its refusal of who asked is a
403 (:class:`~abroad.recognition.services.Refused`), its refusal of the state (somebody acted
already, a bad row) is shown as it is, then a redirect.

What the pages show (a line and its explanation, a grading table, a rule) is prepared by
:mod:`abroad.recognition.presenters`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from abroad.core.academic_year import format_year
from abroad.core.permissions import can, office_page
from abroad.mobility.models import Component, LearningAgreement, Mobility
from abroad.mobility.queries import in_force
from abroad.people.models import User
from abroad.people.substitutes import decisions_on_behalf
from abroad.recognition import services
from abroad.recognition.enums import Outcome, TranscriptState
from abroad.recognition.forms import (
    EXTRA_ROWS,
    AdjustForm,
    DisputeForm,
    EntryFormSet,
    TranscriptForm,
    TranscriptImportForm,
)
from abroad.recognition.models import (
    GradingScale,
    RecognitionLine,
    Transcript,
)
from abroad.recognition.presenters import LineView, RuleView, line_view, rule_view
from abroad.recognition.queries import total_credits
from abroad.recognition.services import EntryData, RecognitionError, Refused

VIEW = "recognition.view_transcript"
VALIDATE_NOW = "recognition.validate_recognition_now"
VIEW_MOBILITY = "mobility.view_mobility"


# ------------------------------------------------------------------------------ who may


def user_of(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _mobilities() -> QuerySet[Mobility]:
    return Mobility.objects.select_related(
        "student__course_of_study__school", "host", "offer__agreement__promoter__user"
    ).prefetch_related("student__course_of_study__coordinators")


def _mobility(request: HttpRequest, pk: int, permission: str = VIEW) -> Mobility:
    """The mobility, if the user may see its transcript (or ``permission``); 404 otherwise."""
    mobility = get_object_or_404(_mobilities(), pk=pk)
    if not can(request.user, permission, mobility):
        raise Http404
    return mobility


def _transcript(mobility: Mobility) -> Transcript | None:
    return (
        Transcript.objects.filter(mobility=mobility)
        .select_related("host_scale", "home_scale", "rule", "entered_by", "validated_by")
        .first()
    )


def _existing(mobility: Mobility) -> Transcript:
    transcript = _transcript(mobility)
    if transcript is None:
        raise Http404
    return transcript


def _back(mobility: Mobility, anchor: str = "") -> HttpResponse:
    url = reverse("recognition:transcript", kwargs={"pk": mobility.pk})
    return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)


def form_errors(form: Any) -> str:
    """A form's errors in one line, each with its field's label."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            parts.append(f"{label}: {error}" if label else str(error))
    return " ".join(parts)


# ------------------------------------------------------------------------- the transcript


def _agreement_components(agreement: LearningAgreement | None) -> list[Component]:
    return services.table_a(agreement) if agreement is not None else []


@login_required
@require_GET
def transcript(request: HttpRequest, pk: int) -> HttpResponse:
    """The mobility's transcript (entries with their outcome) and its recognition (lines with
    their explanation), with what the visitor may do next."""
    mobility = _mobility(request, pk)
    user = request.user
    found = _transcript(mobility)
    # What the visitor may do now is the rules' (who and when): the template asks them of
    # ``subject``, the transcript (or the mobility before there is one).
    subject: Mobility | Transcript = found if found is not None else mobility
    may_adjust = can(user, VALIDATE_NOW, subject)
    entries: list[Any] = []
    lines: list[LineView] = []
    if found is not None:
        entries = list(found.entries.select_related("component"))
        lines = [
            line_view(line, may_adjust)
            for line in found.lines.select_related("component", "adjusted_by")
        ]
    counts = {outcome: sum(1 for e in entries if e.outcome == outcome) for outcome in Outcome}
    recognised = total_credits(lv.line for lv in lines)
    return render(
        request,
        "recognition/transcript.html",
        {
            "mobility": mobility,
            "student": mobility.student,
            "year": format_year(mobility.academic_year),
            "transcript": found,
            "entries": entries,
            "counts": counts,
            "lines": lines,
            "recognised": services.plain(recognised),
            "subject": subject,
            "is_student": mobility.student_id == getattr(user, "pk", None),
            "dispute_form": DisputeForm(),
            "on_behalf": decisions_on_behalf(found) if found is not None else [],
        },
    )


@login_required
@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    mobility = _mobility(request, pk)
    found = _existing(mobility)
    try:
        services.accept_transcript(transcript=found, actor=user_of(request))
    except Refused:
        raise  # 403: who asked may not do this
    except RecognitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("You accepted the transcript: the recognition of your exams will be proposed."),
        )
    return _back(mobility)


@login_required
@require_POST
def dispute(request: HttpRequest, pk: int) -> HttpResponse:
    mobility = _mobility(request, pk)
    found = _existing(mobility)
    form = DisputeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.dispute_transcript(transcript=found, actor=user_of(request), reason=reason)
    except Refused:
        raise  # 403: who asked may not do this
    except RecognitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _(
                "You disputed the transcript; the International Mobility Unit checks it with the "
                "host and enters it again."
            ),
        )
    return _back(mobility)


@login_required
@require_POST
def propose(request: HttpRequest, pk: int) -> HttpResponse:
    mobility = _mobility(request, pk)
    found = _existing(mobility)
    try:
        done = services.propose_recognition(transcript=found, actor=user_of(request))
    except Refused:
        raise  # 403: who asked may not do this
    except RecognitionError as error:
        messages.error(request, str(error))
        return _back(mobility)
    messages.success(
        request,
        _("The recognition was proposed with the rule “%(rule)s”; the promoter validates it.")
        % {"rule": done.rule},
    )
    return _back(mobility, "recognition")


@login_required
@require_POST
def adjust(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(RecognitionLine.objects.select_related("transcript"), pk=pk)
    mobility = _mobility(request, line.transcript.mobility_id)
    form = AdjustForm(request.POST, prefix=f"line-{line.pk}")
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return _back(mobility, f"line-{line.pk}")
    try:
        done = services.adjust_line(
            line=line,
            grade=form.cleaned_data["grade"],
            reason=form.cleaned_data["reason"],
            actor=user_of(request),
        )
    except Refused:
        raise  # 403: who asked may not do this
    except RecognitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(code)s %(title)s: the grade is now %(grade)s.")
            % {
                "code": done.code,
                "title": done.title,
                "grade": done.grade or _("not recognised"),
            },
        )
    return _back(mobility, f"line-{line.pk}")


@login_required
@require_POST
def validate(request: HttpRequest, pk: int) -> HttpResponse:
    mobility = _mobility(request, pk)
    found = _existing(mobility)
    try:
        services.validate_recognition(transcript=found, actor=user_of(request))
    except Refused:
        raise  # 403: who asked may not do this
    except RecognitionError as error:
        messages.error(request, str(error))
        return _back(mobility)
    messages.success(
        request,
        _("The recognition of %(student)s is validated: it goes to the registrar.")
        % {"student": mobility.student},
    )
    return _back(mobility)


# ------------------------------------------------------------------- entering a transcript


def _default_scale(mobility: Mobility, found: Transcript | None) -> GradingScale | None:
    """The transcript's scale, else the host country's (a standard one first)."""
    if found is not None:
        return found.host_scale
    return (
        GradingScale.objects.filter(country=mobility.host.country)
        .order_by("-standard", "name")
        .first()
    )


def _plain(number: Decimal | None) -> str:
    return services.plain(number) if number is not None else ""


def _initial_rows(components: list[Component], found: Transcript | None) -> list[dict[str, Any]]:
    """One row per table A component (with the transcript's grade, when it has one), the
    transcript's rows reporting no component, then empty rows."""
    entries = list(found.entries.all()) if found is not None else []
    by_component = {e.component_id: e for e in entries if e.component_id}
    rows: list[dict[str, Any]] = []
    for component in components:
        entry = by_component.get(component.pk)
        rows.append(
            {
                "component": component.pk,
                "code": entry.code if entry else component.code,
                "title": entry.title if entry else component.title,
                "ects": _plain(entry.ects if entry and entry.ects is not None else component.ects),
                "grade": entry.grade if entry else "",
            }
        )
    for entry in entries:
        if entry.component_id is None:
            rows.append(
                {
                    "code": entry.code,
                    "title": entry.title,
                    "ects": _plain(entry.ects),
                    "grade": entry.grade,
                }
            )
    rows.extend({} for _ in range(EXTRA_ROWS))
    return rows


def _entries(formset: Any, components: list[Component]) -> list[EntryData]:
    """The rows as typed, blank ones left out. A row the form refused keeps its place (so the
    rows keep their numbers), with what could be read of it: a field in error counts as empty."""
    by_pk = {c.pk: c for c in components}
    entries = []
    for form in formset:
        if form.is_blank and not form.errors:
            continue
        data = form.cleaned_data
        component = data.get("component")
        entries.append(
            EntryData(
                code=data.get("code", ""),
                title=data.get("title", ""),
                ects=data.get("ects"),
                grade=data.get("grade", ""),
                component=by_pk.get(component) if component else None,
            )
        )
    return entries


@office_page("recognition.enter_transcript")
@require_http_methods(["GET", "POST"])
def transcript_enter(request: HttpRequest, pk: int) -> HttpResponse:
    """The office enters the transcript (one row per component of table A, prefilled, and
    empty rows for others) or imports it from a CSV/XLSX file; a refused file or form shows every
    bad row and stores nothing."""
    mobility = _mobility(request, pk)
    found = _transcript(mobility)
    agreement = in_force(mobility)
    if agreement is not None:
        agreement = LearningAgreement.objects.prefetch_related("components").get(pk=agreement.pk)
    components = _agreement_components(agreement)
    scale = _default_scale(mobility, found)
    form = TranscriptForm(
        initial={"host_scale": scale, "received_on": found.received_on if found else None}
    )
    formset = EntryFormSet(initial=_initial_rows(components, found), prefix="entries")
    import_form = TranscriptImportForm()
    problems: list[str] = []
    report = None
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "enter":
        form = TranscriptForm(request.POST)
        formset = EntryFormSet(request.POST, prefix="entries")
        if form.is_valid() and formset.is_valid():
            try:
                services.enter_transcript(
                    mobility=mobility,
                    host_scale=form.cleaned_data["host_scale"],
                    entries=_entries(formset, components),
                    actor=user_of(request),
                    received_on=form.cleaned_data["received_on"],
                )
            except Refused:
                raise  # 403: who asked may not do this
            except RecognitionError as error:
                if not error.errors:
                    messages.error(request, str(error))
                    return _back(mobility)
                problems = error.errors
            else:
                messages.success(
                    request, _("The transcript was saved; the student is asked to accept it.")
                )
                return _back(mobility)
        else:
            problems = [form_errors(form)] if form.errors else []
            problems += [
                _("row %(row)d: %(errors)s") % {"row": number, "errors": form_errors(row)}
                for number, row in enumerate(formset, start=1)
                if row.errors
            ]
            problems += [str(error) for error in formset.non_form_errors()]
            # What the rows that could be read break (a grade not of the scale, a component
            # reported twice), in the same answer: every error at once, not one kind per try.
            if form.cleaned_data.get("host_scale") is not None:
                problems += services.transcript_problems(
                    mobility=mobility,
                    host_scale=form.cleaned_data["host_scale"],
                    entries=_entries(formset, components),
                )
    elif action == "import":
        import_form = TranscriptImportForm(request.POST, request.FILES)
        if not import_form.is_valid():
            problems = [form_errors(import_form)]
        else:
            upload = import_form.cleaned_data["file"]
            try:
                report = services.import_transcript(
                    mobility=mobility,
                    file=upload,
                    name=upload.name,
                    actor=user_of(request),
                    host_scale=import_form.cleaned_data["host_scale"],
                    received_on=import_form.cleaned_data["received_on"],
                )
            except Refused:
                raise  # 403: who asked may not do this
            except RecognitionError as error:
                problems = [str(error)]
            else:
                if report.imported:
                    outcomes = report.outcomes
                    messages.success(
                        request,
                        _(
                            "The transcript was imported from %(file)s: %(passed)d passed, "
                            "%(failed)d failed, %(missing)d missing."
                        )
                        % {
                            "file": upload.name,
                            "passed": outcomes.get(Outcome.PASSED, 0),
                            "failed": outcomes.get(Outcome.FAILED, 0),
                            "missing": outcomes.get(Outcome.MISSING, 0),
                        },
                    )
                    return _back(mobility)
    elif request.method == "POST":
        messages.error(request, _("Choose “Save the transcript” or “Import the file”."))
        return HttpResponseRedirect(request.path)
    return render(
        request,
        "recognition/transcript_enter.html",
        {
            "mobility": mobility,
            "student": mobility.student,
            "transcript": found,
            "agreement": agreement,
            "locked": found is not None and found.state not in TranscriptState.editable_states(),
            # The student is still abroad (rule ``mobility_ended``): say so, offer no form.
            "abroad": not mobility.has_ended,
            "form": form,
            "formset": formset,
            "component_count": len(components),
            "import_form": import_form,
            "problems": problems,
            "report": report,
        },
    )


# ------------------------------------------------------------------- how grades convert


@dataclass
class ScaleConversion:
    scale: GradingScale
    rule: RuleView | None
    error: str = ""


def _host_scales(mobility: Mobility, found: Transcript | None) -> list[GradingScale]:
    if found is not None:
        return [found.host_scale]
    return list(
        GradingScale.objects.filter(country=mobility.host.country).order_by("-standard", "name")
    )


@login_required
@require_GET
def conversion_page(request: HttpRequest, pk: int) -> HttpResponse:
    """How the host's grades will convert for this mobility: for the host's scale (the
    transcript's, else each of the host country's) the rule that applies, its method in words,
    its table or formula, and worked examples."""
    mobility = _mobility(request, pk, VIEW_MOBILITY)
    found = _transcript(mobility)
    sections: list[ScaleConversion] = []
    for scale in _host_scales(mobility, found):
        try:
            rule = services.rule_for(mobility, scale)
        except RecognitionError as error:
            sections.append(ScaleConversion(scale, None, str(error)))
            continue
        sections.append(
            ScaleConversion(scale, rule_view(rule, examples=True) if rule is not None else None)
        )
    # Of several scales of the host country, those a rule converts (all, when none has one).
    ruled = [s for s in sections if s.rule is not None or s.error]
    return render(
        request,
        "recognition/conversion.html",
        {
            "mobility": mobility,
            "student": mobility.student,
            "sections": ruled or sections,
            "is_student": mobility.student_id == getattr(request.user, "pk", None),
            "may_see_transcript": can(request.user, VIEW, mobility),
        },
    )
