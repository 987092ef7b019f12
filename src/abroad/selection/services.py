"""Every write and state transition of calls, applications and rounds. Views, the admin and
the CLI all call these functions; each runs in one transaction and writes an audit event."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from abroad.catalogue.enums import AgreementStatus
from abroad.catalogue.models import CourseOfStudy, Offer, display_name_key
from abroad.catalogue.queries import OfferFilter, filter_offers
from abroad.core import audit
from abroad.core.enums import CEFR, Language
from abroad.core.importing import refresh_statistics
from abroad.core.permissions import require_actor
from abroad.matching import allocation, ranking, window
from abroad.matching.applications import require_withdrawable
from abroad.matching.explanation import to_data as explanation_data
from abroad.matching.window import MatchingError, when
from abroad.mobility.services import create_mobility
from abroad.people.eligibility import career_problems
from abroad.people.models import LanguageCertificate, StudentCareer, User
from abroad.people.rules import in_office_scope
from abroad.selection import emails, queries
from abroad.selection.enums import ApplicationState, AssignmentState, RankingFormula, RoundState
from abroad.selection.models import (
    Application,
    Assignment,
    Call,
    CallOffer,
    CommissionScore,
    Preference,
    Round,
)


class SelectionError(MatchingError):
    """A transition that is not allowed, with a message for the person who tried it."""


# ----------------------------------------------------------------------------- the offers


def call_offer_candidates(call: Call) -> QuerySet[Offer]:
    """Offers a call can include: active agreements covering its year, open to a course of
    study of its Schools (or of their sections), of the programmes and mobility types the
    call is for."""
    offers = Offer.objects.filter(
        agreement__status=AgreementStatus.ACTIVE,
        agreement__start_year__lte=call.academic_year,
        agreement__end_year__gte=call.academic_year,
    )
    schools = list(call.schools.all())
    courses = CourseOfStudy.objects.filter(Q(school__in=schools) | Q(school__parent__in=schools))
    # A semi-join on the courses' link table, not a DISTINCT over a join of every offer with
    # every course: PostgreSQL can plan the latter very badly.
    offers = offers.filter(
        pk__in=Offer.courses.through.objects.filter(courseofstudy__in=courses).values("offer_id")
    ).order_by("pk")
    # the programmes and mobility types the call is for (queries.fits_call_q)
    return offers.filter(queries.fits_call_q(call))


@transaction.atomic
def fill_call_offers(*, call: Call, actor: Any = None) -> int:
    """Put every candidate offer in the call with its seats; offers already there keep theirs."""
    present = set(call.call_offers.values_list("offer_id", flat=True))
    new = [
        CallOffer(call=call, offer=offer, seats=offer.seats)
        for offer in call_offer_candidates(call).exclude(pk__in=present)
    ]
    CallOffer.objects.bulk_create(new)
    transaction.on_commit(refresh_statistics)
    audit.record(actor=actor, action="call.offers_filled", obj=call, added=len(new))
    return len(new)


@dataclass
class Availability:
    """One offer of a call as a given student sees it: can they choose it, and if not, why."""

    call_offer: CallOffer
    reasons: list[str] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return not self.reasons


def by_partner(prefix: str = "") -> tuple[Any, str]:
    """The order of a call's destinations: by the partner's shown name (as the catalogue sorts
    it: :func:`abroad.catalogue.models.display_name_key`), then by offer. ``prefix`` reaches
    the call offer ("call_offer__" from an assignment)."""
    return display_name_key(f"{prefix}offer__agreement__partner__"), f"{prefix}offer_id"


def offers_for_student(call: Call, student: Any) -> list[Availability]:
    """Every offer of the call, with the reasons this student cannot choose it (level,
    course of study, language: :func:`availability_reasons`). A constant number of queries,
    no per-offer lookups."""
    reasons = availability_reasons(call, student)
    call_offers = call.call_offers.select_related("offer__agreement__partner").order_by(
        *by_partner()
    )
    return [
        Availability(call_offer=call_offer, reasons=reasons.get(call_offer.pk, []))
        for call_offer in call_offers
    ]


def availability_reasons(
    call: Call, student: Any, *, only: Sequence[int] | None = None
) -> dict[int, list[str]]:
    """Why the student cannot choose each offer of the call (call offer id -> reasons; none:
    they can): not open at their degree level, not open to their course of study, a language
    level they do not hold. ``only``: these call offers alone. Two light queries whatever
    the number of offers, and no model instances, so a call of thousands of offers is cheap;
    each sentence is made once and shared."""
    lists: dict[tuple[str, ...], list[str]] = {}
    result: dict[int, list[str]] = {}
    for pk, _country, reasons in ordered_availability(call, student, only=only, order=()):
        if reasons not in lists:
            lists[reasons] = list(reasons)
        result[pk] = lists[reasons]
    return result


def ordered_availability(
    call: Call,
    student: Any,
    *,
    only: Sequence[int] | None = None,
    order: Sequence[Any] | None = None,
) -> list[tuple[int, str, tuple[str, ...]]]:
    """The call's offers in ``order`` (by default the call page's, :func:`by_partner`), each as
    (call offer id, partner's country, why the student cannot choose it:
    :func:`availability_reasons`). Offers with the same answers share one tuple of reasons: a
    tuple of strings, so that the thousands of rows are no work for Python's garbage collector
    (a tuple holding a list would be, and made its full collections, some 100 ms, several times
    more frequent). Two queries: the student's certificates, and one row per call offer, whose
    openness at the student's level and to their course SQL answers (semi-joins, no per-offer
    lookups)."""
    course: CourseOfStudy | None = student.course_of_study
    rows = call.call_offers.order_by(*(by_partner() if order is None else order))
    if only is not None:
        rows = rows.filter(pk__in=only)
    certificates = {
        c.language: c.level for c in LanguageCertificate.objects.filter(student=student)
    }
    # Open to the course: listed by the offer (the Manifesto) and open at its level (the
    # catalogue's "what can I choose?"), each a semi-join SQL answers once: "y" or "" (text:
    # Django would pass a boolean or an integer through a converter on every row).
    # With ``only`` (a student's posted ranking: a few ids), each offer is looked at alone
    # (correlated EXISTS through the primary keys), so that validating six ids reads six
    # offers, not the whole catalogue's offers at the student's level.
    if course is not None:
        at_level = filter_offers(Offer.objects.all(), OfferFilter(eqf=course.eqf)).order_by()
        listed = Offer.courses.through.objects.filter(courseofstudy_id=course.pk)
        if only is None:
            open_at_level: Any = Q(offer_id__in=at_level.values("pk"))
            open_to_course: Any = Q(offer_id__in=listed.values("offer_id"))
        else:
            open_at_level = Exists(at_level.filter(pk=OuterRef("offer_id")))
            open_to_course = Exists(listed.filter(offer_id=OuterRef("offer_id")))
        rows = rows.annotate(
            at_level=models.Case(
                models.When(open_at_level, then=models.Value("y")),
                default=models.Value(""),
                output_field=models.CharField(),
            ),
            listed=models.Case(
                models.When(open_to_course, then=models.Value("y")),
                default=models.Value(""),
                output_field=models.CharField(),
            ),
        )
    else:
        rows = rows.annotate(
            at_level=models.Value("", output_field=models.CharField()),
            listed=models.Value("", output_field=models.CharField()),
        )
    unknown_course = _("Your course of study is not known: contact the office.")
    wrong_level = _("Not open at your degree level.")
    wrong_course = _("Not open to your course of study.")

    def reasons_for(at_level: bool, listed: bool, language: str, level: str) -> tuple[str, ...]:
        reasons = []
        if course is None:
            reasons.append(unknown_course)
        else:
            if not at_level:
                reasons.append(wrong_level)
            if not listed:
                reasons.append(wrong_course)
        if level:
            held = certificates.get(language)
            named = Language(language).label if language in Language else language
            if held is None:
                reasons.append(
                    _("Needs %(language)s %(level)s; you have no certificate.")
                    % {"language": named, "level": level}
                )
            elif CEFR.rank(held) < CEFR.rank(level):
                reasons.append(
                    _("Needs %(language)s %(level)s; you have %(held)s.")
                    % {"language": named, "level": level, "held": held}
                )
        return tuple(reasons)

    shared: dict[tuple[bool, bool, str, str], tuple[str, ...]] = {}
    result = []
    for pk, country, at_level_, listed_, language, level in rows.values_list(
        "pk",
        "offer__agreement__partner__country",
        "at_level",
        "listed",
        "offer__language",
        "offer__language_level",
    ):
        key = (bool(at_level_), bool(listed_), language, level)
        reasons = shared.get(key)
        if reasons is None:
            reasons = shared[key] = reasons_for(*key)
        result.append((pk, country, reasons))
    return result


# ---------------------------------------------------------------------------- eligibility


def eligibility_problems(
    call: Call,
    student: Any,
    *,
    schools: set[Any] | None = None,
    career: StudentCareer | bool | None = True,
) -> list[str]:
    """Why the student may not apply to the call; empty if they may. ``schools`` (the call's)
    and ``career`` (the student's, or None) can be passed in when ranking a whole call."""
    problems = []
    course: CourseOfStudy | None = student.course_of_study
    if course is None:
        return [_("Your course of study is not known: contact the office.")]
    if schools is None:
        schools = set(call.schools.all())
    if course.school not in schools and course.school.parent not in schools:
        problems.append(_("This call is not for your School."))
    if not call.admits_level(course.level):
        problems.append(_("This call is not for your degree level."))
    if career is True:
        career = StudentCareer.objects.filter(student=student).first()
    found = career if isinstance(career, StudentCareer) else None
    problems += career_problems(
        found, require_first_year=call.require_first_year_completed, min_credits=call.min_credits
    )
    if found is None:
        return problems
    career = found
    average = career.weighted_average
    if call.min_average is not None and (average is None or average < call.min_average):
        problems.append(
            _("You need an average of at least %(average)s.") % {"average": call.min_average}
        )
    if career.months_used >= call.months_limit(course.level):
        problems.append(_("You have used all the months of mobility of your study cycle."))
    return problems


# --------------------------------------------------------------------------- applications


def _require_open(call: Call, now: dt.datetime) -> None:
    window.require_open(
        call.window,
        now,
        upcoming=_("Applications to this call open on %(when)s."),
        closed=_("Applications to this call closed on %(when)s: nothing was changed."),
        error=SelectionError,
    )


@transaction.atomic
def save_preferences(
    *,
    call: Call,
    student: Any,
    call_offer_ids: Sequence[int],
    now: dt.datetime | None = None,
) -> Application:
    """Store the student's ranking (best first) as their draft, or as their submitted
    application's new ranking. Refused after the deadline, leaving what is stored untouched."""
    now = now or timezone.now()
    _require_open(call, now)
    if len(call_offer_ids) > call.max_preferences:
        raise SelectionError(
            _("You can rank at most %(max)d destinations.") % {"max": call.max_preferences}
        )
    if len(set(call_offer_ids)) != len(call_offer_ids):
        raise SelectionError(_("Each destination can be ranked only once."))
    reasons = availability_reasons(call, student, only=call_offer_ids)
    for call_offer_id in call_offer_ids:
        if call_offer_id not in reasons:
            raise SelectionError(_("One of the destinations is not in this call."))
        if reasons[call_offer_id]:
            call_offer = CallOffer.objects.select_related(
                "offer__agreement__partner", "offer__agreement__network"
            ).get(pk=call_offer_id)
            raise SelectionError(
                _("%(partner)s: %(reasons)s")
                % {"partner": call_offer.offer.label, "reasons": " ".join(reasons[call_offer_id])}
            )
    application, _created = Application.objects.select_for_update().get_or_create(
        call=call, student=student
    )
    if application.state == ApplicationState.WITHDRAWN:
        application.state = ApplicationState.DRAFT
        application.submitted_at = None
        application.save(update_fields=["state", "submitted_at", "updated_at"])
    application.preferences.all().delete()
    Preference.objects.bulk_create(
        Preference(application=application, rank=rank, call_offer_id=call_offer_id)
        for rank, call_offer_id in enumerate(call_offer_ids, start=1)
    )
    audit.record(
        actor=student,
        action="application.preferences_saved",
        obj=application,
        preferences=list(call_offer_ids),
    )
    if application.state == ApplicationState.SUBMITTED:
        # The student changed a submitted ranking: confirm the new one.
        transaction.on_commit(lambda: emails.send_submission_confirmation(application))
    return application


@transaction.atomic
def submit_application(
    *, application: Application, actor: Any, now: dt.datetime | None = None
) -> Application:
    now = now or timezone.now()
    application = Application.objects.select_for_update().get(pk=application.pk)
    _require_open(application.call, now)
    problems = eligibility_problems(application.call, application.student)
    if problems:
        raise SelectionError(" ".join(problems))
    if not application.preferences.exists():
        raise SelectionError(_("Rank at least one destination before submitting."))
    application.state = ApplicationState.SUBMITTED
    application.submitted_at = now
    application.save(update_fields=["state", "submitted_at", "updated_at"])
    audit.record(actor=actor, action="application.submitted", obj=application)
    transaction.on_commit(lambda: emails.send_submission_confirmation(application))
    return application


@transaction.atomic
def withdraw_application(
    *, application: Application, actor: User | None, now: dt.datetime | None = None
) -> Application:
    now = now or timezone.now()
    application = Application.objects.select_for_update().get(pk=application.pk)
    _require_open(application.call, now)
    require_withdrawable(application.state == ApplicationState.SUBMITTED, error=SelectionError)
    # the window was checked at ``now`` above; the rule adds who may withdraw
    require_actor(actor, "selection.change_application", application)
    application.state = ApplicationState.WITHDRAWN
    application.save(update_fields=["state", "updated_at"])
    audit.record(actor=actor, action="application.withdrawn", obj=application)
    return application


@transaction.atomic
def set_commission_score(
    *,
    application: Application,
    portfolio: Decimal,
    languages_motivation_cv: Decimal,
    interview: Decimal,
    actor: Any,
) -> CommissionScore:
    if application.call.formula != RankingFormula.COMMISSION:
        raise SelectionError(_("This call ranks by formula: it has no commission scores."))
    if application.call.rounds.exclude(state__in=[RoundState.DRAFT, RoundState.DRY_RUN]).exists():
        raise SelectionError(_("A round is published: the scores can no longer change."))
    for mark in (portfolio, languages_motivation_cv, interview):
        if not Decimal(0) <= mark <= Decimal(10):
            raise SelectionError(_("Each mark is between 0 and 10."))
    score, _created = CommissionScore.objects.update_or_create(
        application=application,
        defaults={
            "portfolio": portfolio,
            "languages_motivation_cv": languages_motivation_cv,
            "interview": interview,
            "entered_by": actor,
        },
    )
    audit.record(
        actor=actor,
        action="application.commission_scored",
        obj=application,
        portfolio=portfolio,
        languages_motivation_cv=languages_motivation_cv,
        interview=interview,
    )
    return score


# -------------------------------------------------------------------------------- ranking


@transaction.atomic
def rank_call(*, call: Call, actor: Any = None, now: dt.datetime | None = None) -> int:
    """Freeze every submitted application's score and its position in the ranking; mark
    the ineligible ones. Returns how many applications were ranked."""
    _require_closed(call, now or timezone.now())
    if call.rounds.exclude(state=RoundState.DRAFT).exclude(state=RoundState.DRY_RUN).exists():
        raise SelectionError(_("A round is published: the ranking can no longer change."))
    applications = list(
        call.applications.filter(state=ApplicationState.SUBMITTED)
        .select_related("student__course_of_study__school__parent", "student__career")
        .select_related("commission_score")
        .order_by("submitted_at", "id")
    )
    keyed = []
    schools = set(call.schools.all())
    for order, application in enumerate(applications):
        career = getattr(application.student, "career", None)
        problems = eligibility_problems(call, application.student, schools=schools, career=career)
        application.eligible = not problems
        application.eligibility_notes = problems
        if career is None:
            application.score = None
            application.score_details = {}
            continue
        plain = ranking.Career(
            average=career.weighted_average,
            credits=career.total_credits,
            # a call for the mobility year Y is applied to in the academic year before it
            years_enrolled=ranking.years_enrolled(
                career.first_enrolment_year, applying_in=call.academic_year - 1
            ),
            previous_exchanges=career.previous_exchanges,
        )
        if call.formula == RankingFormula.COMMISSION:
            marks = getattr(application, "commission_score", None)
            score = ranking.commission(
                plain,
                ranking.CommissionMarks(
                    marks.portfolio, marks.languages_motivation_cv, marks.interview
                )
                if marks
                else None,
            )
        else:
            score = ranking.engineering(plain)
        application.score = score.value
        application.score_details = score.parts
        keyed.append(
            (
                -score.value,
                ranking.tie_break(
                    average=plain.average,
                    previous_exchanges=plain.previous_exchanges,
                    submitted_order=order,
                ),
                application.pk,
                application,
            )
        )
    keyed.sort(key=lambda item: item[:3])
    for application in applications:
        application.rank = None
    for position, item in enumerate((k for k in keyed if k[3].eligible), start=1):
        item[3].rank = position
    _store_ranking(applications)
    audit.record(actor=actor, action="call.ranked", obj=call, ranked=len(keyed))
    return len(keyed)


def _store_ranking(applications: list[Application]) -> None:
    """One prepared UPDATE run for every row (executemany): Django's bulk_update builds a CASE
    expression per row and per field, which takes seconds for a call of 20,000."""
    fields: list[models.Field[Any, Any]] = []
    for name in RANKING_FIELDS:
        model_field = Application._meta.get_field(name)
        assert isinstance(model_field, models.Field)
        fields.append(model_field)
    assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    sql = (
        f"UPDATE {connection.ops.quote_name(Application._meta.db_table)} "
        f"SET {assignments} WHERE {connection.ops.quote_name('id')} = %s"
    )
    rows = [
        [f.get_db_prep_save(getattr(application, f.attname), connection) for f in fields]
        + [application.pk]
        for application in applications
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


RANKING_FIELDS = ("score", "score_details", "rank", "eligible", "eligibility_notes")


# ----------------------------------------------------------------------------- allocation


def create_round(
    *, call: Call, acceptance_deadline: dt.datetime, number: int | None = None, actor: Any = None
) -> Round:
    """A new round of ``call`` (the next number unless given), not yet run."""
    with transaction.atomic():
        rounds = list(Round.objects.select_for_update().filter(call=call).order_by("number"))
        if number is None:
            number = rounds[-1].number + 1 if rounds else 1
        if number < 1:
            raise SelectionError(_("A round's number is 1 or more."))
        if any(existing.number == number for existing in rounds):
            raise SelectionError(
                _("Round %(number)d of this call exists already.") % {"number": number}
            )
        if any(existing.state != RoundState.CLOSED for existing in rounds):
            raise SelectionError(
                _(
                    "Close the earlier rounds first: a new round can only run once their "
                    "students have answered."
                )
            )
        if timezone.is_naive(acceptance_deadline):
            acceptance_deadline = timezone.make_aware(acceptance_deadline)
        round = Round.objects.create(
            call=call, number=number, acceptance_deadline=acceptance_deadline
        )
        audit.record(
            actor=actor,
            action="round.created",
            obj=round,
            number=number,
            acceptance_deadline=acceptance_deadline,
        )
    return round


def _require_closed(call: Call, now: dt.datetime) -> None:
    window.require_closed(
        call.window,
        now,
        message=_("Applications are open until %(when)s: rank and allocate after that."),
        error=SelectionError,
    )


@transaction.atomic
def run_round(*, round: Round, actor: Any = None, now: dt.datetime | None = None) -> Round:
    """Run (or re-run) a round as a dry run: assignments visible to the office only. The
    previous run's result is kept for comparison."""
    now = now or timezone.now()
    round = Round.objects.select_for_update().get(pk=round.pk)
    if round.state in (RoundState.PUBLISHED, RoundState.CLOSED):
        raise SelectionError(_("This round is already published."))
    call = round.call
    _require_closed(call, now)
    if call.rounds.filter(number__lt=round.number).exclude(state=RoundState.CLOSED).exists():
        raise SelectionError(
            _("Close the earlier rounds first: their students can still accept their seats.")
        )
    previous = dict(round.assignments.values_list("application_id", "call_offer_id"))
    round.assignments.all().delete()

    earlier = Assignment.objects.filter(round__call=call, round__number__lt=round.number)
    held = held_seats(round)
    excluded = set(
        earlier.filter(state__in=[AssignmentState.RENOUNCED, AssignmentState.EXPIRED]).values_list(
            "application_id", flat=True
        )
    ) - set(held)
    applications = list(
        call.applications.filter(
            state=ApplicationState.SUBMITTED, eligible=True, rank__isnull=False
        )
        .prefetch_related("preferences")
        .order_by("rank")
    )
    applicants = [
        allocation.Applicant(
            id=application.pk,
            score=float(application.score or 0),
            preferences=tuple(p.call_offer_id for p in application.preferences.all()),
            tie_break=(float(application.rank or 0),),
        )
        for application in applications
    ]
    ids = {a.id for a in applicants}
    capacities = dict(call.call_offers.values_list("id", "seats"))
    result = allocation.allocate(
        applicants,
        capacities,
        held={a: o for a, o in held.items() if a in ids},
        excluded=[a for a in excluded if a in ids],
    )
    rows = []
    for application in applications:
        if application.pk in held or application.pk in excluded:
            continue
        explanation = result.explain(application.pk)
        offer_id = result.assignment.get(application.pk)
        rows.append(
            Assignment(
                round=round,
                application=application,
                call_offer_id=offer_id,
                choice=explanation.choice,
                explanation=explanation_data(explanation),
                state=AssignmentState.OFFERED if offer_id else AssignmentState.NONE,
            )
        )
    Assignment.objects.bulk_create(rows)
    round.previous_result = {str(k): v for k, v in previous.items()}
    round.state = RoundState.DRY_RUN
    round.run_at = now
    round.save(update_fields=["previous_result", "state", "run_at"])
    audit.record(
        actor=actor,
        action="round.run",
        obj=round,
        offered=sum(1 for r in rows if r.call_offer_id),
        applicants=len(rows),
    )
    return round


def held_seats(round: Round) -> dict[int, int]:
    """Application -> call offer, for the seats accepted in the call's earlier rounds: they
    stay taken in this round."""
    return dict(
        Assignment.objects.filter(
            round__call_id=round.call_id,
            round__number__lt=round.number,
            state=AssignmentState.ACCEPTED,
        ).values_list("application_id", "call_offer_id")
    )


@dataclass(frozen=True)
class OfferResult:
    """One offer after a round: seats held from earlier rounds, given by this one, and the
    lowest score this round admitted there (None if it admitted nobody)."""

    held: int
    admitted: int
    cutoff: Decimal | None


def offer_results(round: Round) -> dict[int, OfferResult]:
    """Per call offer, what ``round`` did with it, counted by the database (a round of 20,000
    applications is two queries). Offers the round neither held nor gave are left out."""
    held = Counter(held_seats(round).values())
    given = {
        row["call_offer_id"]: row
        for row in round.assignments.filter(call_offer__isnull=False)
        .values("call_offer_id")
        .annotate(admitted=Count("pk"), cutoff=Min("application__score"))
    }
    return {
        pk: OfferResult(
            held=held.get(pk, 0),
            admitted=given[pk]["admitted"] if pk in given else 0,
            cutoff=given[pk]["cutoff"] if pk in given else None,
        )
        for pk in set(held) | set(given)
    }


def compare_with_previous(round: Round) -> list[dict[str, Any]]:
    """Applications whose result changed since the previous run of this round."""
    previous = {int(k): v for k, v in round.previous_result.items()}
    if not previous:
        return []
    current = dict(round.assignments.values_list("application_id", "call_offer_id"))
    return [
        {"application": application_id, "before": previous.get(application_id), "after": after}
        for application_id in sorted(set(previous) | set(current))
        if (after := current.get(application_id)) != previous.get(application_id)
    ]


@transaction.atomic
def publish_round(*, round: Round, actor: Any = None, now: dt.datetime | None = None) -> Round:
    now = now or timezone.now()
    round = Round.objects.select_for_update().get(pk=round.pk)
    if round.state != RoundState.DRY_RUN:
        raise SelectionError(_("Run the round before publishing it."))
    if now >= round.acceptance_deadline:
        raise SelectionError(
            _("The acceptance deadline (%(when)s) has passed: set a later one first.")
            % when(round.acceptance_deadline)
        )
    round.state = RoundState.PUBLISHED
    round.published_at = now
    round.save(update_fields=["state", "published_at"])
    audit.record(actor=actor, action="round.published", obj=round)
    assignments = list(round.assignments.select_related("application__student", "round__call"))
    transaction.on_commit(lambda: emails.send_results(assignments))
    return round


@transaction.atomic
def accept_assignment(
    *,
    assignment: Assignment,
    actor: User | None,
    now: dt.datetime | None = None,
    lock_seats: bool = True,
) -> Assignment:
    """The student takes the seat: refused after the deadline or when the seats are gone
    (the offer's row is locked while seats are counted). Creates the mobility. Only the
    concurrency test passes ``lock_seats=False``, to show the race the lock prevents."""
    now = now or timezone.now()
    # Lock the assignment itself: a double click or two tabs answer once.
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("round__call", "application__student__course_of_study")
        .get(pk=assignment.pk)
    )
    _require_answerable(assignment, now)
    if assignment.call_offer_id is None:
        raise SelectionError(_("There is no seat to accept in this round."))
    call_offers = CallOffer.objects.filter(pk=assignment.call_offer_id)
    if lock_seats:
        call_offers = call_offers.select_for_update()
    call_offer = call_offers.select_related("offer__agreement__partner").get()
    if queries.seats_taken(call_offer) >= call_offer.seats:
        raise SelectionError(_("Sorry: every seat of this destination has been taken."))
    Assignment.objects.filter(pk=assignment.pk).update(
        state=AssignmentState.ACCEPTED, decided_at=now
    )
    assignment.state = AssignmentState.ACCEPTED
    assignment.decided_at = now
    call = assignment.round.call
    create_mobility(
        student=assignment.application.student,
        offer=call_offer.offer,
        academic_year=call.academic_year,
        origin=f"call:{call.code}",
        cycle_months=call.months_limit(assignment.application.student.course_level),
        actor=actor,
    )
    audit.record(actor=actor, action="assignment.accepted", obj=assignment)
    transaction.on_commit(lambda: emails.send_acceptance_confirmation(assignment))
    return assignment


@transaction.atomic
def renounce_assignment(
    *, assignment: Assignment, actor: Any, now: dt.datetime | None = None
) -> Assignment:
    now = now or timezone.now()
    assignment = (
        Assignment.objects.select_for_update().select_related("round").get(pk=assignment.pk)
    )
    _require_answerable(assignment, now)
    assignment.state = AssignmentState.RENOUNCED
    assignment.decided_at = now
    assignment.save(update_fields=["state", "decided_at"])
    audit.record(actor=actor, action="assignment.renounced", obj=assignment)
    return assignment


def _require_answerable(assignment: Assignment, now: dt.datetime) -> None:
    if assignment.round.state != RoundState.PUBLISHED:
        raise SelectionError(_("The results of this round are not published."))
    if assignment.state != AssignmentState.OFFERED:
        raise SelectionError(_("You have already answered."))
    if now >= assignment.round.acceptance_deadline:
        raise SelectionError(
            _("The deadline to accept was %(when)s: the seat has gone to the next round.")
            % when(assignment.round.acceptance_deadline)
        )


@transaction.atomic
def close_round(*, round: Round, actor: Any = None, now: dt.datetime | None = None) -> int:
    """After the deadline: silence is renunciation. Returns how many offers expired."""
    now = now or timezone.now()
    round = Round.objects.select_for_update().get(pk=round.pk)
    if round.state != RoundState.PUBLISHED:
        raise SelectionError(_("Only a published round can be closed."))
    if now < round.acceptance_deadline:
        raise SelectionError(_("The students can still answer until the deadline."))
    expired = round.assignments.filter(state=AssignmentState.OFFERED).update(
        state=AssignmentState.EXPIRED, decided_at=now
    )
    round.state = RoundState.CLOSED
    round.save(update_fields=["state"])
    audit.record(actor=actor, action="round.closed", obj=round, expired=expired)
    return expired


def nominations(call: Call) -> QuerySet[Assignment]:
    """The accepted students of a call, per partner: what the office nominates to hosts."""
    return (
        Assignment.objects.filter(round__call=call, state=AssignmentState.ACCEPTED)
        .select_related(
            "application__student__course_of_study",
            "call_offer__offer__agreement__partner",
        )
        .order_by(*by_partner("call_offer__"), "application__student__last_name")
    )


# ----------------------------------------------------------- the office's call editor (issue 18)
# Creating and changing a call, and which offers it holds. Each function runs in one
# transaction, asks ``selection.manage_calls`` of the actor (None is the system), writes one
# audit event and works by sets: adding 2,000 offers is one bulk insert, removing them one
# filtered delete.

# What a published round freezes: the call's year (its students accept seats for it), its
# eligibility and ranking rules (rank_call refuses to rank again then, so a change could never
# reach the ranking) and, in update_call, its Schools.
FROZEN_BY_PUBLICATION = (
    "academic_year",
    "levels",
    "require_first_year_completed",
    "min_credits",
    "min_average",
    "months_per_cycle",
    "months_single_cycle",
    "formula",
)
EDITABLE_FIELDS = (
    "title",
    "number",
    "opens_at",
    "closes_at",
    "max_preferences",
    *FROZEN_BY_PUBLICATION,
    "programmes",
    "mobility_types",
)


def date_change_problems(
    before: window.Window, after: window.Window, now: dt.datetime, *, allocating: bool
) -> list[str]:
    """Why a call's window may not move from ``before`` to ``after`` at ``now`` (the states
    of matching/window.py). Once the call has opened its opening stays (students have
    applied under it); the closing may move while the call is upcoming or open, never into
    the past, and once closed only until the office ranks or starts a round (``allocating``)."""
    problems = []
    state = before.state_at(now)
    if after.opens_at != before.opens_at and state is not window.WindowState.UPCOMING:
        problems.append(
            _("The call opened on %(when)s: its opening can no longer move.")
            % when(before.opens_at)
        )
    if after.closes_at != before.closes_at:
        if state is window.WindowState.CLOSED and allocating:
            problems.append(
                _(
                    "The call closed on %(when)s and its applications are being ranked or "
                    "allocated: its closing can no longer move."
                )
                % when(before.closes_at)
            )
        elif after.closes_at <= now:
            problems.append(
                _(
                    "The new closing (%(when)s) is in the past: students still applying would "
                    "lose their chance without notice. Choose a later moment."
                )
                % when(after.closes_at)
            )
    if after.closes_at <= after.opens_at:
        problems.append(_("A call must close after it opens."))
    return problems


def _field_label(name: str) -> str:
    """A call's field as people read it."""
    field = Call._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


def _misfit_message(call: Call, misfits: QuerySet[CallOffer]) -> str:
    count = misfits.count()
    names = ", ".join(
        str(co.offer.agreement.partner)
        for co in misfits.select_related("offer__agreement__partner")[:5]
    )
    return _(
        "%(count)d offers in the call are of a programme or mobility type the call would no "
        "longer be for (%(names)s): remove them from the call first."
    ) % {"count": count, "names": names}


def _require_schools_in_scope(actor: Any, schools: Sequence[Any]) -> None:
    """A School-scoped office user makes calls for their own Schools only (403)."""
    if actor is not None and any(not in_office_scope(actor, [school.pk]) for school in schools):
        raise PermissionDenied(_("You run the calls of your own School only."))


@transaction.atomic
def create_call(
    *, call: Call, schools: Sequence[Any], actor: Any, now: dt.datetime | None = None
) -> Call:
    """Store a new call (built, not saved, by the caller) for ``schools``. It closes in the
    future and after it opens."""
    require_actor(actor, "selection.manage_calls")
    _require_schools_in_scope(actor, schools)
    now = now or timezone.now()
    if call.closes_at <= now:
        raise SelectionError(_("A new call closes in the future."))
    if call.closes_at <= call.opens_at:
        raise SelectionError(_("A call must close after it opens."))
    if not call.programmes or not call.mobility_types:
        raise SelectionError(_("Choose at least one programme and one mobility type."))
    call.save()
    call.schools.set(schools)
    audit.record(
        actor=actor,
        action="call.created",
        obj=call,
        schools=sorted(school.code for school in schools),
        **{name: getattr(call, name) for name in EDITABLE_FIELDS},
    )
    return call


@transaction.atomic
def update_call(
    *, call: Call, schools: Sequence[Any], actor: Any, now: dt.datetime | None = None
) -> list[str]:
    """Store the changes made to ``call`` (an instance with the new values, not saved) and its
    new ``schools``; returns the names of the fields that changed. Refused, leaving the call
    as it was: a date change the window does not allow (:func:`date_change_problems`), a rule
    a published round froze, programmes or mobility types some offer in the call does not
    fit, fewer preferences than an application already ranks."""
    require_actor(actor, "selection.manage_calls", Call.objects.get(pk=call.pk))
    _require_schools_in_scope(actor, schools)
    now = now or timezone.now()
    before = Call.objects.select_for_update().get(pk=call.pk)
    changed = [name for name in EDITABLE_FIELDS if getattr(call, name) != getattr(before, name)]
    old_schools = set(before.schools.values_list("pk", flat=True))
    new_schools = {school.pk for school in schools}
    if new_schools != old_schools:
        changed.append("schools")
    if not changed:
        return []
    problems: list[str] = []
    if not call.programmes or not call.mobility_types:
        problems.append(_("Choose at least one programme and one mobility type."))
    if "opens_at" in changed or "closes_at" in changed:
        allocating = before.rounds.exists() or (
            before.applications.filter(Q(rank__isnull=False) | Q(score__isnull=False)).exists()
        )
        problems += date_change_problems(before.window, call.window, now, allocating=allocating)
    frozen = [name for name in changed if name in (*FROZEN_BY_PUBLICATION, "schools")]
    if frozen and before.rounds.exclude(state__in=[RoundState.DRAFT, RoundState.DRY_RUN]).exists():
        problems.append(
            _(
                "A round is published: the call's eligibility and ranking rules and its "
                "Schools can no longer change (%(fields)s)."
            )
            % {"fields": ", ".join(_field_label(name) for name in frozen)}
        )
    if "programmes" in changed or "mobility_types" in changed:
        misfits = call.call_offers.exclude(
            offer__in=Offer.objects.filter(queries.fits_call_q(call))
        )
        if misfits.exists():
            problems.append(_misfit_message(call, misfits))
    if "max_preferences" in changed:
        longest = queries.longest_ranking(call)
        if call.max_preferences < longest:
            problems.append(
                _(
                    "An application already ranks %(longest)d destinations: the maximum can "
                    "not go below that."
                )
                % {"longest": longest}
            )
    if problems:
        raise SelectionError(" ".join(problems))
    call.save()
    if "schools" in changed:
        call.schools.set(schools)
    audit.record(
        actor=actor,
        action="call.changed",
        obj=call,
        fields=changed,
        before={name: getattr(before, name) for name in changed if name != "schools"},
        after={name: getattr(call, name) for name in changed if name != "schools"},
    )
    return changed


def _locked_call(call: Call) -> Call:
    """The call's row, locked: two people editing one call's offers take turns."""
    return Call.objects.select_for_update().get(pk=call.pk)


@transaction.atomic
def add_call_offers(*, call: Call, offers: QuerySet[Offer], actor: Any) -> int:
    """Put ``offers`` (those not in the call yet) in the call with their seats per year, in
    one insert. Refused, adding none, if one of them may not belong to the call: not of the
    call's programmes and mobility types (queries.fits_call), or not a candidate
    (:func:`call_offer_candidates`: an active agreement for its year, open to its Schools).
    Returns how many were added."""
    require_actor(actor, "selection.manage_calls", call)
    call = _locked_call(call)
    wanted = offers.exclude(call_offers__call=call).order_by()
    refused = wanted.exclude(pk__in=call_offer_candidates(call).order_by().values("pk"))
    refused_offers = list(refused.select_related("agreement__partner")[:5])
    if refused_offers:
        count = refused.count()
        reasons = []
        for offer in refused_offers:
            reasons += queries.misfits(call, offer) or [
                _("%(offer)s is not an active agreement for %(year)s open to the call's Schools.")
                % {"offer": offer.agreement.partner, "year": call.year_display}
            ]
        raise SelectionError(
            ngettext(
                "%(count)d offer may not belong to this call; nothing was added.",
                "%(count)d offers may not belong to this call; nothing was added.",
                count,
            )
            % {"count": count}
            + " "
            + " ".join(reasons)
        )
    rows = [
        CallOffer(call=call, offer_id=pk, seats=seats)
        for pk, seats in wanted.values_list("pk", "seats")
    ]
    CallOffer.objects.bulk_create(rows, batch_size=500)
    # thousands of rows at once: the planner learns of them now, not at autovacuum's next pass
    transaction.on_commit(refresh_statistics)
    audit.record(
        actor=actor,
        action="call.offers_added",
        obj=call,
        added=len(rows),
        offers=sorted(row.offer_id for row in rows),
    )
    return len(rows)


@transaction.atomic
def remove_call_offers(*, call: Call, offers: QuerySet[Offer], actor: Any) -> int:
    """Take ``offers`` out of the call, in one delete. Refused, removing none, if an
    application ranked one of them or a round gave it (queries.offers_in_use): the student's
    choice and the round's result keep pointing at it. Returns how many were removed."""
    require_actor(actor, "selection.manage_calls", call)
    call = _locked_call(call)
    targets = CallOffer.objects.filter(call=call, offer__in=offers.order_by().values("pk"))
    in_use = queries.offers_in_use(call).filter(pk__in=targets.values("pk"))
    used = list(in_use.select_related("offer__agreement__partner")[:5])
    if used:
        count = in_use.count()
        raise SelectionError(
            ngettext(
                "%(count)d of these offers is ranked in an application or given in a round "
                "(%(names)s): it stays in the call, and nothing was removed. Narrow the "
                "filter or untick it.",
                "%(count)d of these offers are ranked in applications or given in rounds "
                "(%(names)s): they stay in the call, and nothing was removed. Narrow the "
                "filter or untick them.",
                count,
            )
            % {
                "count": count,
                "names": ", ".join(str(co.offer.agreement.partner) for co in used),
            }
        )
    removed = sorted(targets.values_list("offer_id", flat=True))
    targets.delete()
    audit.record(
        actor=actor, action="call.offers_removed", obj=call, removed=len(removed), offers=removed
    )
    return len(removed)


@transaction.atomic
def set_call_offer_seats(*, call: Call, seats: dict[int, int], actor: Any) -> int:
    """Change the seats of some of the call's offers (call offer id -> seats). Refused,
    changing none, below the seats students have already accepted. Returns how many
    changed."""
    require_actor(actor, "selection.manage_calls", call)
    call = _locked_call(call)
    current = {
        co.pk: co
        for co in call.call_offers.filter(pk__in=list(seats)).select_related(
            "offer__agreement__partner"
        )
    }
    if set(seats) - set(current):
        raise SelectionError(_("One of the destinations is not in this call."))
    changed = [co for pk, co in current.items() if co.seats != seats[pk]]
    if not changed:
        return 0
    taken = dict(
        Assignment.objects.filter(queries.accepted_q(), call_offer__in=changed)
        .values("call_offer_id")
        .annotate(n=models.Count("id"))
        .values_list("call_offer_id", "n")
    )
    problems = []
    for co in changed:
        wanted = seats[co.pk]
        if wanted < 1:
            problems.append(
                _("%(offer)s: at least one seat.") % {"offer": co.offer.agreement.partner}
            )
        elif wanted < taken.get(co.pk, 0):
            problems.append(
                _("%(offer)s: %(taken)d seats are already accepted.")
                % {"offer": co.offer.agreement.partner, "taken": taken[co.pk]}
            )
    if problems:
        raise SelectionError(" ".join(problems))
    before = {co.offer_id: co.seats for co in changed}
    for co in changed:
        co.seats = seats[co.pk]
    CallOffer.objects.bulk_update(changed, ["seats"])
    audit.record(
        actor=actor,
        action="call.seats_changed",
        obj=call,
        seats={str(co.offer_id): [before[co.offer_id], co.seats] for co in changed},
    )
    return len(changed)
