"""The public and student pages of ATHENS: the sessions, a session's course catalogue with its
filters and map, and the student's application (ranked courses, motivation, submission,
withdrawal, the allocated course to accept or decline).

Every write goes through :mod:`abroad.networks.services`; a refusal (:class:`NetworksError`)
is shown as it is. The application page works without JavaScript: each button is a small form
that posts the whole new ranking and comes back to the page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from abroad.core.cache import public_page
from abroad.core.permissions import can, require
from abroad.matching import explanation
from abroad.matching import panel as ranked_list
from abroad.matching.panel import Change
from abroad.networks import queries, services
from abroad.networks.enums import AllocationState, ResultsState
from abroad.networks.forms import ChoicesForm, CourseFilterForm, MotivationForm, filter_courses
from abroad.networks.models import AthensAllocation, AthensApplication, AthensCourse, AthensSession
from abroad.networks.services import NetworksError
from abroad.people.models import User

VISIBLE_RESULTS = (ResultsState.PUBLISHED, ResultsState.CLOSED)


def _session(code: str) -> AthensSession:
    return get_object_or_404(AthensSession.objects.select_related("network"), code=code)


def _courses(session: AthensSession) -> list[AthensCourse]:
    return list(session.courses.select_related("host").order_by("host__name", "code"))


# ------------------------------------------------------------------------- the sessions


@require_GET
@public_page
def session_list(request: HttpRequest) -> HttpResponse:
    """Every ATHENS session, newest first, with its courses and places; a student also sees
    the state of their application to each."""
    sessions = list(
        AthensSession.objects.select_related("network")
        .annotate(course_count=Count("courses"))
        .order_by("-starts_on")
    )
    applications: dict[int, AthensApplication] = {}
    if can(request.user, "networks.apply_to_session"):
        applications = {a.session_id: a for a in queries.applications_of(cast(User, request.user))}
    now = timezone.now()
    rows = [(session, session.state_at(now), applications.get(session.pk)) for session in sessions]
    return render(
        request,
        "networks/session_list.html",
        {"rows": rows, "is_student": can(request.user, "networks.apply_to_session")},
    )


@require_GET
@public_page
def session_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A session's public catalogue: its courses with the filters in the URL, and the map."""
    session = _session(code)
    courses = _courses(session)
    form = CourseFilterForm(request.GET or None, courses=courses)
    wanted = form.wanted()
    shown = filter_courses(courses, wanted)
    query = request.GET.urlencode()
    return render(
        request,
        "networks/session_detail.html",
        {
            "session": session,
            "state": session.state_at(),
            "form": form,
            "courses": shown,
            "total": len(courses),
            "filtered": bool(wanted),
            "query": query,
            "is_student": can(request.user, "networks.apply_to_session"),
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        },
    )


@require_GET
@public_page
def session_map_data(request: HttpRequest, code: str) -> JsonResponse:
    """The session's hosts on the map, in the shape the catalogue's map script reads: one
    point per host with its courses (as the "agreements" list) and places."""
    session = _session(code)
    courses = _courses(session)
    form = CourseFilterForm(request.GET or None, courses=courses)
    shown = filter_courses(courses, form.wanted())
    page = session.get_absolute_url()
    points: dict[int, dict[str, Any]] = {}
    for course in shown:
        host = course.host
        if host.latitude is None or host.longitude is None:
            continue
        point = points.setdefault(
            host.pk,
            {
                "id": host.pk,
                "name": host.display_name,
                "city": host.city,
                "country": str(host.country.name),
                "lat": float(host.latitude),
                "lon": float(host.longitude),
                "url": f"{page}?host={host.pk}#courses",
                "offers": 0,
                "seats": 0,
                "agreements": [],
            },
        )
        point["offers"] += 1
        point["seats"] += course.capacity
        point["agreements"].append(
            {
                "id": course.pk,
                "code": f"{course.code} {course.title}",
                "url": f"{page}?host={host.pk}#course-{course.pk}",
            }
        )
    found = sorted(points.values(), key=lambda point: point["name"])
    return JsonResponse({"points": found, "count": len(found)})


# ---------------------------------------------------------------------- the application


def _result(
    allocation: AthensAllocation | None, courses: dict[int, AthensCourse], now: dt.datetime
) -> dict[str, Any] | None:
    """What the published allocation gave the student, and why not a better choice."""
    if allocation is None:
        return None
    session = allocation.application.session
    if session.results_state not in VISIBLE_RESULTS:
        return None
    skipped = [
        {
            "choice": item.get("choice"),
            "course": courses.get(item.get("option") or 0),
            "why": explanation.skip_reason(item, unit=explanation.Unit.PLACE),
        }
        for item in allocation.explanation.get("skipped", [])
    ]
    deadline = session.acceptance_deadline
    offered = allocation.state == AllocationState.OFFERED
    return {
        "allocation": allocation,
        "skipped": skipped,
        "answerable": offered
        and session.results_state == ResultsState.PUBLISHED
        and (deadline is None or now < deadline),
        "deadline": deadline,
    }


def _require_student(request: HttpRequest) -> User:
    require(
        request.user,
        "networks.apply_to_session",
        None,
        _("Only students apply to ATHENS sessions."),
    )
    return cast(User, request.user)


def _ranked_ids(application: AthensApplication | None) -> list[int]:
    if application is None:
        return []
    return list(application.choices.order_by("rank").values_list("course_id", flat=True))


