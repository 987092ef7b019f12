"""The student's side of the calls: the calls open to them, the call page with the
destinations they can choose and their ranking, submission, withdrawal, and the results of
each published round with the seat to accept or renounce.

Every write goes through :mod:`abroad.selection.services`; a refused transition raises
:class:`~abroad.selection.services.SelectionError`, whose message is shown as it is. The
ranking panel works with HTMX (the panel is re-rendered in place) and without JavaScript
(each button is a form that posts the whole new ranking and redirects back)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from abroad.catalogue.enums import MobilityType
from abroad.catalogue.forms import ANY, OfferFilterForm, all_isced_choices, fixed_choices
from abroad.catalogue.models import CourseOfStudy, Offer, display_name, offer_label
from abroad.catalogue.queries import OfferFilter, country_names, filter_offers
from abroad.core.enums import Language, choice_labels
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
from abroad.selection.services import SelectionError
from abroad.selection.student_state import StudentState, double_commitment

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


# The destinations a student can choose are shown a page at a time; the ones not open to
# them are grouped by reason, each group naming at most a few (the search finds the others).
PAGE_SIZE = 25
NOT_OPEN_NAMED = 5


class PlainSelect(forms.Select):
    """A select with plain options, written in Python: Django renders each option through its
    own template, which made the filters (some 180 options) a third of the page's time. The
    markup is the same as Django's."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        chosen = {str(item) for item in self.format_value(value)}
        options = [
            format_html(
                '<option value="{}"{}>{}</option>',
                "" if option is None else option,
                mark_safe(" selected") if str(option or "") in chosen else "",
                label,
            )
            for option, label in self.choices
        ]
        return format_html(
            '<select name="{}"{}>\n{}\n</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            mark_safe("\n".join(options)),
        )


class CallOfferFilterForm(forms.Form):
    """The catalogue's filters that a call's destinations need (the catalogue's own fields,
    so a filter means the same on both pages); the countries are the call's."""

    q = OfferFilterForm.base_fields["q"]
    country = forms.ChoiceField(label=gettext_lazy("Country"), required=False)
    programme = OfferFilterForm.base_fields["programme"]
    eqf = OfferFilterForm.base_fields["eqf"]
    isced = OfferFilterForm.base_fields["isced"]
    language = OfferFilterForm.base_fields["language"]
    mobility_type = OfferFilterForm.base_fields["mobility_type"]

    def __init__(self, data: Any, *, country_codes: Collection[str]) -> None:
        super().__init__(data)
        # The catalogue's labels, translated once per language (lazy ones would be translated
        # option by option at each rendering), and every subject area of ISCED-F.
        fixed = {**fixed_choices(), "isced": all_isced_choices()}
        for name, choice_field in self.fields.items():
            if isinstance(choice_field, forms.ChoiceField):
                if name in fixed:
                    choice_field.choices = fixed[name]
                choice_field.widget = PlainSelect(choices=cast(Any, choice_field.choices))
        country_field = self.fields["country"]
        assert isinstance(country_field, forms.ChoiceField)
        names = country_names()  # every name at once: countries.name(code) goes through them all
        country_field.choices = ANY + sorted(
            ((code, names.get(code, "")) for code in set(country_codes)),
            key=lambda item: str(item[1]),
        )

    def to_filter(self) -> OfferFilter:
        """The valid filters (an invalid value is dropped and shown as an error)."""
        if not self.is_bound:
            return OfferFilter()
        self.is_valid()
        data = {
            name: value
            for name, value in getattr(self, "cleaned_data", {}).items()
            if name not in self.errors
        }
        return OfferFilter(
            country=data.get("country") or "",
            programme=data.get("programme") or "",
            eqf=data.get("eqf"),
            isced=data.get("isced") or "",
            language=data.get("language") or "",
            mobility_type=data.get("mobility_type") or "",
            q=(data.get("q") or "").strip(),
        )


@dataclass
class Destinations:
    """The call's destinations as the filters and the page number select them."""

    form: CallOfferFilterForm
    wanted: OfferFilter
    query: str  # the filters as a query string (no page), for links and the ranking's forms
    page_number: str | None = None

    @property
    def filtered(self) -> bool:
        return not self.wanted.is_empty()

    @property
    def active_filters(self) -> int:
        return sum(
            1
            for name, value in vars(self.wanted).items()
            if name != "sort" and value not in ("", None)
        )


