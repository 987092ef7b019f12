"""The office's ATHENS pages, under /networks/office/: the sessions, one session's steps (edit,
import the courses, rank, allocate, publish, close) with its ranking and allocation, the
import page, and the nominated students with the results to record for recognition.

Only the office (``networks.manage_sessions``): anybody else logged in gets a 404, an
anonymous visitor is sent to log in. Every step is a POST calling one service."""

from __future__ import annotations

from collections import Counter
from typing import Any, cast

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from abroad.core import audit, jobs
from abroad.core.permissions import office_page
from abroad.matching import explanation
from abroad.networks import importers, services
from abroad.networks import jobs as networks_jobs
from abroad.networks.enums import AllocationState, ApplicationState
from abroad.networks.forms import CourseImportForm, PublishForm, ResultForm, SessionForm
from abroad.networks.models import AthensSession, Participation
from abroad.networks.services import NetworksError
from abroad.people.models import User

OFFICE = "networks.manage_sessions"


def _user(request: HttpRequest) -> User:
    """The office user (every view here is an ``office_page``)."""
    return cast(User, request.user)


def _session(code: str) -> AthensSession:
    return get_object_or_404(AthensSession.objects.select_related("network"), code=code)


def _to_session(session: AthensSession, anchor: str = "") -> HttpResponse:
    url = reverse("networks:office_session", kwargs={"code": session.code})
    return redirect(f"{url}#{anchor}" if anchor else url)


def _form_errors(form: Any) -> str:
    return " ".join(
        f"{form.fields[name].label}: {error}" if name in form.fields else str(error)
        for name, errors in form.errors.items()
        for error in errors
    )


@office_page(OFFICE)
@require_http_methods(["GET"])
def session_list(request: HttpRequest) -> HttpResponse:
    sessions = (
        AthensSession.objects.select_related("network")
        .annotate(
            course_count=Count("courses", distinct=True),
            submitted_count=Count(
                "applications",
                filter=Q(applications__state=ApplicationState.SUBMITTED),
                distinct=True,
            ),
        )
        .order_by("-starts_on")
    )
    return render(request, "networks/office/session_list.html", {"sessions": sessions})


@office_page(OFFICE)
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """A new session, or one session's settings."""
    user = _user(request)
    session = _session(code) if code else None
    form = SessionForm(request.POST or None, instance=session)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        audit.record(actor=user, action="athens.session_saved", obj=saved, created=session is None)
        messages.success(request, _("The session is saved."))
        return _to_session(saved)
    return render(request, "networks/office/session_form.html", {"form": form, "session": session})


