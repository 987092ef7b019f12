"""Every write and state transition of ATHENS sessions and double-degree plans, and the
reads the pages share (eligibility, the Alliance4Tech stays). Views, the CLI and the demo call
these functions; each write runs in one transaction, writes an audit event, and refuses with a
:class:`NetworksError` whose message is shown as it is.

The ATHENS flow: the student saves ranked course choices and a motivation (a draft), submits,
changes or withdraws until the deadline; after it the office ranks (the engineering merit
formula of ``matching/ranking.py``), allocates with the calls' engine
(``matching.allocation.allocate``: one course per student, each course's places), looks at
the result (a dry run it may repeat), publishes it with an acceptance deadline; each student
accepts or declines; accepting nominates the student (a :class:`Participation`, and a short
mobility when the host has an ATHENS agreement); the office closes the session after the
deadline (silence is declining) and records the ECTS each participant earned."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from abroad.catalogue.enums import AgreementStatus
from abroad.catalogue.models import Offer
from abroad.core import audit
from abroad.core.permissions import require_actor
from abroad.matching import allocation, ranking, window
from abroad.matching.applications import require_withdrawable
from abroad.matching.explanation import to_data as explanation_data
from abroad.matching.window import MatchingError, WindowState, when
from abroad.mobility.checks import credits as table_credits
from abroad.mobility.enums import MobilityKind, MobilityState, Table
from abroad.mobility.models import Mobility
from abroad.mobility.queries import acting_for, in_force_or_latest
from abroad.mobility.services import create_mobility
from abroad.networks import certificate, double_degree, emails, queries
from abroad.networks.enums import AllocationState, ApplicationState, PlanState, ResultsState
from abroad.networks.models import (
    AthensAllocation,
    AthensApplication,
    AthensChoice,
    AthensCourse,
    AthensSession,
    DoubleDegreePlan,
    Participation,
)
from abroad.people.eligibility import career_problems
from abroad.people.models import StudentCareer, User
from abroad.people.substitutes import record_on_behalf
from abroad.recognition.queries import recognised_credits

ALLIANCE4TECH = "alliance4tech"


class NetworksError(MatchingError):
    """A transition that is not allowed, with a message for the person who tried it."""


# --------------------------------------------------------------------------- eligibility


def eligibility_problems(
    session: AthensSession, student: Any, *, career: StudentCareer | bool | None = True
) -> list[str]:
    """Why the student may not apply to the session (empty: they may), from what the
    registrar knows of their career. ``career`` may be passed in when ranking a session."""
    if career is True:
        career = StudentCareer.objects.filter(student=student).first()
    return career_problems(
        career if isinstance(career, StudentCareer) else None,
        require_first_year=session.require_first_year_completed,
        min_credits=session.min_credits,
    )


# -------------------------------------------------------------------------- applications


def _require_open(session: AthensSession, now: dt.datetime) -> None:
    window.require_open(
        session.window,
        now,
        upcoming=_("Applications to this session open on %(when)s."),
        closed=_("Applications to this session closed on %(when)s: nothing was changed."),
        error=NetworksError,
    )


def _application_for(session: AthensSession, student: Any) -> AthensApplication:
    application, _created = AthensApplication.objects.select_for_update().get_or_create(
        session=session, student=student
    )
    if application.state == ApplicationState.WITHDRAWN:
        application.state = ApplicationState.DRAFT
        application.submitted_at = None
        application.save(update_fields=["state", "submitted_at", "updated_at"])
    return application


@transaction.atomic
def save_choices(
    *,
    session: AthensSession,
    student: Any,
    course_ids: Sequence[int],
    now: dt.datetime | None = None,
) -> AthensApplication:
    """Store the student's ranked courses (best first) in their draft, or in their submitted
    application. Refused after the deadline, leaving what is stored untouched."""
    now = now or timezone.now()
    _require_open(session, now)
    if len(course_ids) > session.max_choices:
        raise NetworksError(
            _("You can rank at most %(max)d courses.") % {"max": session.max_choices}
        )
    if len(set(course_ids)) != len(course_ids):
        raise NetworksError(_("Each course can be ranked only once."))
    known = set(
        AthensCourse.objects.filter(session=session, pk__in=course_ids).values_list("pk", flat=True)
    )
    if known != set(course_ids):
        raise NetworksError(_("One of the courses is not in this session."))
    application = _application_for(session, student)
    application.choices.all().delete()
    AthensChoice.objects.bulk_create(
        AthensChoice(application=application, rank=rank, course_id=course_id)
        for rank, course_id in enumerate(course_ids, start=1)
    )
    application.save(update_fields=["updated_at"])
    audit.record(
        actor=student, action="athens.choices_saved", obj=application, courses=list(course_ids)
    )
    return application


MAX_MOTIVATION = 3000


@transaction.atomic
def save_motivation(
    *, session: AthensSession, student: Any, motivation: str, now: dt.datetime | None = None
) -> AthensApplication:
    """Store the student's motivation; refused after the deadline (nothing changes)."""
    now = now or timezone.now()
    _require_open(session, now)
    motivation = motivation.strip()
    if len(motivation) > MAX_MOTIVATION:
        raise NetworksError(
            _("Your motivation is %(have)d characters long: keep it within %(max)d.")
            % {"have": len(motivation), "max": MAX_MOTIVATION}
        )
    application = _application_for(session, student)
    application.motivation = motivation
    application.save(update_fields=["motivation", "updated_at"])
    audit.record(actor=student, action="athens.motivation_saved", obj=application)
    return application