@dataclass
class ReasonGroup:
    """The destinations not open to the student for one reason: the reason once, how many,
    and the first few of them."""

    reason: str
    count: int
    named: list[str]  # the labels of the first few

    @property
    def more(self) -> int:
        return self.count - len(self.named)


@dataclass
class Panel:
    """The ranking panel: the ranking, the destinations to choose from (a page of those the
    filters select), the others grouped by reason, and whether the student can still change
    anything."""

    ranking: list[RankedItem[CallOffer]]
    page: Page[Choice[CallOffer]]
    choosable: int  # every destination open to the student, whatever the filters
    not_open: int  # every destination not open to the student, whatever the filters
    not_open_selected: int  # those of them that the filters select
    groups: list[ReasonGroup]
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

    @property
    def choices(self) -> list[Choice[CallOffer]]:
        return list(self.page.object_list)


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


def group_by_reason(
    unavailable: Sequence[int], reasons: Mapping[int, Sequence[str]]
) -> list[Group]:
    """One group per reason (largest first) of the call offers ``unavailable``, naming the
    first few; a destination with two reasons is in both."""
    members: dict[str, list[int]] = {}
    for pk in unavailable:
        for reason in reasons[pk]:
            members.setdefault(str(reason), []).append(pk)
    return [
        Group(reason=reason, count=len(pks), named=pks[:NOT_OPEN_NAMED])
        for reason, pks in sorted(members.items(), key=lambda item: (-len(item[1]), item[0]))
    ]


@dataclass
class Group:
    """A reason group as ids, before its destinations are loaded."""

    reason: str
    count: int
    named: list[int]


@dataclass
class Plan:
    """What the panel shows, as call offer ids, before anything is loaded: the call's order,
    the ranking, the page of choosable destinations, the groups of the others."""

    ranked: list[int]
    page: Page[int]
    choosable: int
    not_open: int
    not_open_selected: int
    groups: list[Group]

    def needed(self) -> set[int]:
        """The call offers to load: the ranking and the page."""
        return {*self.ranked, *self.page.object_list}

    def named(self) -> set[int]:
        """The call offers the groups name (by their label only)."""
        return {pk for group in self.groups for pk in group.named}


def plan_panel(
    order: Sequence[int],
    reasons: Mapping[int, Sequence[str]],
    ranked_ids: Sequence[int],
    *,
    selected: set[int] | None = None,
    page_number: str | None = None,
) -> Plan:
    """The panel in ids: ``order`` is every call offer of the call as the page lists them,
    ``reasons`` why the student cannot choose each, ``selected`` those the filters select
    (None: every one). Plain Python over ids, so thousands of destinations cost little."""
    available = [pk for pk in order if not reasons.get(pk)]
    unavailable = [pk for pk in order if reasons.get(pk)]
    unavailable_selected = [pk for pk in unavailable if selected is None or pk in selected]
    shown = [pk for pk in available if selected is None or pk in selected]
    return Plan(
        ranked=[pk for pk in ranked_ids if pk in reasons],
        page=Paginator(shown, PAGE_SIZE).get_page(page_number),
        choosable=len(available),
        not_open=len(unavailable),
        not_open_selected=len(unavailable_selected),
        groups=group_by_reason(unavailable_selected, reasons),
    )


def build_panel(
    call: Call,
    plan: Plan,
    reasons: Mapping[int, Sequence[str]],
    loaded: dict[int, CallOffer],
    labels: dict[int, str],
    *,
    editable: bool,
) -> Panel:
    """The panel from its plan, with the call offers it shows ``loaded`` and the ``labels`` of
    those its groups name."""
    page_ids = list(plan.page.object_list)
    options = [loaded[pk] for pk in dict.fromkeys([*plan.ranked, *page_ids])]
    ranking, choices = ranked_list.build(
        options,
        plan.ranked,
        call.max_preferences,
        key=lambda call_offer: call_offer.pk,
        label=lambda call_offer: call_offer.offer.label,
        reasons=lambda call_offer: list(reasons[call_offer.pk]),
    )
    by_id = {choice.option.pk: choice for choice in choices}
    return Panel(
        ranking=ranking,
        # The same page of the same paginator, holding the choices of its ids.
        page=Page(
            [by_id[pk] for pk in page_ids],
            plan.page.number,
            cast("Paginator[Choice[CallOffer]]", plan.page.paginator),
        ),
        choosable=plan.choosable,
        not_open=plan.not_open,
        not_open_selected=plan.not_open_selected,
        groups=[
            ReasonGroup(g.reason, g.count, [labels[pk] for pk in g.named]) for g in plan.groups
        ],
        editable=editable,
        max_preferences=call.max_preferences,
    )


