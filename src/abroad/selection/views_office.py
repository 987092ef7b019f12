"""The office's side of the calls, under /calls/office/: the list of calls, each call's steps
(fill the offers, rank, rounds: create, dry run, compare, publish, close), the commission's
scores, and the nominations. Every step is a POST that calls one service and shows its
SelectionError; the services write the audit log.

Who (``selection/rules.py``): the office (``selection.manage_calls``) does everything. A
promoter whose School is one of the call's reads its ranking (``selection.view_ranking``) and
the list of their School's calls; every other page answers them 404 as it does anybody else,
and an anonymous visitor is sent to log in (``core.permissions.office_page``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from abroad.catalogue.forms import OfferFilterForm
from abroad.catalogue.models import Offer
from abroad.catalogue.queries import OfferFilter, filter_offers
from abroad.core import jobs
from abroad.core.enums import DegreeLevel
from abroad.core.importing import Format
from abroad.core.permissions import can, office_page, visible_or_404
from abroad.matching import explanation
from abroad.matching.ranking import ordered_parts
from abroad.people.models import User
from abroad.people.rules import office_scope_q
from abroad.selection import exports, queries, services
from abroad.selection import jobs as selection_jobs
from abroad.selection.enums import ApplicationState, AssignmentState, RankingFormula, RoundState
from abroad.selection.forms import CallForm
from abroad.selection.models import Application, Assignment, Call, CallOffer, Round
from abroad.selection.queries import office_calls_q
from abroad.selection.rules import promoter_school_ids
from abroad.selection.services import SelectionError

OFFICE = "selection.manage_calls"

RANKING_PAGE_SIZE = 100
ROUND_PAGE_SIZE = 100  # students on a round's page

# ------------------------------------------------------------------------------ who may


def _user(request: HttpRequest) -> User:
    """The logged-in user (the views are behind login_required)."""
    user = request.user
    assert isinstance(user, User)
    return user


def _get_call(code: str) -> Call:
    return get_object_or_404(Call.objects.prefetch_related("schools"), code=code)


def _office_call(request: HttpRequest, code: str) -> Call:
    """The call, for the office of its Schools (an unscoped office: any call); 404 for
    another School's office, as for a missing call."""
    return visible_or_404(request.user, OFFICE, _get_call(code))


def _ranking_call(request: HttpRequest, code: str) -> Call:
    """The call whose ranking the user may read (the office, or a promoter of its Schools);
    404 for anybody else."""
    return visible_or_404(request.user, "selection.view_ranking", _get_call(code))


def _round(call: Call, number: int) -> Round:
    return get_object_or_404(Round, call=call, number=number)


def _done(request: HttpRequest, message: str) -> None:
    messages.success(request, message)


def _failed(request: HttpRequest, error: SelectionError) -> None:
    messages.error(request, str(error))


# ------------------------------------------------------------------------- round creation


# -------------------------------------------------------------------------------- forms


class RoundForm(forms.Form):
    acceptance_deadline = forms.DateTimeField(
        label=gettext_lazy("Students accept by"),
        help_text=gettext_lazy("Day and time (Italian time), e.g. 16/06/2027 12:00."),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean_acceptance_deadline(self) -> dt.datetime:
        deadline: dt.datetime = self.cleaned_data["acceptance_deadline"]
        if deadline <= timezone.now():
            raise forms.ValidationError(_("The deadline must be in the future."))
        return deadline


def _mark(label: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal(0),
        max_value=Decimal(10),
        max_digits=4,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.25", "min": "0", "max": "10"}),
    )


class CommissionScoreForm(forms.Form):
    portfolio = _mark(gettext_lazy("Portfolio (0-10)"))
    languages_motivation_cv = _mark(gettext_lazy("Languages, motivation, CV (0-10)"))
    interview = _mark(gettext_lazy("Interview (0-10)"))


ELIGIBILITY_CHOICES = [
    ("", gettext_lazy("Any")),
    ("eligible", gettext_lazy("Eligible")),
    ("ineligible", gettext_lazy("Not eligible")),
    ("unranked", gettext_lazy("Not ranked yet")),
]


class RankingFilterForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Student (name or number)"), required=False, max_length=100
    )
    eligibility = forms.ChoiceField(
        label=gettext_lazy("Eligibility"), required=False, choices=ELIGIBILITY_CHOICES
    )
    level = forms.ChoiceField(
        label=gettext_lazy("Degree level"),
        required=False,
        choices=[("", gettext_lazy("Any")), *DegreeLevel.choices],
    )