@transaction.atomic
def submit_application(
    *, application: AthensApplication, actor: Any, now: dt.datetime | None = None
) -> AthensApplication:
    now = now or timezone.now()
    application = (
        AthensApplication.objects.select_for_update()
        .select_related("session", "student")
        .get(pk=application.pk)
    )
    _require_open(application.session, now)
    problems = eligibility_problems(application.session, application.student)
    if problems:
        raise NetworksError(" ".join(problems))
    if not application.choices.exists():
        raise NetworksError(_("Rank at least one course before submitting."))
    if not application.motivation.strip():
        raise NetworksError(_("Write your motivation before submitting."))
    application.state = ApplicationState.SUBMITTED
    application.submitted_at = now
    application.save(update_fields=["state", "submitted_at", "updated_at"])
    audit.record(actor=actor, action="athens.submitted", obj=application)
    transaction.on_commit(lambda: emails.send_submission_confirmation(application))
    return application


@transaction.atomic
def withdraw_application(
    *, application: AthensApplication, actor: User | None, now: dt.datetime | None = None
) -> AthensApplication:
    now = now or timezone.now()
    application = (
        AthensApplication.objects.select_for_update()
        .select_related("session")
        .get(pk=application.pk)
    )
    _require_open(application.session, now)
    require_withdrawable(application.state == ApplicationState.SUBMITTED, error=NetworksError)
    # the window was checked at ``now`` above; the rule adds who may withdraw
    require_actor(actor, "networks.change_athens_application", application)
    application.state = ApplicationState.WITHDRAWN
    application.save(update_fields=["state", "updated_at"])
    audit.record(actor=actor, action="athens.withdrawn", obj=application)
    return application


# ------------------------------------------------------------------ ranking and allocation


def _require_closed(session: AthensSession, now: dt.datetime) -> None:
    window.require_closed(
        session.window,
        now,
        message=_("Applications are open until %(when)s: rank and allocate after that."),
        error=NetworksError,
    )


def _require_unpublished(session: AthensSession) -> None:
    if session.results_state in (ResultsState.PUBLISHED, ResultsState.CLOSED):
        raise NetworksError(_("The results are published: the allocation can no longer change."))


def score_of(career: StudentCareer, session: AthensSession) -> ranking.Score:
    """The engineering merit formula of the calls (``matching/ranking.py``). Y, the years of
    enrolment, counts the session's academic year: a student enrolled in 2023 applying in
    2026/2027 has Y = 4, so their credits are divided by 3 years."""
    return ranking.engineering(
        ranking.Career(
            average=career.weighted_average,
            credits=career.total_credits,
            # a session is applied to in the academic year it falls in
            years_enrolled=ranking.years_enrolled(
                career.first_enrolment_year, applying_in=session.academic_year
            ),
            previous_exchanges=career.previous_exchanges,
        )
    )