@require_GET
@login_required
def apply(request: HttpRequest, code: str) -> HttpResponse:
    """The student's application: eligibility, ranked courses, motivation, submission, and
    the allocated course once published."""
    session = _session(code)
    student = _require_student(request)
    now = timezone.now()
    application = (
        AthensApplication.objects.filter(session=session, student=student)
        .select_related("session")
        .first()
    )
    courses = _courses(session)
    ranking, choosable = ranked_list.build(
        courses,
        _ranked_ids(application),
        session.max_choices,
        key=lambda course: course.pk,
        label=lambda course: course.title,
    )
    allocation = (
        AthensAllocation.objects.filter(application=application)
        .select_related("course__host", "application__session")
        .first()
        if application
        else None
    )
    motivation = MotivationForm(
        initial={"motivation": application.motivation if application else ""}
    )
    return render(
        request,
        "networks/apply.html",
        {
            "session": session,
            "state": session.state_at(now),
            "editable": session.is_open(now),
            "application": application,
            "ranking": ranking,
            "choosable": choosable,
            "full": len(ranking) >= session.max_choices,
            "problems": services.eligibility_problems(session, student),
            "motivation_form": motivation,
            "result": _result(allocation, {c.pk: c for c in courses}, now),
        },
    )


def _back(session: AthensSession, anchor: str = "") -> HttpResponseRedirect:
    url = reverse("networks:apply", kwargs={"code": session.code})
    return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)


def _what_changed(
    session: AthensSession, before: Sequence[int], after: Sequence[int], moved: int | None
) -> str:
    change, position = ranked_list.what_changed(before, after, moved)
    course = (
        None
        if moved is None or change is Change.SAVED
        else AthensCourse.objects.filter(session=session, pk=moved).first()
    )
    if course is None:
        return _("Your courses are saved.")
    values = {"course": course.title, "position": position}
    if change is Change.MOVED:
        return _("%(course)s is now your choice number %(position)d.") % values
    if change is Change.ADDED:
        return _("%(course)s added as your choice number %(position)d.") % values
    return _("%(course)s removed from your courses.") % values


@require_POST
@login_required
def save_choices(request: HttpRequest, code: str) -> HttpResponse:
    session = _session(code)
    student = _require_student(request)
    before = _ranked_ids(queries.application_of(session, student))
    form = ChoicesForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _back(session, "ranking")
    try:
        services.save_choices(session=session, student=student, course_ids=form.ranking())
    except NetworksError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request, _what_changed(session, before, form.ranking(), form.cleaned_data["moved"])
        )
    return _back(session, "ranking")


@require_POST
@login_required
def save_motivation(request: HttpRequest, code: str) -> HttpResponse:
    session = _session(code)
    student = _require_student(request)
    form = MotivationForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _back(session, "motivation")
    try:
        services.save_motivation(
            session=session, student=student, motivation=form.cleaned_data["motivation"]
        )
    except NetworksError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Your motivation is saved."))
    return _back(session, "motivation")


def _own_application(session: AthensSession, student: User) -> AthensApplication:
    application = queries.application_of(session, student)
    if application is None or not can(student, "networks.change_athens_application", application):
        raise Http404
    return application


@require_POST
@login_required
def submit(request: HttpRequest, code: str) -> HttpResponse:
    session = _session(code)
    student = _require_student(request)
    application = queries.application_of(session, student)
    if application is None:
        messages.error(request, _("Rank at least one course before submitting."))
        return _back(session)
    try:
        services.submit_application(application=application, actor=student)
    except NetworksError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _(
                "Your application is submitted. You can still change it or withdraw it until "
                "the deadline."
            ),
        )
    return _back(session, "application")


@require_POST
@login_required
def withdraw(request: HttpRequest, code: str) -> HttpResponse:
    session = _session(code)
    student = _require_student(request)
    application = _own_application(session, student)
    try:
        services.withdraw_application(application=application, actor=student)
    except NetworksError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("Your application is withdrawn. You can submit it again until the deadline."),
        )
    return _back(session, "application")


def _own_allocation(request: HttpRequest, session: AthensSession) -> AthensAllocation:
    allocation = (
        AthensAllocation.objects.select_related("application__session", "course")
        .filter(
            application__session=session,
            application__student_id=request.user.pk,
            application__session__results_state__in=VISIBLE_RESULTS,
        )
        .first()
    )
    if allocation is None or not can(request.user, "networks.answer_allocation", allocation):
        raise Http404
    return allocation


@require_POST
@login_required
def accept(request: HttpRequest, code: str) -> HttpResponse:
    session = _session(code)
    allocation = _own_allocation(request, session)
    try:
        participation = services.accept_allocation(
            allocation_row=allocation, actor=cast(User, request.user)
        )
    except NetworksError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _(
                "You accepted %(course)s. The International Mobility Unit nominates you to "
                "%(host)s; watch your e-mail for the next steps."
            )
            % {
                "course": participation.course.title,
                "host": participation.course.host.display_name,
            },
        )
    return _back(session, "result")


@require_POST
@login_required
def decline(request: HttpRequest, code: str) -> HttpResponse:
    session = _session(code)
    allocation = _own_allocation(request, session)
    try:
        services.decline_allocation(allocation_row=allocation, actor=request.user)
    except NetworksError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("You declined the course."))
    return _back(session, "result")
