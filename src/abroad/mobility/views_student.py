"""The student's side of a mobility: the timeline page (what is done, what is due and by
when), the documents, the learning agreement (read-only versions, the draft editor with checks
as you type, the signature) and the extension request.

Whoever may see a mobility (its student, the office, its promoters) opens these pages; anybody
else gets a 404. Only the student and the office write (an extension is the student's own
request); a promoter who tries gets a 403. Every write goes through
:mod:`abroad.mobility.services`, whose refusals (:class:`~abroad.mobility.services.MobilityError`)
are shown as they are."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from abroad.catalogue.models import Promoter
from abroad.core.academic_year import format_year
from abroad.core.permissions import can, require, visible_or_404
from abroad.mobility import checks, queries, services
from abroad.mobility.enums import (
    ComponentStatus,
    DocumentKind,
    ExtensionState,
    LearningAgreementState,
    MobilityKind,
    MobilityState,
    Stage,
    Table,
)
from abroad.mobility.forms import (
    AgreementForm,
    BaseComponentFormSet,
    DocumentForm,
    ExtensionForm,
    PlannedDatesForm,
    ThesisForm,
    component_formsets,
)
from abroad.mobility.models import (
    Component,
    Document,
    ExtensionRequest,
    LearningAgreement,
    Mobility,
)
from abroad.mobility.services import MobilityError
from abroad.mobility.timeline import extra_steps, nominated, nomination_text
from abroad.people.models import User

VIEW = "mobility.view_mobility"
EDIT = "mobility.edit_mobility"
EXTEND = "mobility.request_extension"
DATES = "mobility.change_planned_dates"


# --------------------------------------------------------------------------- helpers


def _mobilities() -> QuerySet[Mobility]:
    # The coordinators with their users in one query (``coordinators__user`` took two).
    return Mobility.objects.select_related(
        "student__course_of_study", "host", "offer__agreement__promoter__user"
    ).prefetch_related(
        Prefetch(
            "student__course_of_study__coordinators",
            queryset=Promoter.objects.select_related("user"),
        )
    )


def _user(request: HttpRequest) -> User:
    """The logged-in user (every page here is behind ``login_required``)."""
    user = request.user
    assert isinstance(user, User)
    return user


def _mobility(request: HttpRequest, pk: int) -> Mobility:
    """The mobility, if the user may see it; 404 otherwise."""
    return visible_or_404(request.user, VIEW, get_object_or_404(_mobilities(), pk=pk))


def _may_edit(request: HttpRequest, mobility: Mobility) -> None:
    """403 for somebody who sees the mobility but may not change it."""
    require(
        request.user,
        EDIT,
        mobility,
        _("Only the student (or the office) may change this mobility."),
    )


def _url(name: str, mobility: Mobility, anchor: str = "", **kwargs: Any) -> str:
    url = reverse(f"mobility:{name}", kwargs={"pk": mobility.pk, **kwargs})
    return f"{url}#{anchor}" if anchor else url


def _redirect(name: str, mobility: Mobility, anchor: str = "", **kwargs: Any) -> HttpResponse:
    return HttpResponseRedirect(_url(name, mobility, anchor, **kwargs))


def _day(value: dt.date | None) -> str:
    return date_format(value, "j F Y") if value else ""


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}" if value else "0"


def _form_errors(form: Any) -> str:
    """A form's errors in one line, each with its field's label."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            parts.append(f"{label}: {error}" if label else str(error))
    return " ".join(parts)


# ----------------------------------------------------------------------- what is shown


@dataclass
class Step:
    """One step of the timeline. ``status`` is done, current (the next thing to do), todo,
    open (optional, possible now), closed (optional, no longer possible) or skipped."""

    key: str
    title: str
    status: str
    text: str
    url: str = ""  # a link the step offers, with its text
    link: str = ""

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self.status])


@dataclass
class Person:
    name: str
    email: str
    role: str


@dataclass
class TableView:
    """One table of a version, read-only: its rows and the ECTS they count."""

    table: str
    label: str
    components: list[Component]
    total: str
    expected: int | None = None


@dataclass
class Total:
    """A running total while the student types."""

    table: str
    label: str
    total: str
    expected: str = ""
    matches: bool = True


