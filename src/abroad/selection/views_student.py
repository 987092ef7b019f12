"""The student's side of the calls: the calls open to them, the call page with the
destinations they can choose and their ranking, submission, withdrawal, and the results of
each published round with the seat to accept or renounce.

Every write goes through :mod:`abroad.selection.services`; a refused transition raises
:class:`~abroad.selection.services.SelectionError`, whose message is shown as it is. The
ranking panel works with HTMX (the panel is re-rendered in place) and without JavaScript
(each button is a form that posts the whole new ranking and redirects back)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from abroad.catalogue.models import CourseOfStudy
from abroad.core.permissions import can, require
from abroad.matching import explanation, ranking
from abroad.matching import panel as ranked_list
from abroad.matching.panel import Change, Choice, RankedItem
from abroad.matching.window import WindowState
from abroad.people.models import User
from abroad.selection import queries, services
from abroad.selection.enums import AssignmentState, RoundState
from abroad.selection.forms import RankingForm
from abroad.selection.models import Application, Assignment, Call, CallOffer, Preference
from abroad.selection.services import Availability, SelectionError

# Rounds whose results students see: published (answerable until the deadline) and closed.
VISIBLE_ROUNDS = (RoundState.PUBLISHED, RoundState.CLOSED)

# The parts of a merit score (ranking.Score.parts), as the student reads them.
SCORE_PARTS = {
    "average": gettext_lazy("Credit-weighted average (M)"),
    "credits_per_year": gettext_lazy("Credits per year of enrolment"),
    "credits_bonus": gettext_lazy("Credits bonus: 0.1 × (credits per year − 30)"),
    "exchanges_penalty": gettext_lazy("Previous exchanges: −5 each"),
    "portfolio": gettext_lazy("Portfolio (0-10)"),
    "languages_motivation_cv": gettext_lazy("Languages, motivation and CV (0-10)"),
    "interview": gettext_lazy("Interview (0-10)"),
}


# ------------------------------------------------------------------------ what is shown


@dataclass
class Panel:
    """The ranking panel: the ranking, the destinations to choose from, and whether the
    student can still change anything."""

    ranking: list[RankedItem[CallOffer]]
    choices: list[Choice[CallOffer]]
    not_open: list[Availability]
    editable: bool
    max_preferences: int
    closed: bool = False
    status: str = ""
    error: str = ""

    @property
    def full(self) -> bool:
        return len(self.ranking) >= self.max_preferences

    @property
    def ids(self) -> list[int]:
        return [item.option.pk for item in self.ranking]


@dataclass
class Skip:
    """A better choice the student did not get, in words."""

    choice: int
    partner: str
    why: str


@dataclass
class Result:
    """What one published round gave the student."""

    assignment: Assignment
    skipped: list[Skip] = field(default_factory=list)
    answerable: bool = False
    deadline_passed: bool = False


def build_panel(
    call: Call, availability: list[Availability], ranked_ids: Sequence[int], *, editable: bool
) -> Panel:
    reasons = {a.call_offer.pk: a.reasons for a in availability}
    ranking, choices = ranked_list.build(
        [a.call_offer for a in availability],
        ranked_ids,
        call.max_preferences,
        key=lambda call_offer: call_offer.pk,
        label=lambda call_offer: call_offer.offer.agreement.partner.display_name,
        reasons=lambda call_offer: reasons[call_offer.pk],
    )
    available = {a.call_offer.pk for a in availability if a.available}
    return Panel(
        ranking=ranking,
        choices=[choice for choice in choices if choice.option.pk in available],
        not_open=[a for a in availability if not a.available],
        editable=editable,
        max_preferences=call.max_preferences,
    )


def build_results(
    assignments: Sequence[Assignment], partners: dict[int, str], now: dt.datetime
) -> list[Result]:
    results = []
    for assignment in assignments:
        skipped = [
            Skip(
                choice=int(item.get("choice") or 0),
                partner=partners.get(item.get("option") or 0, _("a destination")),
                why=explanation.skip_reason(item),
            )
            for item in assignment.explanation.get("skipped", [])
        ]
        deadline = assignment.round.acceptance_deadline
        offered = (
            assignment.state == AssignmentState.OFFERED and assignment.call_offer_id is not None
        )
        results.append(
            Result(
                assignment=assignment,
                skipped=skipped,
                answerable=offered
                and assignment.round.state == RoundState.PUBLISHED
                and now < deadline,
                deadline_passed=offered and now >= deadline,
            )
        )
    return results


def score_parts(application: Application) -> list[tuple[str, str]]:
    return [
        (str(SCORE_PARTS[name]), value)
        for name, value in ranking.ordered_parts(application.score_details)
        if name in SCORE_PARTS
    ]


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _call(code: str) -> Call:
    return get_object_or_404(Call.objects.prefetch_related("schools"), code=code)


def _visible_assignments(application: Application) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(application=application, round__state__in=VISIBLE_ROUNDS)
        .select_related("round", "call_offer__offer__agreement__partner")
        .order_by("round__number")
    )


# --------------------------------------------------------------------------- the calls


@require_GET
@login_required
def call_list(request: HttpRequest) -> HttpResponse:
    """The calls open now: a student's School's ones, with their application's state; and
    the student's applications to calls that are not open any more (for their results)."""
    user = _user(request)
    now = timezone.now()
    open_calls = Call.objects.filter(queries.open_calls_q(now))
    course: CourseOfStudy | None = None
    if can(user, "selection.apply_to_call"):
        if user.course_of_study_id is not None:
            course = CourseOfStudy.objects.select_related("school").get(pk=user.course_of_study_id)
        if course is None:
            open_calls = open_calls.none()
        else:
            schools = [course.school_id, course.school.parent_id]
            open_calls = open_calls.filter(schools__in=[pk for pk in schools if pk is not None])
    calls = list(open_calls.distinct().prefetch_related("schools").order_by("closes_at", "code"))
    applications = {
        application.call_id: application
        for application in queries.applications_of(user).prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.filter(round__state__in=VISIBLE_ROUNDS),
                to_attr="published",
            )
        )
    }
    rows = [(call, applications.get(call.pk)) for call in calls]
    open_ids = {call.pk for call in calls}
    earlier = sorted(
        (a for a in applications.values() if a.call_id not in open_ids),
        key=lambda a: a.call.closes_at,
        reverse=True,
    )
    return render(
        request,
        "selection/call_list.html",
        {
            "rows": rows,
            "earlier": earlier,
            "course": course,
            "is_student": can(user, "selection.apply_to_call"),
            "now": now,
        },
    )