# ------------------------------------------------------------------------ the call list


@office_page("selection.view_office_calls")
@require_GET
def call_list(request: HttpRequest) -> HttpResponse:
    """Every call with its counts, for the office; a promoter sees the calls of their School,
    with a link to each ranking. Three queries whatever the number of calls."""
    user = _user(request)
    calls: QuerySet[Call] = Call.objects.prefetch_related("schools")
    office = can(user, OFFICE)
    if not office:
        calls = calls.filter(schools__in=promoter_school_ids(user)).distinct()
    else:
        calls = calls.filter(office_calls_q(user))
        submitted = Q(applications__state=ApplicationState.SUBMITTED)
        calls = calls.annotate(
            drafts=Count(
                "applications",
                filter=Q(applications__state=ApplicationState.DRAFT),
                distinct=True,
            ),
            submitted=Count("applications", filter=submitted, distinct=True),
            eligible=Count(
                "applications", filter=submitted & Q(applications__eligible=True), distinct=True
            ),
            round_count=Count("rounds", distinct=True),
        )
    return render(
        request,
        "selection/office/call_list.html",
        {"calls": list(calls), "office": office, "now": timezone.now()},
    )


# ----------------------------------------------------------------------------- the call


@office_page(OFFICE)
@require_GET
def call_detail(request: HttpRequest, code: str) -> HttpResponse:
    """The call's steps, each with its counts and its button."""
    call = _office_call(request, code)
    states = Counter(
        dict(call.applications.values("state").annotate(n=Count("id")).values_list("state", "n"))
    )
    submitted = call.applications.filter(state=ApplicationState.SUBMITTED)
    offers = call.call_offers.aggregate(count=Count("id"), seats=Sum("seats"))
    rounds = list(call.rounds.annotate(assigned=Count("assignments__call_offer")))
    scored = 0
    if call.formula == RankingFormula.COMMISSION:
        scored = submitted.filter(commission_score__isnull=False).count()
    now = timezone.now()
    return render(
        request,
        "selection/office/call_detail.html",
        {
            "call": call,
            "now": now,
            "state": call.state_at(now),
            "drafts": states[ApplicationState.DRAFT],
            "submitted_count": states[ApplicationState.SUBMITTED],
            "withdrawn": states[ApplicationState.WITHDRAWN],
            "eligible": submitted.filter(eligible=True).count(),
            "ineligible": submitted.filter(eligible=False).count(),
            "ranked": submitted.filter(rank__isnull=False).count(),
            "offer_count": offers["count"],
            "seats": offers["seats"] or 0,
            "rounds": rounds,
            "round_form": RoundForm(),
            "commission": call.formula == RankingFormula.COMMISSION,
            "scored": scored,
            "nominated": services.nominations(call).count(),
        },
    )


@office_page(OFFICE)
@require_POST
def fill_offers(request: HttpRequest, code: str) -> HttpResponse:
    call = _office_call(request, code)
    try:
        added = services.fill_call_offers(call=call, actor=_user(request))
    except SelectionError as error:
        _failed(request, error)
    else:
        total = call.call_offers.count()
        _done(
            request,
            ngettext(
                "%(added)d offer added; the call has %(total)d.",
                "%(added)d offers added; the call has %(total)d.",
                added,
            )
            % {"added": added, "total": total},
        )
    return redirect("selection:office_call", code=call.code)


@office_page(OFFICE)
@require_POST
def rank(request: HttpRequest, code: str) -> HttpResponse:
    call = _office_call(request, code)
    try:
        ranked = services.rank_call(call=call, actor=_user(request))
    except SelectionError as error:
        _failed(request, error)
        return redirect("selection:office_call", code=call.code)
    eligible = call.applications.filter(state=ApplicationState.SUBMITTED, eligible=True).count()
    _done(
        request,
        ngettext(
            "%(ranked)d application scored, %(eligible)d eligible and ranked.",
            "%(ranked)d applications scored, %(eligible)d eligible and ranked.",
            ranked,
        )
        % {"ranked": ranked, "eligible": eligible},
    )
    return redirect("selection:office_ranking", code=call.code)


# -------------------------------------------------------------------------- the ranking

PART_LABELS = exports.SCORE_PART_LABELS  # one list: the ranking page and its export