STATUS_LABELS = {
    "done": gettext_lazy("done"),
    "current": gettext_lazy("next"),
    "todo": gettext_lazy("to do"),
    "open": gettext_lazy("open now"),
    "closed": gettext_lazy("closed"),
    "skipped": gettext_lazy("not applicable"),
}


def version_tables(agreement: LearningAgreement, expected: int | None = None) -> list[TableView]:
    """The tables of a version (A, B, then C if it has rows), for the read-only partial
    ``mobility/partials/version.html``. Prefetch ``components`` to read them in one query."""
    components = list(agreement.components.all())
    tables = []
    for table in Table:
        rows = [c for c in components if c.table == table.value]
        if table == Table.C and not rows:
            continue
        tables.append(
            TableView(
                table=table.value,
                label=str(table.label),
                components=rows,
                total=_number(checks.credits(rows)),
                expected=expected if table == Table.A else None,
            )
        )
    return tables


def running_totals(rows: Sequence[checks.Row], context: checks.Context) -> list[Total]:
    by_table = {table: [row for row in rows if row.table == table] for table in Table.values}
    total_a = checks.credits(by_table[Table.A])
    total_b = checks.credits(by_table[Table.B])
    expected = Decimal(context.expected_credits)
    return [
        Total(
            table=Table.A,
            label=str(Table.A.label),
            total=_number(total_a),
            expected=_("%(expected)s expected") % {"expected": context.expected_credits},
            matches=total_a == expected,
        ),
        Total(
            table=Table.B,
            label=str(Table.B.label),
            total=_number(total_b),
            expected=_("%(total)s in table A") % {"total": _number(total_a)},
            matches=total_b == total_a,
        ),
        Total(
            table=Table.C,
            label=str(Table.C.label),
            total=_number(checks.credits(by_table[Table.C])),
        ),
    ]


def people_of(mobility: Mobility) -> list[Person]:
    """Who follows the mobility: the approvers of its learning agreement and who decides its
    extensions (:mod:`abroad.mobility.queries`)."""
    approving = queries.approvers(mobility)
    deciding = queries.deciders(mobility)
    roles = {
        (True, True): _("approves the learning agreement and decides extensions"),
        (True, False): _("approves the learning agreement"),
        (False, True): _("decides extensions"),
    }
    following = approving + [p for p in deciding if p not in approving]
    return [
        Person(str(p), p.email or p.user.email, roles[(p in approving, p in deciding)])
        for p in following
    ]


def _agreement_text(last: LearningAgreement | None, signed: LearningAgreement | None) -> str:
    if signed is not None and (last is None or last.pk == signed.pk):
        return _("Version %(number)s is signed by you, your promoter and the host.") % {
            "number": signed.number
        }
    if last is None:
        return _("Prepare your learning agreement: the courses you will take and how they count.")
    texts = {
        LearningAgreementState.DRAFT: _("Version %(number)s is a draft: complete it and sign it."),
        LearningAgreementState.SUBMITTED: _(
            "Version %(number)s waits for your promoter's approval."
        ),
        LearningAgreementState.APPROVED: _(
            "Version %(number)s is approved; it waits for the host."
        ),
        LearningAgreementState.RETURNED: _(
            "Version %(number)s was returned with comments: fix it in a new version."
        ),
        LearningAgreementState.WITHDRAWN: _("Version %(number)s was withdrawn: prepare a new one."),
    }
    text = texts.get(LearningAgreementState(last.state), "") % {"number": last.number}
    if signed is not None:
        text = (
            _("Version %(number)s is in force.") % {"number": signed.number}
            + " "
            + _("A change: %(what)s") % {"what": text}
        )
    return text