def _student_context(call: Call, student: User, now: dt.datetime) -> dict[str, Any]:
    """What the call page shows a student: eligibility, the ranking panel, the results."""
    application = queries.application_of(call, student)
    ranked_ids: list[int] = (
        list(application.preferences.order_by("rank").values_list("call_offer_id", flat=True))
        if application
        else []
    )
    availability = services.offers_for_student(call, student)
    panel = build_panel(call, availability, ranked_ids, editable=call.is_open(now))
    panel.closed = call.state_at(now) is WindowState.CLOSED
    partners = {a.call_offer.pk: str(a.call_offer.offer.agreement.partner) for a in availability}
    results = (
        build_results(list(_visible_assignments(application)), partners, now) if application else []
    )
    return {
        "application": application,
        "panel": panel,
        "problems": services.eligibility_problems(call, student),
        "results": results,
        "score_parts": score_parts(application) if application else [],
        "show_score": application is not None
        and (application.score is not None or application.eligible is False),
    }


def _call_context(request: HttpRequest, call: Call, now: dt.datetime) -> dict[str, Any]:
    user = request.user
    context: dict[str, Any] = {
        "call": call,
        "call_state": call.state_at(now),
        "is_student": can(user, "selection.apply_to_call", call),
    }
    if context["is_student"]:
        context |= _student_context(call, _user(request), now)
    else:
        context["call_offers"] = call.call_offers.select_related(
            "offer__agreement__partner"
        ).order_by("offer__agreement__partner__name", "offer_id")
    return context


@require_GET
def call_detail(request: HttpRequest, code: str) -> HttpResponse:
    """The call's page: public; a student also ranks destinations and sees their results."""
    call = _call(code)
    return render(
        request, "selection/call_detail.html", _call_context(request, call, timezone.now())
    )


# ------------------------------------------------------------------------ the ranking