def open_steps(session: AthensSession, state: WindowState) -> dict[str, bool]:
    """Which of the office's steps can run now, ``state`` being the session's application
    state (:meth:`AthensSession.state_at`): the same conditions the steps below check."""
    unpublished = session.results_state in (ResultsState.NOT_RUN, ResultsState.DRY_RUN)
    deadline = session.acceptance_deadline
    return {
        "rank": state is WindowState.CLOSED and unpublished,
        "allocate": state is WindowState.CLOSED and unpublished,
        "publish": session.results_state == ResultsState.DRY_RUN,
        "close": session.results_state == ResultsState.PUBLISHED
        and (deadline is None or timezone.now() >= deadline),
    }


@transaction.atomic
def rank_session(
    *, session: AthensSession, actor: Any = None, now: dt.datetime | None = None
) -> int:
    """Freeze every submitted application's score, eligibility and position; ties are broken
    as in the calls (higher average, fewer exchanges, earlier submission, then the
    application's number). Returns how many eligible applications were ranked."""
    now = now or timezone.now()
    session = AthensSession.objects.select_for_update().get(pk=session.pk)
    _require_closed(session, now)
    _require_unpublished(session)
    applications = list(
        session.applications.filter(state=ApplicationState.SUBMITTED)
        .select_related("student__career")
        .order_by("submitted_at", "id")
    )
    keyed = []
    for order, application in enumerate(applications):
        career = getattr(application.student, "career", None)
        problems = eligibility_problems(session, application.student, career=career)
        application.eligible = not problems
        application.eligibility_notes = problems
        application.rank = None
        if career is None:
            application.score, application.score_details = None, {}
            continue
        score = score_of(career, session)
        application.score, application.score_details = score.value, score.parts
        if application.eligible:
            tie = ranking.tie_break(
                average=career.weighted_average,
                previous_exchanges=career.previous_exchanges,
                submitted_order=order,
            )
            keyed.append((-score.value, tie, application.pk, application))
    keyed.sort(key=lambda item: item[:3])
    for position, item in enumerate(keyed, start=1):
        item[3].rank = position
    AthensApplication.objects.bulk_update(
        applications, ["score", "score_details", "rank", "eligible", "eligibility_notes"]
    )
    audit.record(actor=actor, action="athens.ranked", obj=session, ranked=len(keyed))
    return len(keyed)


@transaction.atomic
def allocate_session(
    *, session: AthensSession, actor: Any = None, now: dt.datetime | None = None
) -> allocation.Allocation:
    """Allocate the courses to the ranked applications with the calls' engine: in merit
    order each student gets their best course with a free place, one course per student.
    A dry run: the office sees it, the students do not until it is published. Running again
    replaces the previous result."""
    now = now or timezone.now()
    session = AthensSession.objects.select_for_update().get(pk=session.pk)
    _require_closed(session, now)
    _require_unpublished(session)
    applications = list(
        session.applications.filter(
            state=ApplicationState.SUBMITTED, eligible=True, rank__isnull=False
        )
        .prefetch_related("choices")
        .order_by("rank")
    )
    if not applications:
        raise NetworksError(_("Rank the applications first: there is nobody to allocate."))
    applicants = [
        allocation.Applicant(
            id=application.pk,
            score=float(application.score or 0),
            preferences=tuple(c.course_id for c in application.choices.all()),
            tie_break=(float(application.rank or 0),),
        )
        for application in applications
    ]
    capacities = dict(session.courses.values_list("pk", "capacity"))
    result = allocation.allocate(applicants, capacities)
    AthensAllocation.objects.filter(application__session=session).delete()
    rows = []
    for application in applications:
        explanation = result.explain(application.pk)
        course_id = result.assignment.get(application.pk)
        rows.append(
            AthensAllocation(
                application=application,
                course_id=course_id,
                choice=explanation.choice,
                explanation=explanation_data(explanation),
                state=AllocationState.OFFERED if course_id else AllocationState.NONE,
            )
        )
    AthensAllocation.objects.bulk_create(rows)
    session.results_state = ResultsState.DRY_RUN
    session.allocated_at = now
    session.save(update_fields=["results_state", "allocated_at"])
    audit.record(
        actor=actor,
        action="athens.allocated",
        obj=session,
        offered=sum(1 for r in rows if r.course_id),
        applicants=len(rows),
    )
    return result