def timeline(
    mobility: Mobility,
    *,
    documents: Sequence[Document],
    agreements: Sequence[LearningAgreement],
    extensions: Sequence[ExtensionRequest],
    today: dt.date,
) -> list[Step]:
    """What is done, what is due and by when, in the order a mobility goes."""
    flow = services.FLOW
    reached = flow.index(mobility.state) if mobility.state in flow else -1
    letters = [
        d for d in documents if d.kind == DocumentKind.ACCEPTANCE_LETTER and d.replaced_at is None
    ]
    last = max(agreements, key=lambda a: a.number, default=None)
    signed = max(
        (a for a in agreements if a.state == LearningAgreementState.SIGNED),
        key=lambda a: a.number,
        default=None,
    )
    host = mobility.host.display_name
    steps: list[Step] = []

    def add(key: str, title: str, done: bool, text: str) -> None:
        steps.append(Step(key, title, "done" if done else "todo", text))

    add("nominated", _("Nominated"), nominated(mobility), nomination_text(mobility))
    add(
        "applied",
        _("Applied to the host"),
        reached >= 1,
        _("Apply to %(host)s following its instructions; the office records it.") % {"host": host},
    )
    if letters:
        letter_text = _("The acceptance letter was uploaded on %(day)s.") % {
            "day": _day(timezone.localdate(letters[0].uploaded_at))
        }
    elif reached >= 2:
        letter_text = _("The host accepted you; upload its acceptance letter below.")
    else:
        letter_text = _("Upload the host's acceptance letter below when you receive it.")
    add("accepted", _("Accepted by the host"), reached >= 2 or bool(letters), letter_text)
    agreement_text = _agreement_text(last, signed)
    if signed is None and mobility.planned_start:
        agreement_text += " " + _("Due before the mobility starts (%(day)s).") % {
            "day": _day(mobility.planned_start)
        }
    add(
        "agreement", _("Learning agreement signed by all three"), signed is not None, agreement_text
    )
    if mobility.actual_start:
        arrival_text = _("You arrived on %(day)s.") % {"day": _day(mobility.actual_start)}
    elif mobility.planned_start:
        arrival_text = _(
            "Planned for %(day)s; the office records the arrival from the host's confirmation."
        ) % {"day": _day(mobility.planned_start)}
    else:
        arrival_text = _("The office records the arrival from the host's confirmation.")
    add("arrival", _("Arrival"), mobility.actual_start is not None, arrival_text)

    # the changes window (optional)
    deadline = services.change_deadline(mobility)
    days = settings.LA_CHANGE_WINDOW_DAYS
    if deadline is None:
        status, text = (
            "todo",
            _("For %(days)s days after your arrival you can change your learning agreement.")
            % {"days": days},
        )
    elif today <= deadline and mobility.state == MobilityState.IN_MOBILITY:
        status, text = (
            "open",
            _("You can propose changes to your learning agreement until %(day)s.")
            % {"day": _day(deadline)},
        )
    else:
        status, text = "closed", _("Changes were possible until %(day)s.") % {"day": _day(deadline)}
    steps.append(Step("changes", _("Changes to the learning agreement"), status, text))

    # the extension (optional)
    steps.append(_extension_step(mobility, extensions, today))

    if mobility.actual_end:
        departure_text = _("You left on %(day)s.") % {"day": _day(mobility.actual_end)}
    elif mobility.planned_end:
        departure_text = _(
            "Planned for %(day)s; the office records the departure from the host's confirmation."
        ) % {"day": _day(mobility.planned_end)}
    else:
        departure_text = _("The office records the departure from the host's confirmation.")
    add("departure", _("Departure"), mobility.actual_end is not None, departure_text)
    add(
        "completed",
        _("Completed"),
        mobility.state == MobilityState.COMPLETED,
        _("The mobility is over; the recognition of your exams follows."),
    )
    for extra in extra_steps(mobility):  # e.g. the recognition, from its own app
        steps.append(Step(extra.key, extra.title, extra.status, extra.text, extra.url, extra.link))
    if mobility.state != MobilityState.WITHDRAWN:
        for step in steps:
            if step.status == "todo" and step.key not in ("changes", "extension"):
                step.status = "current"
                break
    return steps


def _extension_step(
    mobility: Mobility, extensions: Sequence[ExtensionRequest], today: dt.date
) -> Step:
    title = _("Extension (optional)")
    approved = [e for e in extensions if e.state == ExtensionState.APPROVED]
    waiting = [e for e in extensions if e.state == ExtensionState.REQUESTED]
    if approved:
        return Step(
            "extension",
            title,
            "done",
            _("Extended to %(day)s.") % {"day": _day(approved[0].requested_end)},
        )
    if waiting:
        return Step(
            "extension",
            title,
            "open",
            _("Your request to stay until %(day)s waits for the promoter.")
            % {"day": _day(waiting[0].requested_end)},
        )
    if not queries.extensions_apply(mobility):
        return Step("extension", title, "skipped", services.extensions_not_applicable(mobility))
    last_day = services.extension_deadline(mobility)
    if last_day is None:
        return Step("extension", title, "todo", _("Possible during the mobility."))
    if today > last_day or mobility.state in (MobilityState.COMPLETED, MobilityState.WITHDRAWN):
        return Step(
            "extension",
            title,
            "closed",
            _("Extensions could be requested until %(day)s.") % {"day": _day(last_day)},
        )
    return Step(
        "extension",
        title,
        "open" if mobility.state == MobilityState.IN_MOBILITY else "todo",
        _("You can ask to stay longer, during the mobility, until %(day)s.")
        % {"day": _day(last_day)},
    )