def _back_to(call: Call, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(call.get_absolute_url() + (f"#{anchor}" if anchor else ""))


def _require_student(request: HttpRequest, call: Call) -> User:
    require(request.user, "selection.apply_to_call", call, _("Only students apply to calls."))
    return _user(request)


def _ranked_ids(call: Call, student: User) -> list[int]:
    return list(
        Preference.objects.filter(application__call=call, application__student=student)
        .order_by("rank")
        .values_list("call_offer_id", flat=True)
    )


def _what_changed(
    call: Call, before: Sequence[int], after: Sequence[int], moved: int | None
) -> str:
    """What the last change did, in words (the page announces it)."""
    change, position = ranked_list.what_changed(before, after, moved)
    call_offer = (
        None
        if moved is None or change is Change.SAVED
        else CallOffer.objects.filter(call=call, pk=moved)
        .select_related("offer__agreement__partner")
        .first()
    )
    if call_offer is None:
        return _("Your ranking is saved.")
    values = {"partner": call_offer.offer.agreement.partner, "position": position}
    if change is Change.MOVED:
        return _("%(partner)s is now your choice number %(position)d.") % values
    if change is Change.ADDED:
        return _("%(partner)s added as your choice number %(position)d.") % values
    return _("%(partner)s removed from your ranking.") % values


@require_POST
@login_required
def save_ranking(request: HttpRequest, code: str) -> HttpResponse:
    """Store the posted ranking (the whole list, best first). With HTMX, answer with the
    panel; without, go back to the call page with a message."""
    call = _call(code)
    student = _require_student(request, call)
    before = _ranked_ids(call, student)
    form = RankingForm(request.POST)
    status = error = ""
    if form.is_valid():
        try:
            services.save_preferences(call=call, student=student, call_offer_ids=form.ranking())
        except SelectionError as refusal:
            error = str(refusal)
        else:
            status = _what_changed(call, before, form.ranking(), form.cleaned_data["moved"])
    else:
        error = " ".join(str(error) for errors in form.errors.values() for error in errors)
    if _is_htmx(request):
        context = _call_context(request, call, timezone.now())
        context["panel"].status = status
        context["panel"].error = error
        return render(request, "selection/call_detail.html#apply", context)
    # Without HTMX: back to the panel, whose status line shows the message (tagged
    # "ranking") where the student is looking; the page's top shows it too.
    if error:
        messages.error(request, error, extra_tags="ranking")
    else:
        messages.success(request, status, extra_tags="ranking")
    return _back_to(call, "ranking")


def _own_application(call: Call, student: User) -> Application | None:
    application = queries.application_of(call, student)
    if application is not None and not can(student, "selection.change_application", application):
        raise Http404
    return application


@require_POST
@login_required
def submit(request: HttpRequest, code: str) -> HttpResponse:
    call = _call(code)
    student = _require_student(request, call)
    application = _own_application(call, student)
    if application is None:
        messages.error(request, _("Rank at least one destination before submitting."))
        return _back_to(call)
    try:
        services.submit_application(application=application, actor=student)
    except SelectionError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _(
                "Your application is submitted. We sent a confirmation to %(email)s. You can "
                "still change your ranking or withdraw until the deadline."
            )
            % {"email": student.email or _("your e-mail address")},
        )
    return _back_to(call)


@require_POST
@login_required
def withdraw(request: HttpRequest, code: str) -> HttpResponse:
    call = _call(code)
    student = _require_student(request, call)
    application = _own_application(call, student)
    if application is None:
        messages.error(request, _("You have no application to this call to withdraw."))
        return _back_to(call)
    try:
        services.withdraw_application(application=application, actor=student)
    except SelectionError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _(
                "Your application is withdrawn: it will not be ranked. You can submit it again "
                "until the deadline."
            ),
        )
    return _back_to(call)


# -------------------------------------------------------------------------- the results


def _assignment(request: HttpRequest, call: Call, pk: int) -> Assignment:
    """The user's own assignment in a published round of the call, or 404."""
    assignment = get_object_or_404(
        Assignment.objects.select_related(
            "round", "application", "call_offer__offer__agreement__partner"
        ),
        pk=pk,
        round__call=call,
        round__state__in=VISIBLE_ROUNDS,
    )
    if not can(request.user, "selection.answer_assignment", assignment):
        raise Http404
    return assignment


@require_POST
@login_required
def accept(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    call = _call(code)
    assignment = _assignment(request, call, pk)
    try:
        services.accept_assignment(assignment=assignment, actor=_user(request))
    except SelectionError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _(
                "You accepted your seat at %(partner)s. The International Mobility Unit will "
                "nominate you to the host: watch your e-mail for the next steps."
            )
            % {"partner": assignment.call_offer.offer.agreement.partner},  # type: ignore[union-attr]
        )
    return _back_to(call)


@require_POST
@login_required
def renounce(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    call = _call(code)
    assignment = _assignment(request, call, pk)
    try:
        services.renounce_assignment(assignment=assignment, actor=request.user)
    except SelectionError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("You renounced the seat. It goes to the next round."))
    return _back_to(call)


# ---------------------------------------------------------------------- one application


@require_GET
@login_required
def application_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """One application, read-only: for its student (a receipt), the office, and the
    promoters of the call's Schools."""
    call = _call(code)
    application = get_object_or_404(
        Application.objects.select_related("student__course_of_study"), pk=pk, call=call
    )
    if not can(request.user, "selection.view_application", application):
        raise Http404
    preferences = list(
        application.preferences.select_related("call_offer__offer__agreement__partner").order_by(
            "rank"
        )
    )
    partners = {p.call_offer_id: str(p.call_offer.offer.agreement.partner) for p in preferences}
    results = build_results(list(_visible_assignments(application)), partners, timezone.now())
    return render(
        request,
        "selection/application_detail.html",
        {
            "call": call,
            "application": application,
            "preferences": preferences,
            "results": results,
            "score_parts": score_parts(application),
            "is_owner": application.student_id == request.user.pk,
            "count_label": ngettext(
                "%(count)d destination", "%(count)d destinations", len(preferences)
            )
            % {"count": len(preferences)},
        },
    )