def call_offer_labels(ids: set[int]) -> dict[int, str]:
    """The labels of the call offers ``ids``, read as values (one query, no models)."""
    if not ids:
        return {}
    return {
        pk: offer_label(
            institution=display_name(name, name_en),
            programme=programme,
            network=network or "",
            months=months,
            weeks=weeks,
        )
        for pk, name_en, name, programme, network, months, weeks in CallOffer.objects.filter(
            pk__in=ids
        ).values_list(
            "pk",
            "offer__agreement__partner__name_en",
            "offer__agreement__partner__name",
            "offer__agreement__programme",
            "offer__agreement__network__name",
            "offer__months",
            "offer__weeks",
        )
    }


def load_call_offers(ids: set[int]) -> dict[int, CallOffer]:
    """The call offers ``ids`` with what their label and summary show (one query)."""
    loaded = {
        call_offer.pk: call_offer
        for call_offer in CallOffer.objects.filter(pk__in=ids).select_related(
            "offer__agreement__partner", "offer__agreement__network"
        )
    }
    name_facts(loaded.values())
    return loaded


def name_facts(call_offers: Iterable[CallOffer]) -> None:
    """Name each offer's type and language of instruction for its summary, as
    ``mobility_type_name`` and ``language_name``, from labels read once for the whole page
    (:func:`~abroad.core.enums.choice_labels`): Django's ``get_language_display`` would
    translate the whole list of languages on every call."""
    types = choice_labels(MobilityType)
    languages = choice_labels(Language)
    for call_offer in call_offers:
        offer = call_offer.offer
        # Read by the template only: not fields of the model.
        vars(offer).update(
            mobility_type_name=types.get(offer.mobility_type, offer.mobility_type),
            language_name=languages.get(offer.language, offer.language),
        )


def call_countries(call: Call) -> list[str]:
    return list(
        call.call_offers.order_by()
        .values_list("offer__agreement__partner__country", flat=True)
        .distinct()
    )


def destinations(request: HttpRequest, country_codes: Collection[str]) -> Destinations:
    """The filters and the page the request asks for; ``country_codes``: the call's."""
    params = request.GET.copy()
    page_number = params.pop("page", [None])[-1]
    form = CallOfferFilterForm(request.GET or None, country_codes=country_codes)
    return Destinations(
        form=form, wanted=form.to_filter(), query=params.urlencode(), page_number=page_number
    )


def selected_ids(call: Call, wanted: OfferFilter) -> set[int] | None:
    """The call offers the filters select (one query; None without filters): the catalogue's
    :func:`~abroad.catalogue.queries.filter_offers` over the call's offers."""
    if wanted.is_empty():
        return None
    offers = filter_offers(Offer.objects.filter(call_offers__call=call), wanted)
    return set(
        CallOffer.objects.filter(call=call, offer__in=offers.order_by().values("pk")).values_list(
            "pk", flat=True
        )
    )