# ---------------------------------------------------------------------------- the list


@require_GET
@login_required
def mobility_list(request: HttpRequest) -> HttpResponse:
    """The user's own mobilities; a student with just one goes straight to it."""
    mobilities = list(
        Mobility.objects.filter(student=cast(User, request.user))
        .select_related("host", "offer")
        .order_by("-academic_year", "-created_at")
    )
    if len(mobilities) == 1 and getattr(request.user, "is_student", False):
        return _redirect("detail", mobilities[0])
    return render(request, "mobility/student/list.html", {"mobilities": mobilities})


# ------------------------------------------------------------------------ the timeline


def _detail_context(request: HttpRequest, mobility: Mobility) -> dict[str, Any]:
    user = request.user
    documents = list(mobility.documents.select_related("uploaded_by").order_by("kind", "-pk"))
    # Prefetched: the rules asked below (the planned dates' forms) read them from here
    # (queries.agreement_submitted), not with a query each.
    prefetch_related_objects(
        [mobility],
        Prefetch("learning_agreements", queryset=LearningAgreement.objects.order_by("-number")),
    )
    agreements = list(mobility.learning_agreements.all())
    extensions = list(mobility.extensions.select_related("form").order_by("-requested_at"))
    can_edit = can(user, EDIT, mobility)
    current = mobility.documents.filter(replaced_at__isnull=True).order_by("kind", "-pk")
    # The upload form offers the documents not yet replaced, from the rows read above (in the
    # same order): no query; a submitted choice is checked against ``current``.
    loaded = [d for d in documents if d.replaced_at is None]
    return {
        "mobility": mobility,
        "year": format_year(mobility.academic_year),
        "people": people_of(mobility),
        "steps": timeline(
            mobility,
            documents=documents,
            agreements=agreements,
            extensions=extensions,
            today=timezone.localdate(),
        ),
        "document_max_mb": settings.DOCUMENT_MAX_MB,
        "documents": documents,
        "agreements": agreements,
        "extensions": extensions,
        "is_owner": mobility.student_id == user.pk,
        "document_form": DocumentForm(documents=current, loaded=loaded) if can_edit else None,
        "is_thesis": mobility.kind == MobilityKind.THESIS,
        "thesis_form": ThesisForm(
            initial={
                "home_supervisor": mobility.home_supervisor,
                "host_supervisor": mobility.host_supervisor,
                "thesis_credits": mobility.thesis_credits,
            }
        )
        if can_edit and mobility.kind == MobilityKind.THESIS
        else None,
        "dates_form": PlannedDatesForm(
            initial={"planned_start": mobility.planned_start, "planned_end": mobility.planned_end}
        )
        if can(user, DATES, mobility)
        else None,
        "months_allowed": services.months_allowed(mobility),
        "extensions_apply": queries.extensions_apply(mobility),
        # Why the student's dates form is gone: the learning agreement was submitted.
        "dates_fixed": can(user, "mobility.ask_office_for_dates", mobility),
    }


@require_GET
@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    mobility = _mobility(request, pk)
    return render(request, "mobility/student/detail.html", _detail_context(request, mobility))


@require_POST
@login_required
def thesis(request: HttpRequest, pk: int) -> HttpResponse:
    mobility = _mobility(request, pk)
    _may_edit(request, mobility)
    form = ThesisForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _redirect("detail", mobility, "thesis")
    try:
        services.set_thesis(mobility=mobility, actor=_user(request), **form.cleaned_data)
    except MobilityError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("The thesis details are saved."))
    return _redirect("detail", mobility, "thesis")