def score_parts(details: dict[str, Any]) -> list[tuple[str, str]]:
    """The terms of a score, labelled for people."""
    return [
        (str(PART_LABELS.get(name, name)), explanation.decimal_text(str(value)))
        for name, value in ordered_parts(details)
    ]


def ranking_queryset(call: Call, form: RankingFilterForm) -> QuerySet[Application]:
    applications = (
        call.applications.filter(state=ApplicationState.SUBMITTED)
        .select_related("student__course_of_study")
        .order_by(F("rank").asc(nulls_last=True), F("score").desc(nulls_last=True), "id")
    )
    if not form.is_valid():
        return applications
    wanted = form.cleaned_data
    if wanted["q"]:
        for word in wanted["q"].split():
            applications = applications.filter(
                Q(student__first_name__icontains=word)
                | Q(student__last_name__icontains=word)
                | Q(student__student_number__icontains=word)
            )
    if wanted["eligibility"] == "eligible":
        applications = applications.filter(eligible=True)
    elif wanted["eligibility"] == "ineligible":
        applications = applications.filter(eligible=False)
    elif wanted["eligibility"] == "unranked":
        applications = applications.filter(eligible__isnull=True)
    if wanted["level"]:
        applications = applications.filter(student__course_of_study__level=wanted["level"])
    return applications


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@dataclass
class RankingRow:
    application: Application
    parts: list[tuple[str, str]]


@login_required
@require_GET
def ranking(request: HttpRequest, code: str) -> HttpResponse:
    """The ranking: rank, student, score with its parts, eligibility notes; filters in the
    URL. A constant number of queries."""
    call = _ranking_call(request, code)
    form = RankingFilterForm(request.GET)
    paginator = Paginator(ranking_queryset(call, form), RANKING_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = [RankingRow(a, score_parts(a.score_details)) for a in page.object_list]
    active = sum(1 for name in ("q", "eligibility", "level") if request.GET.get(name))
    template = "selection/office/ranking.html"
    if getattr(request, "htmx", False):
        template += "#results"
    return render(
        request,
        template,
        {
            "call": call,
            "form": form,
            "page": page,
            "rows": rows,
            "query": _query_without_page(request),
            "active_filters": active,
            "office": can(_user(request), OFFICE),
        },
    )


@login_required
@require_POST
def ranking_export(request: HttpRequest, code: str) -> HttpResponse:
    """The filtered ranking as CSV, made by the background worker (a call may hold 20,000
    applications): the request writes the job, with the page's filters, and goes to its page,
    where the file is offered once made."""
    call = _ranking_call(request, code)
    params = {"call": call.pk, "filters": request.GET.dict()}
    with transaction.atomic():
        job = jobs.submit(selection_jobs.RANKING_EXPORT, requested_by=_user(request), params=params)
    return redirect("job", pk=job.pk)


# ---------------------------------------------------------------------------- the rounds


@office_page(OFFICE)
@require_POST
def round_create(request: HttpRequest, code: str) -> HttpResponse:
    call = _office_call(request, code)
    form = RoundForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, " ".join(str(error) for errors in form.errors.values() for error in errors)
        )
        return redirect("selection:office_call", code=call.code)
    try:
        round = services.create_round(
            call=call,
            acceptance_deadline=form.cleaned_data["acceptance_deadline"],
            actor=_user(request),
        )
    except SelectionError as error:
        _failed(request, error)
        return redirect("selection:office_call", code=call.code)
    _done(request, _("Round %(number)d created: run it when ready.") % {"number": round.number})
    return redirect("selection:office_round", code=call.code, number=round.number)


@dataclass
class OfferRow:
    call_offer: CallOffer
    demand: int  # applications that ranked it
    held: int  # seats accepted in earlier rounds
    admitted: int  # seats given by this round
    cutoff: Decimal | None  # the lowest score admitted by this round

    @property
    def filled(self) -> int:
        return self.held + self.admitted

    @property
    def remaining(self) -> int:
        return self.call_offer.seats - self.filled


@dataclass
class StudentRow:
    assignment: Assignment
    seat: str  # the destination's name, empty for no seat
    explanation: str


def explain(assignment: Assignment, partners: dict[int, str]) -> str:
    """The stored explanation of an assignment in the reader's language, with partner names
    (services store the offer's id)."""
    return explanation.office_line(assignment.explanation or {}, partners)