def build_results(
    assignments: Sequence[Assignment], labels: dict[int, str], now: dt.datetime
) -> list[Result]:
    """Each round's result; ``labels`` name the call offers the explanation skipped."""
    results = []
    for assignment in assignments:
        skipped = [
            Skip(
                choice=int(item.get("choice") or 0),
                partner=labels.get(item.get("option") or 0, _("a destination")),
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
        .select_related(
            "round",
            "call_offer__offer__agreement__partner",
            "call_offer__offer__agreement__network",
        )
        .order_by("round__number")
    )


# --------------------------------------------------------------------------- the calls


@dataclass
class Commitment:
    """A student who accepted a seat and still has another application in the running: the
    calls of the accepted seats and of those applications (the pages warn)."""

    accepted: list[Call]
    in_the_running: list[Call]

    def __bool__(self) -> bool:
        return bool(self.accepted and self.in_the_running)


def commitment(states: dict[int, StudentState], calls: dict[int, Call]) -> Commitment:
    accepted, others = double_commitment(list(states.items()))
    return Commitment([calls[pk] for pk in accepted], [calls[pk] for pk in others])


@require_GET
@login_required
def call_list(request: HttpRequest) -> HttpResponse:
    """The calls open now: a student's School's ones, with their state on each; and the
    student's applications to calls that are not open any more (for their results)."""
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
        application.call_id: application for application in queries.applications_of(user)
    }
    states = queries.student_states(user, now)
    rows = [
        (call, applications.get(call.pk), states.get(call.pk, StudentState.NOT_STARTED))
        for call in calls
    ]
    open_ids = {call.pk for call in calls}
    earlier = sorted(
        (
            (application, states[application.call_id])
            for application in applications.values()
            if application.call_id not in open_ids
        ),
        key=lambda pair: pair[0].call.closes_at,
        reverse=True,
    )
    every_call = {a.call_id: a.call for a in applications.values()}
    return render(
        request,
        "selection/call_list.html",
        {
            "rows": rows,
            "earlier": earlier,
            "course": course,
            "is_student": can(user, "selection.apply_to_call"),
            "now": now,
            "commitment": commitment(states, every_call),
        },
    )


def _student_context(
    request: HttpRequest, call: Call, student: User, now: dt.datetime
) -> dict[str, Any]:
    """What the call page shows a student: their state, eligibility, the ranking panel (the
    destinations the filters select), the results."""
    application = queries.application_of(call, student)
    if application is not None:
        application.call = call  # the rules ask the application's call
    ranked_ids: list[int] = (
        list(application.preferences.order_by("rank").values_list("call_offer_id", flat=True))
        if application
        else []
    )
    # One read of the call's offers in the page's order, each with why it is not open.
    rows = services.ordered_availability(call, student)
    reasons = {pk: why for pk, _country, why in rows}
    chosen = destinations(request, {country for _pk, country, _why in rows})
    plan = plan_panel(
        [pk for pk, _country, _why in rows],
        reasons,
        ranked_ids,
        selected=selected_ids(call, chosen.wanted),
        page_number=chosen.page_number,
    )
    assignments = list(_visible_assignments(application)) if application else []
    skipped = {
        int(item["option"])
        for assignment in assignments
        for item in assignment.explanation.get("skipped", [])
        if item.get("option")
    }
    loaded = load_call_offers(plan.needed())
    name_facts(a.call_offer for a in assignments if a.call_offer is not None)
    labels = call_offer_labels(plan.named() | skipped)
    panel = build_panel(call, plan, reasons, loaded, labels, editable=call.is_open(now))
    panel.closed = call.state_at(now) is WindowState.CLOSED
    results = build_results(assignments, labels, now)
    states = queries.student_states(student, now)
    state = states.get(
        call.pk,
        StudentState.NOT_APPLIED if panel.closed else StudentState.NOT_STARTED,
    )
    applied_calls = (
        {a.call_id: a.call for a in queries.applications_of(student)}
        if double_commitment(list(states.items()))[0]
        else {}
    )
    held = commitment(states, applied_calls) if applied_calls else Commitment([], [])
    return {
        "chosen": chosen,
        "application": application,
        "panel": panel,
        "state": state,
        "commitment": held if call in held.accepted + held.in_the_running else None,
        # Eligibility matters while the student can still apply: a closed call says so.
        "problems": [] if panel.closed else services.eligibility_problems(call, student),
        "results": results,
        "score_parts": score_parts(application) if application else [],
        "show_score": application is not None
        and (application.score is not None or application.eligible is False),
    }


def _public_context(request: HttpRequest, call: Call) -> dict[str, Any]:
    """The call's destinations for everybody else: a page of those the filters select."""
    chosen = destinations(request, call_countries(call))
    call_offers = call.call_offers.select_related(
        "offer__agreement__partner", "offer__agreement__network"
    ).order_by(*services.by_partner())
    selected = selected_ids(call, chosen.wanted)
    if selected is not None:
        call_offers = call_offers.filter(pk__in=selected)
    offers_page = Paginator(call_offers, PAGE_SIZE).get_page(chosen.page_number)
    name_facts(offers_page)
    return {"chosen": chosen, "offers_page": offers_page}