@require_POST
@login_required
def planned_dates(request: HttpRequest, pk: int) -> HttpResponse:
    """The student (or the office) sets the planned dates; refused once a learning agreement
    is submitted (for the student) or the departure recorded."""
    mobility = _mobility(request, pk)
    _may_edit(request, mobility)
    form = PlannedDatesForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _redirect("detail", mobility, "dates")
    try:
        services.set_planned_dates(
            mobility=mobility,
            actor=_user(request),
            start=form.cleaned_data["planned_start"],
            end=form.cleaned_data["planned_end"],
        )
    except MobilityError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("The planned dates are saved: from %(start)s to %(end)s.")
            % {
                "start": _day(form.cleaned_data["planned_start"]),
                "end": _day(form.cleaned_data["planned_end"]),
            },
        )
    return _redirect("detail", mobility, "dates")


# --------------------------------------------------------------------------- documents


@require_POST
@login_required
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    mobility = _mobility(request, pk)
    _may_edit(request, mobility)
    form = DocumentForm(
        request.POST,
        request.FILES,
        documents=mobility.documents.filter(replaced_at__isnull=True),
    )
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _redirect("detail", mobility, "documents")
    replaces = form.cleaned_data["replaces"]
    try:
        document = services.upload_document(
            mobility=mobility,
            # a replacement takes the kind of what it replaces
            kind=replaces.kind if replaces is not None else form.cleaned_data["kind"],
            file=form.cleaned_data["file"],
            actor=_user(request),
            replaces=replaces,
        )
    except MobilityError as refusal:
        messages.error(
            request,
            _("%(name)s was not uploaded: %(why)s")
            % {"name": form.cleaned_data["file"].name, "why": refusal},
        )
    else:
        messages.success(
            request,
            _("%(name)s is uploaded as “%(kind)s”.")
            % {"name": document.original_name, "kind": document.get_kind_display()},
        )
    return _redirect("detail", mobility, "documents")


@require_GET
@login_required
def document(request: HttpRequest, pk: int, doc: int) -> FileResponse:
    mobility = _mobility(request, pk)
    stored = get_object_or_404(Document, pk=doc, mobility=mobility)
    try:
        handle = stored.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=stored.original_name,
        content_type=stored.content_type or "application/octet-stream",
    )


# ------------------------------------------------------------------ learning agreement


def _open_label(mobility: Mobility, last: LearningAgreement | None) -> str:
    """What the "open a draft" button does now, or "" when it can do nothing."""
    if not mobility.is_active:
        return ""
    if last is None:
        return _("Start the learning agreement")
    if last.state == LearningAgreementState.DRAFT:
        return ""
    if last.state in LearningAgreementState.pending_states():
        return ""
    if last.state in (LearningAgreementState.RETURNED, LearningAgreementState.WITHDRAWN):
        return _("Fix it in a new version")
    return _("Propose a change")


@require_GET
@login_required
def agreement(request: HttpRequest, pk: int) -> HttpResponse:
    mobility = _mobility(request, pk)
    versions = list(
        mobility.learning_agreements.select_related("promoter", "host_document").order_by("-number")
    )
    last = versions[0] if versions else None
    context: dict[str, Any] = {
        "mobility": mobility,
        "versions": versions,
        "agreement": last,
        "open_label": _open_label(mobility, last),
        "change_deadline": services.change_deadline(mobility),
        "window_days": settings.LA_CHANGE_WINDOW_DAYS,
        # the change window matters once a version is signed
        "changes_matter": any(v.state == LearningAgreementState.SIGNED for v in versions),
    }
    if last is not None:
        prefetch_related_objects([last], "components")
        check_context = services.context_for(mobility, last)
        context["tables"] = version_tables(last, check_context.expected_credits)
        if last.is_draft:
            context["findings"] = checks.check(services.rows_of(last), check_context)
    return render(request, "mobility/student/la.html", context)


@require_POST
@login_required
def agreement_open(request: HttpRequest, pk: int) -> HttpResponse:
    mobility = _mobility(request, pk)
    _may_edit(request, mobility)
    try:
        services.open_draft(mobility=mobility, actor=_user(request))
    except MobilityError as refusal:
        messages.error(request, str(refusal))
        return _redirect("la", mobility)
    return _redirect("la_edit", mobility)


@require_GET
@login_required
def agreement_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    mobility = _mobility(request, pk)
    version = get_object_or_404(
        mobility.learning_agreements.select_related("promoter", "host_document", "based_on"),
        number=number,
    )
    prefetch_related_objects([version], "components")
    expected = services.context_for(mobility, version).expected_credits
    return render(
        request,
        "mobility/student/la_version.html",
        {
            "mobility": mobility,
            "agreement": version,
            "tables": version_tables(version, expected),
            "changes": [
                c for c in version.components.all() if c.status != ComponentStatus.UNCHANGED
            ],
        },
    )