@transaction.atomic
def publish_results(
    *,
    session: AthensSession,
    acceptance_deadline: dt.datetime,
    actor: Any = None,
    now: dt.datetime | None = None,
) -> AthensSession:
    """Show the allocation to the students, who accept or decline by the deadline."""
    now = now or timezone.now()
    session = AthensSession.objects.select_for_update().get(pk=session.pk)
    if session.results_state != ResultsState.DRY_RUN:
        raise NetworksError(_("Allocate the courses before publishing the results."))
    if timezone.is_naive(acceptance_deadline):
        acceptance_deadline = timezone.make_aware(acceptance_deadline)
    if acceptance_deadline <= now:
        raise NetworksError(_("The acceptance deadline must be in the future."))
    session.results_state = ResultsState.PUBLISHED
    session.published_at = now
    session.acceptance_deadline = acceptance_deadline
    session.save(update_fields=["results_state", "published_at", "acceptance_deadline"])
    audit.record(
        actor=actor,
        action="athens.published",
        obj=session,
        acceptance_deadline=acceptance_deadline,
    )
    allocations = AthensAllocation.objects.filter(application__session=session).select_related(
        "application__student", "application__session__network", "course__host"
    )
    transaction.on_commit(lambda: emails.send_results(allocations))
    return session


def _require_answerable(allocation_row: AthensAllocation, now: dt.datetime) -> None:
    session = allocation_row.application.session
    if session.results_state != ResultsState.PUBLISHED:
        raise NetworksError(_("The results of this session are not published."))
    if allocation_row.state != AllocationState.OFFERED:
        raise NetworksError(_("You have already answered."))
    if session.acceptance_deadline is not None and now >= session.acceptance_deadline:
        raise NetworksError(
            _("The deadline to accept was %(when)s: the place is no longer yours.")
            % when(session.acceptance_deadline)
        )


def _athens_offer(course: AthensCourse) -> Offer | None:
    """The offer of the host's active agreement in the session's network, if any."""
    return (
        Offer.objects.filter(
            agreement__partner_id=course.host_id,
            agreement__network_id=course.session.network_id,
            agreement__status=AgreementStatus.ACTIVE,
        )
        .select_related("agreement__partner")
        .order_by("pk")
        .first()
    )


def _nominate(allocation_row: AthensAllocation, course: AthensCourse, actor: Any) -> Participation:
    """The nomination: a participation, and a short mobility when the host has an agreement
    in the network (the mobility does not know it was born from ATHENS: only its origin)."""
    offer = _athens_offer(course)
    student = allocation_row.application.student
    mobility = None
    if offer is not None:
        mobility = create_mobility(
            student=student,
            offer=offer,
            academic_year=course.session.academic_year,
            origin=f"athens:{course.session.code}",
            actor=actor,
        )
        Mobility.objects.filter(pk=mobility.pk).update(
            planned_start=course.starts_on, planned_end=course.ends_on
        )
    return Participation.objects.create(
        allocation=allocation_row, student=student, course=course, mobility=mobility
    )