@office_page(OFFICE)
@require_http_methods(["GET"])
def session_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A session's steps, its courses with their places, and its ranked applications with
    what the allocation gave each."""
    session = _session(code)
    applications = list(
        session.applications.exclude(state=ApplicationState.DRAFT)
        .select_related("student", "allocation__course")
        .prefetch_related("choices__course")
        .order_by("rank", "submitted_at", "id")
    )
    courses = list(session.courses.select_related("host").order_by("code"))
    given: Counter[int] = Counter()
    accepted: Counter[int] = Counter()
    for application in applications:
        allocation = getattr(application, "allocation", None)
        if allocation is not None and allocation.course_id is not None:
            given[allocation.course_id] += 1
            if allocation.state == AllocationState.ACCEPTED:
                accepted[allocation.course_id] += 1
    rows = [(course, given[course.pk], accepted[course.pk]) for course in courses]
    # why each applicant got what they got, as the office reads it ("their 1st choice")
    names = {course.pk: f"{course.code} {course.title}" for course in courses}
    results = [(application, _result(application, names)) for application in applications]
    drafts = session.applications.filter(state=ApplicationState.DRAFT).count()
    state = session.state_at()
    return render(
        request,
        "networks/office/session_detail.html",
        {
            "session": session,
            "state": state,
            "can": services.open_steps(session, state),
            "applications": applications,
            "courses": rows,
            "results": results,
            "drafts": drafts,
            "publish_form": PublishForm(),
        },
    )


def _result(application: Any, names: dict[int, str]) -> str:
    """What the allocation gave one applicant and why, for the office ("got their choice 2;
    choice 1 (NO03 ...): full, last place at score 26,840")."""
    allocation = getattr(application, "allocation", None)
    if allocation is None:
        return ""
    return explanation.office_line(allocation.explanation or {}, names, unit=explanation.Unit.PLACE)


def _step(request: HttpRequest, code: str, action: str) -> HttpResponse:
    user = _user(request)
    session = _session(code)
    try:
        if action == "rank":
            ranked = services.rank_session(session=session, actor=user)
            messages.success(
                request, _("%(count)d eligible applications ranked.") % {"count": ranked}
            )
        elif action == "allocate":
            result = services.allocate_session(session=session, actor=user)
            given = sum(1 for course in result.assignment.values() if course is not None)
            messages.success(
                request,
                _(
                    "%(given)d of %(total)d students got a course. Check the result, then "
                    "publish it."
                )
                % {"given": given, "total": len(result.assignment)},
            )
        elif action == "publish":
            form = PublishForm(request.POST)
            if not form.is_valid():
                raise NetworksError(_form_errors(form))
            services.publish_results(
                session=session,
                acceptance_deadline=form.cleaned_data["acceptance_deadline"],
                actor=user,
            )
            messages.success(request, _("The results are published to the students."))
        elif action == "close":
            expired = services.close_session(session=session, actor=user)
            messages.success(
                request,
                _("The session is closed; %(count)d unanswered places expired.")
                % {"count": expired},
            )
    except NetworksError as refusal:
        messages.error(request, str(refusal))
    return _to_session(session, "steps")


@office_page(OFFICE)
@require_POST
def rank(request: HttpRequest, code: str) -> HttpResponse:
    return _step(request, code, "rank")


@office_page(OFFICE)
@require_POST
def allocate(request: HttpRequest, code: str) -> HttpResponse:
    return _step(request, code, "allocate")


@office_page(OFFICE)
@require_POST
def publish(request: HttpRequest, code: str) -> HttpResponse:
    return _step(request, code, "publish")


@office_page(OFFICE)
@require_POST
def close(request: HttpRequest, code: str) -> HttpResponse:
    return _step(request, code, "close")


@office_page(OFFICE)
@require_http_methods(["GET", "POST"])
def import_courses(request: HttpRequest, code: str) -> HttpResponse:
    """Import the session's courses from a spreadsheet: all or nothing, every bad row named;
    the check (dry run) in the request, the import as a background job (abroad.core.jobs)."""
    user = _user(request)
    session = _session(code)
    form = CourseImportForm()
    report = None
    if request.method == "POST":
        form = CourseImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if not form.cleaned_data["dry_run"]:
                # the import runs in the background worker; its page shows the report
                with transaction.atomic():
                    job = jobs.submit(
                        networks_jobs.COURSES_IMPORT,
                        requested_by=user,
                        params={"session": session.code},
                        upload=upload,
                        upload_name=upload.name,
                    )
                return redirect("job", pk=job.pk)
            # the check (bounded by ABROAD_IMPORT_MAX_*) stays in the request
            report = importers.import_courses(
                upload, session=session, name=upload.name, dry_run=True, actor=user
            )
    return render(
        request,
        "networks/office/import.html",
        {
            "session": session,
            "form": form,
            "report": report,
            "columns": importers.column_help(),
        },
    )


@office_page(OFFICE)
@require_http_methods(["GET"])
def participants(request: HttpRequest, code: str) -> HttpResponse:
    """The nominated students of a session, with the result of each to record."""
    session = _session(code)
    rows = [
        (
            participation,
            ResultForm(
                initial={
                    "passed": "yes" if participation.passed is not False else "no",
                    "ects_earned": participation.ects_earned,
                },
                prefix=f"p{participation.pk}",
            ),
        )
        for participation in services.nominations(session)
    ]
    return render(request, "networks/office/participants.html", {"session": session, "rows": rows})


@office_page(OFFICE)
@require_POST
def record_result(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    participation = get_object_or_404(
        Participation.objects.select_related("course__session", "student"), pk=pk
    )
    session = participation.course.session
    form = ResultForm(request.POST, prefix=f"p{participation.pk}")
    if not form.is_valid():
        messages.error(request, _form_errors(form))
    else:
        try:
            services.record_result(
                participation=participation,
                passed=form.cleaned_data["passed"],
                ects_earned=form.cleaned_data["ects_earned"],
                actor=user,
            )
        except NetworksError as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(
                request,
                _("Result recorded for %(student)s.")
                % {"student": participation.student.get_full_name()},
            )
    url = reverse("networks:office_participants", kwargs={"code": session.code})
    return redirect(f"{url}#participation-{participation.pk}")