def _draft(mobility: Mobility) -> LearningAgreement | None:
    last = services.latest(mobility)
    return last if last is not None and last.is_draft else None


def _initial_rows(draft: LearningAgreement) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {table: [] for table in Table.values}
    for c in draft.components.all():
        rows.setdefault(c.table, []).append(
            {
                "code": c.code,
                "title": c.title,
                "term": c.term,
                "ects": "" if c.ects is None else _number(c.ects),
                "is_thesis": c.is_thesis,
                "status": c.status,
                "reason_code": c.reason_code,
                "reason_text": c.reason_text,
            }
        )
    return rows


@dataclass
class Editor:
    """The draft editor bound to what was posted (or filled with the stored draft)."""

    header: AgreementForm
    formsets: list[BaseComponentFormSet]
    valid: bool
    rows: list[checks.Row]

    def errors(self) -> list[str]:
        """Every error of the form, each naming its table, row and field."""
        found = [f"{field}: {error}" for field, error in _header_errors(self.header)]
        for formset in self.formsets:
            found.extend(str(error) for error in formset.non_form_errors())
            for number, form in enumerate(formset.forms, start=1):
                for name, errors in form.errors.items():
                    label = form.fields[name].label if name in form.fields else ""
                    for error in errors:
                        found.append(
                            _("Table %(table)s, row %(row)s, %(field)s: %(error)s")
                            % {
                                "table": formset.table,
                                "row": number,
                                "field": label,
                                "error": error,
                            }
                        )
        return found


def _header_errors(form: AgreementForm) -> list[tuple[str, str]]:
    return [
        (str(form.fields[name].label) if name in form.fields else "", str(error))
        for name, errors in form.errors.items()
        for error in errors
    ]


def _editor(request: HttpRequest, draft: LearningAgreement) -> Editor:
    if request.method == "POST":
        header = AgreementForm(request.POST)
        formsets = component_formsets(stage=draft.stage, data=request.POST)
        valid = header.is_valid()
        for formset in formsets:
            valid = formset.is_valid() and valid
        rows = [row for formset in formsets for row in formset.rows()]
        return Editor(header, formsets, valid, rows)
    header = AgreementForm(
        initial={"language": draft.language, "language_level": draft.language_level}
    )
    formsets = component_formsets(stage=draft.stage, initial=_initial_rows(draft))
    return Editor(header, formsets, True, services.rows_of(draft))


def _typed_context(mobility: Mobility, draft: LearningAgreement, editor: Editor) -> checks.Context:
    """The checks' context, with the level the student has just typed."""
    context = services.context_for(mobility, draft)
    if editor.header.is_bound:
        level = editor.header.cleaned_data["language_level"] if editor.header.is_valid() else ""
        return dataclasses.replace(context, declared_level=level)
    return context


def _check_context(mobility: Mobility, draft: LearningAgreement, editor: Editor) -> dict[str, Any]:
    context = _typed_context(mobility, draft, editor)
    return {
        "findings": checks.check(editor.rows, context),
        "totals": running_totals(editor.rows, context),
    }


def _submit(request: HttpRequest, draft: LearningAgreement) -> bool:
    try:
        services.submit(agreement=draft, actor=_user(request))
    except MobilityError as refusal:
        messages.error(request, str(refusal))
        return False
    messages.success(
        request,
        _(
            "You signed version %(number)s. It now waits for your promoter's approval; we "
            "e-mailed them."
        )
        % {"number": draft.number},
    )
    return True


@require_http_methods(["GET", "POST"])
@login_required
def agreement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    mobility = _mobility(request, pk)
    _may_edit(request, mobility)
    draft = _draft(mobility)
    if draft is None:
        messages.info(request, _("There is no draft to edit: open one first."))
        return _redirect("la", mobility)
    editor = _editor(request, draft)
    if request.method == "POST" and editor.valid:
        try:
            services.save_draft(
                agreement=draft,
                actor=_user(request),
                rows=editor.rows,
                language=editor.header.cleaned_data["language"],
                language_level=editor.header.cleaned_data["language_level"],
            )
        except MobilityError as refusal:
            messages.error(request, str(refusal))
            return _redirect("la", mobility)
        if "sign" in request.POST:
            if _submit(request, draft):
                return _redirect("la", mobility)
        else:
            messages.success(request, _("Draft saved."))
        return _redirect("la_edit", mobility)
    return render(
        request,
        "mobility/student/la_edit.html",
        {
            "mobility": mobility,
            "agreement": draft,
            "header": editor.header,
            "formsets": editor.formsets,
            "form_errors": editor.errors(),
            "during": draft.stage == Stage.DURING,
            "change_deadline": services.change_deadline(mobility),
            **_check_context(mobility, draft, editor),
        },
    )