@transaction.atomic
def accept_allocation(
    *,
    allocation_row: AthensAllocation,
    actor: User | None,
    now: dt.datetime | None = None,
    lock_seats: bool = True,
) -> Participation:
    """The student takes the course: refused after the deadline or when its places are gone
    (the course's row is locked while places are counted). Nominates the student. Only the
    concurrency test passes ``lock_seats=False``, to show the race the lock prevents."""
    now = now or timezone.now()
    allocation_row = (
        AthensAllocation.objects.select_for_update(of=("self",))
        .select_related("application__session", "application__student")
        .get(pk=allocation_row.pk)
    )
    _require_answerable(allocation_row, now)
    if allocation_row.course_id is None:
        raise NetworksError(_("There is no course to accept."))
    courses = AthensCourse.objects.filter(pk=allocation_row.course_id)
    if lock_seats:
        courses = courses.select_for_update()
    course = courses.select_related("session", "host").get()
    if queries.places_taken(course) >= course.capacity:
        raise NetworksError(_("Sorry: every place of this course has been taken."))
    participation = _nominate(allocation_row, course, actor)
    AthensAllocation.objects.filter(pk=allocation_row.pk).update(
        state=AllocationState.ACCEPTED, decided_at=now
    )
    audit.record(actor=actor, action="athens.accepted", obj=allocation_row, course=course.code)
    return participation


@transaction.atomic
def decline_allocation(
    *, allocation_row: AthensAllocation, actor: Any, now: dt.datetime | None = None
) -> AthensAllocation:
    now = now or timezone.now()
    allocation_row = (
        AthensAllocation.objects.select_for_update(of=("self",))
        .select_related("application__session")
        .get(pk=allocation_row.pk)
    )
    _require_answerable(allocation_row, now)
    allocation_row.state = AllocationState.DECLINED
    allocation_row.decided_at = now
    allocation_row.save(update_fields=["state", "decided_at"])
    audit.record(actor=actor, action="athens.declined", obj=allocation_row)
    return allocation_row


@transaction.atomic
def close_session(
    *, session: AthensSession, actor: Any = None, now: dt.datetime | None = None
) -> int:
    """After the acceptance deadline: silence is declining. Returns how many expired."""
    now = now or timezone.now()
    session = AthensSession.objects.select_for_update().get(pk=session.pk)
    if session.results_state != ResultsState.PUBLISHED:
        raise NetworksError(_("Only published results can be closed."))
    if session.acceptance_deadline is not None and now < session.acceptance_deadline:
        raise NetworksError(_("The students can still answer until the deadline."))
    expired = AthensAllocation.objects.filter(
        application__session=session, state=AllocationState.OFFERED
    ).update(state=AllocationState.EXPIRED, decided_at=now)
    session.results_state = ResultsState.CLOSED
    session.save(update_fields=["results_state"])
    audit.record(actor=actor, action="athens.closed", obj=session, expired=expired)
    return expired


@transaction.atomic
def record_result(
    *,
    participation: Participation,
    passed: bool,
    ects_earned: Decimal | None,
    actor: Any,
    now: dt.datetime | None = None,
) -> Participation:
    """The office records how the course went, for recognition: passed or not, and the ECTS
    earned (none when failed)."""
    now = now or timezone.now()
    participation = Participation.objects.select_for_update().get(pk=participation.pk)
    if not passed and ects_earned:
        raise NetworksError(_("A course that was not passed earns no credits."))
    if passed and (ects_earned is None or ects_earned <= 0):
        raise NetworksError(_("Give the ECTS earned for a passed course."))
    if ects_earned is not None and ects_earned > 30:
        raise NetworksError(_("An ATHENS course earns at most 30 ECTS."))
    participation.passed = passed
    participation.ects_earned = ects_earned if passed else Decimal(0)
    participation.recorded_by = actor
    participation.recorded_at = now
    participation.save(update_fields=["passed", "ects_earned", "recorded_by", "recorded_at"])
    audit.record(
        actor=actor,
        action="athens.result_recorded",
        obj=participation,
        passed=passed,
        ects=participation.ects_earned,
    )
    return participation


def nominations(session: AthensSession) -> QuerySet[Participation]:
    """The nominated students of a session, per course: what the office sends to hosts."""
    return (
        Participation.objects.filter(course__session=session)
        .select_related("student", "course__host", "recorded_by")
        .order_by("course__code", "student__last_name", "student__first_name")
    )


# --------------------------------------------------------------- the certificate's stays