def _partners(call: Call) -> dict[int, CallOffer]:
    return {
        call_offer.pk: call_offer
        for call_offer in call.call_offers.select_related("offer__agreement__partner")
    }


@office_page(OFFICE)
@require_GET
def round_detail(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """A round: its state and buttons, the result per offer (seats, filled, cutoff) and per
    student (choice, explanation). A constant number of queries."""
    call = _office_call(request, code)
    round = _round(call, number)
    call_offers = _partners(call)
    names = {pk: str(co.offer.agreement.partner) for pk, co in call_offers.items()}
    demand = dict(
        call.call_offers.filter(preferences__application__state=ApplicationState.SUBMITTED)
        .annotate(n=Count("preferences"))
        .values_list("pk", "n")
    )
    results = services.offer_results(round)
    empty = services.OfferResult(held=0, admitted=0, cutoff=None)
    offer_rows = sorted(
        (
            OfferRow(
                call_offer=call_offers[pk],
                demand=demand.get(pk, 0),
                held=results.get(pk, empty).held,
                admitted=results.get(pk, empty).admitted,
                cutoff=results.get(pk, empty).cutoff,
            )
            for pk in set(demand) | set(results)
            if pk in call_offers
        ),
        key=lambda row: (names[row.call_offer.pk], row.call_offer.pk),
    )
    # The counts by the database; the students a page at a time (a call of 20,000).
    choices = dict(
        round.assignments.filter(call_offer__isnull=False, choice__isnull=False)
        .values_list("choice")
        .annotate(n=Count("pk"))
        .values_list("choice", "n")
    )
    states = dict(
        round.assignments.values_list("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    assigned = round.assignments.filter(call_offer__isnull=False).count()
    page = Paginator(
        round.assignments.select_related("application__student__course_of_study").order_by(
            F("application__rank").asc(nulls_last=True), "application_id"
        ),
        ROUND_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    student_rows = [
        StudentRow(a, names.get(a.call_offer_id, "") if a.call_offer_id else "", explain(a, names))
        for a in page.object_list
    ]
    now = timezone.now()
    return render(
        request,
        "selection/office/round_detail.html",
        {
            "call": call,
            "round": round,
            "offer_rows": offer_rows,
            "unused_offers": len(call_offers) - len(offer_rows),
            "student_rows": student_rows,
            "page": page,
            "assigned": assigned,
            "unassigned": page.paginator.count - assigned,
            "choices": sorted(choices.items()),
            "states": [(AssignmentState(s).label, n) for s, n in sorted(states.items())],
            "can_run": round.state in (RoundState.DRAFT, RoundState.DRY_RUN),
            "can_publish": round.state == RoundState.DRY_RUN,
            "can_close": round.state == RoundState.PUBLISHED,
            "deadline_passed": now >= round.acceptance_deadline,
            "has_previous": bool(round.previous_result),
        },
    )


@dataclass
class Change:
    application: Application | None
    before: str
    after: str


@office_page(OFFICE)
@require_GET
def round_compare(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """What changed since the previous dry run of the round (services.compare_with_previous)."""
    call = _office_call(request, code)
    round = _round(call, number)
    changes = services.compare_with_previous(round)
    names = {pk: str(co.offer.agreement.partner) for pk, co in _partners(call).items()}
    applications = Application.objects.select_related("student").in_bulk(
        [change["application"] for change in changes]
    )
    none = _("no seat")
    rows = [
        Change(
            application=applications.get(change["application"]),
            before=names.get(change["before"], none) if change["before"] else none,
            after=names.get(change["after"], none) if change["after"] else none,
        )
        for change in changes
    ]
    template = "selection/office/round_compare.html"
    if getattr(request, "htmx", False):
        template += "#changes"
    return render(
        request,
        template,
        {
            "call": call,
            "round": round,
            "changes": rows,
            "has_previous": bool(round.previous_result),
        },
    )


def _round_action(request: HttpRequest, code: str, number: int, action: str) -> HttpResponse:
    call = _office_call(request, code)
    round = _round(call, number)
    user = _user(request)
    try:
        if action == "run":
            round = services.run_round(round=round, actor=user)
            offered = round.assignments.exclude(call_offer=None).count()
            total = round.assignments.count()
            changed = len(services.compare_with_previous(round))
            message = _(
                "Dry run done: %(offered)d of %(total)d students get a seat. Only the office "
                "sees this result until you publish it."
            ) % {"offered": offered, "total": total}
            if round.previous_result:
                message += " " + ngettext(
                    "%(changed)d result changed since the previous run.",
                    "%(changed)d results changed since the previous run.",
                    changed,
                ) % {"changed": changed}
        elif action == "publish":
            round = services.publish_round(round=round, actor=user)
            message = _("Round %(number)d published: the students are told by e-mail.") % {
                "number": round.number
            }
        else:
            expired = services.close_round(round=round, actor=user)
            message = ngettext(
                "Round %(number)d closed: %(expired)d seat not accepted in time is free again.",
                "Round %(number)d closed: %(expired)d seats not accepted in time are free again.",
                expired,
            ) % {"number": round.number, "expired": expired}
    except SelectionError as error:
        _failed(request, error)
    else:
        _done(request, message)
    return redirect("selection:office_round", code=call.code, number=number)


@office_page(OFFICE)
@require_POST
def round_run(request: HttpRequest, code: str, number: int) -> HttpResponse:
    return _round_action(request, code, number, "run")


@office_page(OFFICE)
@require_POST
def round_publish(request: HttpRequest, code: str, number: int) -> HttpResponse:
    return _round_action(request, code, number, "publish")


@office_page(OFFICE)
@require_POST
def round_close(request: HttpRequest, code: str, number: int) -> HttpResponse:
    return _round_action(request, code, number, "close")


# ------------------------------------------------------------------ commission's scores


def _commission_call(request: HttpRequest, code: str) -> Call:
    call = _office_call(request, code)
    if call.formula != RankingFormula.COMMISSION:
        raise Http404
    return call


def _commission_applications(call: Call) -> QuerySet[Application]:
    return (
        call.applications.filter(state=ApplicationState.SUBMITTED)
        .select_related("student__course_of_study", "commission_score")
        .order_by("student__last_name", "student__first_name", "id")
    )


@dataclass
class ScoreRow:
    application: Application
    form: CommissionScoreForm


def _score_form(application: Application, data: Any = None) -> CommissionScoreForm:
    marks = getattr(application, "commission_score", None)
    initial = (
        {
            "portfolio": marks.portfolio,
            "languages_motivation_cv": marks.languages_motivation_cv,
            "interview": marks.interview,
        }
        if marks
        else None
    )
    return CommissionScoreForm(data, initial=initial, prefix=f"a{application.pk}")


@office_page(OFFICE)
@require_GET
def commission(request: HttpRequest, code: str) -> HttpResponse:
    """One form per submitted application: the commission's three marks."""
    call = _commission_call(request, code)
    rows = [ScoreRow(a, _score_form(a)) for a in _commission_applications(call)]
    return render(
        request,
        "selection/office/commission.html",
        {"call": call, "rows": rows, "scored": sum(1 for r in rows if r.form.initial)},
    )


@office_page(OFFICE)
@require_POST
def commission_score(request: HttpRequest, code: str, application: int) -> HttpResponse:
    call = _commission_call(request, code)
    found = get_object_or_404(_commission_applications(call), pk=application)
    form = _score_form(found, request.POST)
    if form.is_valid():
        try:
            services.set_commission_score(
                application=found, actor=_user(request), **form.cleaned_data
            )
        except SelectionError as error:
            _failed(request, error)
        else:
            _done(
                request,
                _("Scores saved for %(student)s. Rank the call again to update the ranking.")
                % {"student": found.student},
            )
            return redirect(
                reverse("selection:office_commission", kwargs={"code": call.code})
                + f"#application-{found.pk}"
            )
    rows = [
        ScoreRow(a, form if a.pk == found.pk else _score_form(a))
        for a in _commission_applications(call)
    ]
    return render(
        request,
        "selection/office/commission.html",
        {"call": call, "rows": rows, "scored": sum(1 for r in rows if r.form.initial)},
        status=400,
    )


# ---------------------------------------------------------------------------- nominations


@office_page(OFFICE)
@require_GET
def nominations(request: HttpRequest, code: str) -> HttpResponse:
    call = _office_call(request, code)
    rows = list(exports.nomination_rows(call))
    per_partner: dict[str, int] = defaultdict(int)
    for row in rows:
        per_partner[row["partner"]] += 1
    return render(
        request,
        "selection/office/nominations.html",
        {"call": call, "rows": rows, "partners": len(per_partner)},
    )


FORMATS: tuple[Format, ...] = ("xlsx", "csv")


@office_page(OFFICE)
@require_POST
def nominations_export(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """The nominations as XLSX or CSV, made by the background worker; its page offers the file."""
    call = _office_call(request, code)
    if fmt not in FORMATS:
        raise Http404
    params = {"call": call.pk, "format": fmt}
    with transaction.atomic():
        job = jobs.submit(
            selection_jobs.NOMINATIONS_EXPORT, requested_by=_user(request), params=params
        )
    return redirect("job", pk=job.pk)


# ------------------------------------------------------------------ the call editor (issue 18)
# A call's settings on one page (create, edit), and its offers on another: those in the call
# and the candidates not in it yet, filtered with the public catalogue's filters
# (catalogue.forms.OfferFilterForm, catalogue.queries.filter_offers), paginated, with per-row
# tick boxes and "all matching the filter" for adding and removing. Each change is one
# service call (selection/services.py), one transaction, one audit event.

OFFERS_PAGE_SIZE = 50


def _error_text(form: forms.BaseForm) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def _scoped(form: CallForm, request: HttpRequest) -> CallForm:
    """The form offers a School-scoped office user their own Schools only."""
    field = form.fields["schools"]
    field.queryset = field.queryset.filter(office_scope_q(_user(request), "pk"))  # type: ignore[attr-defined]
    return form


@office_page(OFFICE)
def call_create(request: HttpRequest) -> HttpResponse:
    """A new call; then its offers."""
    form = _scoped(CallForm(request.POST or None), request)
    if request.method == "POST" and form.is_valid():
        call = form.save(commit=False)
        try:
            services.create_call(
                call=call, schools=list(form.cleaned_data["schools"]), actor=_user(request)
            )
        except SelectionError as error:
            form.add_error(None, str(error))
        else:
            _done(request, _("Call created: now choose its offers."))
            return redirect("selection:office_call_offers", code=call.code)
    return render(request, "selection/office/call_form.html", {"form": form, "call": None})


@office_page(OFFICE)
def call_edit(request: HttpRequest, code: str) -> HttpResponse:
    """The call's dates and rules; the services say which changes the call's state allows."""
    call = _office_call(request, code)
    form = _scoped(CallForm(request.POST or None, instance=call), request)
    if request.method == "POST" and form.is_valid():
        changed_call = form.save(commit=False)
        try:
            changed = services.update_call(
                call=changed_call,
                schools=list(form.cleaned_data["schools"]),
                actor=_user(request),
            )
        except SelectionError as error:
            form.add_error(None, str(error))
        else:
            if changed:
                _done(request, _("The call was saved."))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("selection:office_call", code=call.code)
    call.refresh_from_db()
    return render(request, "selection/office/call_form.html", {"form": form, "call": call})


IN_CALL = "in"
CANDIDATES = "candidates"


def _offer_filter(params: Any) -> tuple[OfferFilterForm, OfferFilter]:
    """The catalogue's filters from ``params`` (a QueryDict): the same form and meaning as on
    the public catalogue."""
    form = OfferFilterForm(params or None)
    # the office filters for the students, not for itself
    form.fields["course"].label = gettext_lazy("Open to the course of study")
    form.fields["language_level"].label = gettext_lazy("Level asked at most")
    return form, form.to_filter() if form.is_bound else OfferFilter()


def _offers_in_call(call: Call, wanted: OfferFilter) -> QuerySet[Offer]:
    return filter_offers(Offer.objects.filter(call_offers__call=call), wanted)


def _candidates(call: Call, wanted: OfferFilter) -> QuerySet[Offer]:
    """Offers the call may hold (services.call_offer_candidates) that it does not hold yet."""
    return filter_offers(
        services.call_offer_candidates(call).exclude(call_offers__call=call), wanted
    )


@dataclass
class CallOfferRow:
    offer: Offer
    call_offer: CallOffer | None
    in_use: bool


@office_page(OFFICE)
@require_GET
def call_offers(request: HttpRequest, code: str) -> HttpResponse:
    """The offers of the call, or the candidates not in it yet (``?show=candidates``), 50 a
    page, with the catalogue's filters. A constant number of queries whatever the number of
    offers."""
    call = _office_call(request, code)
    show = CANDIDATES if request.GET.get("show") == CANDIDATES else IN_CALL
    filter_params = request.GET.copy()
    for name in ("show", "page"):
        filter_params.pop(name, None)
    form, wanted = _offer_filter(filter_params)
    in_call = _offers_in_call(call, wanted)
    candidates = _candidates(call, wanted)
    listed = candidates if show == CANDIDATES else in_call
    paginator = Paginator(
        listed.select_related("agreement__partner", "agreement__network"), OFFERS_PAGE_SIZE
    )
    page = paginator.get_page(request.GET.get("page"))
    offers = list(page.object_list)
    rows = [CallOfferRow(offer, None, False) for offer in offers]
    if show == IN_CALL and offers:
        in_use = set(
            queries.offers_in_use(call).filter(offer__in=offers).values_list("pk", flat=True)
        )
        by_offer = {co.offer_id: co for co in call.call_offers.filter(offer__in=offers)}
        for row in rows:
            row.call_offer = by_offer.get(row.offer.pk)
            row.in_use = row.call_offer is not None and row.call_offer.pk in in_use
    template = "selection/office/call_offers.html"
    if getattr(request, "htmx", False):
        template += "#results"
    filters = filter_params.urlencode()
    return render(
        request,
        template,
        {
            "call": call,
            "form": form,
            "show": show,
            "page": page,
            "rows": rows,
            "in_call_count": in_call.count() if show == CANDIDATES else paginator.count,
            "candidate_count": candidates.count() if show == IN_CALL else paginator.count,
            "filters": filters,
            "query": _query_without_page(request),
            "active_filters": sum(
                1 for name, value in vars(wanted).items() if name != "sort" and value
            ),
            "seats_total": call.call_offers.aggregate(seats=Sum("seats"))["seats"] or 0,
        },
    )


def _chosen_offers(call: Call, request: HttpRequest, action: str) -> QuerySet[Offer]:
    """The offers a bulk change is about: every one matching the posted filters, or the
    ticked ones."""
    if request.POST.get("scope") == "all":
        _form, wanted = _offer_filter(QueryDict(request.POST.get("filters", "")))
        return _candidates(call, wanted) if action == "add" else _offers_in_call(call, wanted)
    ids = [int(value) for value in request.POST.getlist("offer") if value.isdigit()]
    return Offer.objects.filter(pk__in=ids)


@office_page(OFFICE)
@require_POST
def call_offers_change(request: HttpRequest, code: str) -> HttpResponse:
    """Add or remove offers (ticked, or all matching the filters), or save the seats of the
    rows shown; back to the same list and filters."""
    call = _office_call(request, code)
    action = request.POST.get("action", "")
    actor = _user(request)
    try:
        if action == "add":
            offers = _chosen_offers(call, request, action)
            added = services.add_call_offers(call=call, offers=offers, actor=actor)
            _done(
                request,
                ngettext(
                    "%(count)d offer added to the call.",
                    "%(count)d offers added to the call.",
                    added,
                )
                % {"count": added},
            )
        elif action == "remove":
            offers = _chosen_offers(call, request, action)
            removed = services.remove_call_offers(call=call, offers=offers, actor=actor)
            _done(
                request,
                ngettext(
                    "%(count)d offer removed from the call.",
                    "%(count)d offers removed from the call.",
                    removed,
                )
                % {"count": removed},
            )
        elif action == "seats":
            seats: dict[int, int] = {}
            for name in request.POST:
                value = request.POST.get(name, "")
                if name.startswith("seats-") and name[6:].isdigit():
                    if not value.strip().isdigit():
                        raise SelectionError(_("Seats are whole numbers."))
                    seats[int(name[6:])] = int(value)
            changed = services.set_call_offer_seats(call=call, seats=seats, actor=actor)
            _done(
                request,
                ngettext(
                    "Seats changed on %(count)d offer.",
                    "Seats changed on %(count)d offers.",
                    changed,
                )
                % {"count": changed},
            )
        else:
            raise Http404
    except SelectionError as error:
        _failed(request, error)
    address = reverse("selection:office_call_offers", kwargs={"code": call.code})
    params = QueryDict(request.POST.get("filters", ""), mutable=True)
    if request.POST.get("show") == CANDIDATES:
        params["show"] = CANDIDATES
    if request.POST.get("page", "").isdigit():
        params["page"] = request.POST["page"]
    query = params.urlencode()
    return redirect(f"{address}?{query}" if query else address)