def _call_context(request: HttpRequest, call: Call, now: dt.datetime) -> dict[str, Any]:
    user = request.user
    context: dict[str, Any] = {
        "call": call,
        "call_state": call.state_at(now),
        "is_student": can(user, "selection.apply_to_call", call),
    }
    if context["is_student"]:
        context |= _student_context(request, call, _user(request), now)
    else:
        context |= _public_context(request, call)
    query = context["chosen"].query
    context["ranking_action"] = reverse("selection:ranking", kwargs={"code": call.code}) + (
        f"?{query}" if query else ""
    )
    return context


@require_GET
def call_detail(request: HttpRequest, code: str) -> HttpResponse:
    """The call's page: public; a student also ranks destinations and sees their results."""
    call = _call(code)
    return render(
        request, "selection/call_detail.html", _call_context(request, call, timezone.now())
    )


# ------------------------------------------------------------------------ the ranking


def _back_to(call: Call, anchor: str = "", query: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(
        call.get_absolute_url() + (f"?{query}" if query else "") + (f"#{anchor}" if anchor else "")
    )


def _refused(request: HttpRequest, call: Call, error: str, tags: str = "") -> HttpResponse:
    """A refused save or submit without HTMX: the call's page with the reason, answered 409
    (Conflict), so that a client tells it from a success (a redirect to the page) by the
    status, not only by the message. Nothing was stored."""
    messages.error(request, error, extra_tags=tags)
    context = _call_context(request, call, timezone.now())
    return render(request, "selection/call_detail.html", context, status=409)


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
        .select_related("offer__agreement__partner", "offer__agreement__network")
        .first()
    )
    if call_offer is None:
        return _("Your ranking is saved.")
    values = {"partner": call_offer.offer.label, "position": position}
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
        return _ranking_answer(request, call, status=status, error=error)
    # Without HTMX: back to the panel, whose status line shows the message (tagged
    # "ranking") where the student is looking; the page's top shows it too. A refusal is the
    # page itself, answered 409.
    if error:
        return _refused(request, call, error, "ranking")
    messages.success(request, status, extra_tags="ranking")
    # The filters and the page the student was looking at travel in the query string.
    return _back_to(call, "ranking", request.GET.urlencode())


def _ranking_answer(request: HttpRequest, call: Call, *, status: str, error: str) -> HttpResponse:
    """The HTMX answer to a change of the ranking: only what the change touches, the ranking
    with the application (swapped in place of #ranking-panel) and the page's choices with
    their add buttons (out of band), not the filters nor the destinations not open."""
    context = _call_context(request, call, timezone.now())
    context["panel"].status = status
    context["panel"].error = error
    parts = [render_to_string("selection/call_detail.html#ranking-panel", context, request)]
    if not context["panel"].closed:
        context["oob"] = True
        parts.append(render_to_string("selection/call_detail.html#choice-list", context, request))
    return HttpResponse("".join(parts))


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
        return _refused(request, call, _("Rank at least one destination before submitting."))
    try:
        services.submit_application(application=application, actor=student)
    except SelectionError as refusal:
        return _refused(request, call, str(refusal))
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
            "round",
            "application",
            "call_offer__offer__agreement__partner",
            "call_offer__offer__agreement__network",
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
            % {"partner": assignment.call_offer.offer.label},  # type: ignore[union-attr]
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
        application.preferences.select_related(
            "call_offer__offer__agreement__partner", "call_offer__offer__agreement__network"
        ).order_by("rank")
    )
    labels = {p.call_offer_id: p.call_offer.offer.label for p in preferences}
    now = timezone.now()
    assignments = list(_visible_assignments(application))
    name_facts(
        [p.call_offer for p in preferences]
        + [a.call_offer for a in assignments if a.call_offer is not None]
    )
    results = build_results(assignments, labels, now)
    states = queries.student_states(application.student, now)
    held = Commitment([], [])
    if double_commitment(list(states.items()))[0]:
        held = commitment(
            states, {a.call_id: a.call for a in queries.applications_of(application.student)}
        )
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
            "state": states[call.pk],
            "commitment": held if call in held.in_the_running else None,
            "count_label": ngettext(
                "%(count)d destination", "%(count)d destinations", len(preferences)
            )
            % {"count": len(preferences)},
        },
    )