def _planned_credits(mobility: Mobility) -> Decimal:
    """Table A of the learning agreement in force (the last one signed by all three), or of
    the last version not withdrawn when none is signed yet."""
    version = in_force_or_latest(mobility)
    if version is None:
        return Decimal(0)
    return table_credits(version.components.all(), Table.A)


def certificate_stays(student: Any) -> list[certificate.Stay]:
    """The student's stays at Alliance4Tech partners (mobilities not withdrawn whose host is
    a member of the network, the home institution excluded), with their credits: recognised
    when the recognition is validated, otherwise planned (table A), and then provisional."""
    mobilities = (
        Mobility.objects.filter(
            student=student,
            host__in=_alliance_members(),
            host__is_home=False,
        )
        .exclude(state=MobilityState.WITHDRAWN)
        .select_related("host")
        .order_by("pk")
    )
    stays = []
    for mobility in mobilities:
        recognised = recognised_credits(mobility)
        stays.append(
            certificate.Stay(
                institution=mobility.host.display_name,
                ects=recognised if recognised is not None else _planned_credits(mobility),
                provisional=recognised is None,
            )
        )
    return stays


def _alliance_members() -> Any:
    from abroad.catalogue.models import NetworkMembership

    return NetworkMembership.objects.filter(network__code=ALLIANCE4TECH).values("institution_id")


def is_alliance_mobility(mobility: Mobility) -> bool:
    return (
        not mobility.host.is_home
        and _alliance_members().filter(institution_id=mobility.host_id).exists()
    )


def describe_certificate(result: certificate.Result) -> list[str]:
    """The result's problems in the user's language."""
    texts = []
    for problem in result.problems:
        values = {
            "needed": _number(problem.needed),
            "have": _number(problem.have),
            "institution": problem.institution,
        }
        if problem.code == "institutions":
            texts.append(
                _("Stays at %(needed)s partner institutions are needed; you have %(have)s.")
                % values
            )
        elif problem.code == "each":
            texts.append(
                _("At least %(needed)s ECTS are needed at %(institution)s; you have %(have)s.")
                % values
            )
        else:
            texts.append(
                _("At least %(needed)s ECTS abroad are needed in total; you have %(have)s.")
                % values
            )
    return texts


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


# ------------------------------------------------------------------------ double degrees


@dataclass
class PlanFindings:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def plan_findings(plan: DoubleDegreePlan) -> PlanFindings:
    """The double-degree rules (``double_degree.check``) on ``plan``, in words."""
    findings = double_degree.check(
        double_degree.Plan(
            credits_at_partner=plan.credits_at_partner,
            credits_recognised_at_home=plan.credits_recognised_at_home,
            thesis_at_home=plan.thesis_at_home,
            thesis_at_partner=plan.thesis_at_partner,
            mobility_unit_months=plan.mobility_unit_months,
            thesis_at_home_on=plan.thesis_at_home_on,
            thesis_at_partner_on=plan.thesis_at_partner_on,
        )
    )
    words = PlanFindings()
    for finding in findings:
        values = {"low": finding.low, "high": finding.high, "have": finding.have}
        texts = {
            "partner_credits": _(
                "The credits earned at the partner must be between %(low)d and %(high)d; the "
                "plan has %(have)d."
            ),
            "home_credits": _(
                "At most %(high)d credits are recognised at home; the plan has %(have)d."
            ),
            "home_above_partner": _(
                "The credits recognised at home (%(have)d) cannot exceed those earned at the "
                "partner (%(high)d)."
            ),
            "thesis_home": _("The thesis must be discussed at home too."),
            "thesis_partner": _("The thesis must be discussed at the partner too."),
            "thesis_home_date": _("The date of the discussion at home is not known yet."),
            "thesis_partner_date": _("The date of the discussion at the partner is not known yet."),
            "unit": _("A double degree's mobility unit is %(high)d months; the plan has %(have)d."),
        }
        text = texts[finding.code] % values
        (words.errors if finding.is_error else words.warnings).append(text)
    return words