@require_POST
@login_required
def agreement_check(request: HttpRequest, pk: int) -> HttpResponse:
    """The findings for the rows as typed (HTMX swaps them into the editor). A check that
    arrives after the draft was signed (typing, then signing at once) has nothing to check:
    204, and the page keeps what it shows."""
    mobility = _mobility(request, pk)
    _may_edit(request, mobility)
    draft = _draft(mobility)
    if draft is None:
        return HttpResponse(status=204)
    editor = _editor(request, draft)
    # The findings, and what cannot be read (a number out of range): 200 with the fields'
    # errors, so that the checks never stop silently.
    return render(
        request,
        "mobility/student/_la_check.html",
        {**_check_context(mobility, draft, editor), "editor": editor},
    )


@require_POST
@login_required
def agreement_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """The student signs the stored draft; refused while it has errors (it stays a draft)."""
    mobility = _mobility(request, pk)
    _may_edit(request, mobility)
    draft = _draft(mobility)
    if draft is None:
        messages.error(request, _("There is no draft to sign."))
    else:
        _submit(request, draft)
    return _redirect("la", mobility)


# -------------------------------------------------------------------------- extensions


def _extension_context(mobility: Mobility, today: dt.date) -> dict[str, Any]:
    probe = (mobility.planned_end or today) + dt.timedelta(days=1)
    extensions = list(mobility.extensions.select_related("form").order_by("-requested_at"))
    return {
        "mobility": mobility,
        "problem": services.extension_problem(mobility=mobility, requested_end=probe, today=today),
        "extendable": queries.extensions_apply(mobility),
        "double_degree": mobility.kind == MobilityKind.DOUBLE_DEGREE,
        "notice_days": settings.EXTENSION_NOTICE_DAYS,
        "last_day": services.extension_deadline(mobility),
        "limit": services.cycle_limit_of(mobility),
        "used": services.months_used_elsewhere(mobility),
        "waiting": next((e for e in extensions if e.state == ExtensionState.REQUESTED), None),
        "extensions": extensions,
    }


@require_http_methods(["GET", "POST"])
@login_required
def extension(request: HttpRequest, pk: int) -> HttpResponse:
    mobility = _mobility(request, pk)
    form = ExtensionForm()
    if request.method == "POST":
        if mobility.student_id != request.user.pk:
            require(request.user, EXTEND, mobility, _("Only the student asks for an extension."))
        form = ExtensionForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.request_extension(
                    mobility=mobility,
                    actor=_user(request),
                    requested_end=form.cleaned_data["requested_end"],
                    reason=form.cleaned_data["reason"],
                    form=form.cleaned_data["form"],
                )
            except MobilityError as refusal:
                messages.error(request, str(refusal))
            else:
                messages.success(
                    request,
                    _(
                        "Your request to stay until %(day)s is sent to the promoter; we will "
                        "e-mail you the decision."
                    )
                    % {"day": _day(form.cleaned_data["requested_end"])},
                )
                return _redirect("detail", mobility, "extensions")
    context = _extension_context(mobility, timezone.localdate())
    context |= {"form": form}
    return render(request, "mobility/student/extension.html", context)


@require_POST
@login_required
def extension_withdraw(request: HttpRequest, pk: int, ext: int) -> HttpResponse:
    mobility = _mobility(request, pk)
    request_ = get_object_or_404(ExtensionRequest, pk=ext, mobility=mobility)
    if mobility.student_id != request.user.pk:
        require(request.user, EXTEND, mobility, _("Only the student asks for an extension."))
    try:
        services.withdraw_extension(extension=request_, actor=_user(request))
    except MobilityError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Your extension request is withdrawn."))
    return _redirect("detail", mobility, "extensions")