def _require_double_degree(mobility: Mobility) -> None:
    if mobility.kind != MobilityKind.DOUBLE_DEGREE:
        raise NetworksError(_("Only a double-degree mobility has a double-degree plan."))


@transaction.atomic
def save_plan(*, mobility: Mobility, actor: User | None, **values: Any) -> DoubleDegreePlan:
    """Create or change the plan of a double-degree mobility while it is a draft or
    returned. ``values`` are the plan's fields (credits, thesis, unit, study plan, network)."""
    _require_double_degree(mobility)
    allowed = {
        "network",
        "credits_at_partner",
        "credits_recognised_at_home",
        "thesis_at_home",
        "thesis_at_home_on",
        "thesis_at_partner",
        "thesis_at_partner_on",
        "mobility_unit_months",
        "study_plan",
    }
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"unknown plan fields: {sorted(unknown)}")
    plan = DoubleDegreePlan.objects.select_for_update().filter(mobility=mobility).first()
    if plan is None:
        require_actor(actor, "networks.change_plan", mobility)
        values.setdefault("credits_at_partner", 0)
        values.setdefault("credits_recognised_at_home", 0)
        plan = DoubleDegreePlan.objects.create(mobility=mobility, **values)
    else:
        if plan.state not in PlanState.editable_states():
            raise NetworksError(
                _("The plan is %(state)s: it can no longer be changed.")
                % {"state": plan.get_state_display().lower()}
            )
        require_actor(actor, "networks.change_plan", mobility)
        for name, value in values.items():
            setattr(plan, name, value)
        plan.save()
    audit.record(actor=actor, action="double_degree.plan_saved", obj=plan)
    return plan


@transaction.atomic
def submit_plan(
    *, plan: DoubleDegreePlan, actor: User | None, now: dt.datetime | None = None
) -> DoubleDegreePlan:
    """The student sends the plan to the promoter; refused while it breaks a rule."""
    plan = DoubleDegreePlan.objects.select_for_update().get(pk=plan.pk)
    if plan.state not in PlanState.editable_states():
        raise NetworksError(_("This plan was already submitted."))
    require_actor(actor, "networks.change_plan", plan.mobility)
    errors = plan_findings(plan).errors
    if errors:
        raise NetworksError(" ".join(errors))
    if not plan.study_plan.strip():
        raise NetworksError(_("Write the study plan before submitting it."))
    plan.state = PlanState.SUBMITTED
    plan.submitted_at = now or timezone.now()
    plan.save(update_fields=["state", "submitted_at", "updated_at"])
    audit.record(actor=actor, action="double_degree.plan_submitted", obj=plan)
    return plan


@transaction.atomic
def decide_plan(
    *,
    plan: DoubleDegreePlan,
    approve: bool,
    comment: str,
    actor: User | None,
    now: dt.datetime | None = None,
) -> DoubleDegreePlan:
    """The promoter approves the submitted plan, or returns it with a comment (required)."""
    plan = DoubleDegreePlan.objects.select_for_update().get(pk=plan.pk)
    if plan.state != PlanState.SUBMITTED:
        raise NetworksError(_("Only a submitted plan can be approved or returned."))
    require_actor(actor, "networks.decide_plan", plan.mobility)
    comment = comment.strip()
    if not approve and not comment:
        raise NetworksError(_("Say what to change: a returned plan needs a comment."))
    plan.state = PlanState.APPROVED if approve else PlanState.RETURNED
    plan.comment = comment
    plan.decided_by = actor
    plan.decided_at = now or timezone.now()
    plan.save(update_fields=["state", "comment", "decided_by", "decided_at", "updated_at"])
    audit.record(
        actor=actor,
        action="double_degree.plan_approved" if approve else "double_degree.plan_returned",
        obj=plan,
        comment=comment,
    )
    if actor is not None:
        record_on_behalf(
            actor=actor,
            promoters=acting_for(actor, plan.mobility),
            obj=plan,
            action="double_degree.plan_approved" if approve else "double_degree.plan_returned",
        )
    transaction.on_commit(lambda: emails.send_plan_decided(plan))
    return plan
