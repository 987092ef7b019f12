"""Every write to a mobility goes through here: one function per transition, keyword-only
arguments, in a transaction, with an audit event. A refused transition raises
:class:`MobilityError` with a message for the person who tried (views show it as it is).

Each transition asks the rule its page asks (:mod:`abroad.mobility.rules`) of its ``actor``
(:func:`abroad.core.permissions.require_actor`: 403 for a person who may not; None is the
system itself), so that no path (a view, the API, the CLI, an admin action, another app) does
what the page refuses. Creating a mobility is the effect of another app's transition (a seat
accepted), checked there."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from abroad.catalogue.models import Offer
from abroad.core import audit, cycles
from abroad.core.days360 import months_and_days
from abroad.core.enums import CEFR
from abroad.core.permissions import can, require_actor
from abroad.mobility import checks, emails, queries
from abroad.mobility.enums import (
    ComponentStatus,
    DocumentKind,
    ExtensionState,
    LearningAgreementState,
    MobilityKind,
    MobilityState,
    Stage,
)
from abroad.mobility.models import (
    Component,
    Document,
    ExtensionRequest,
    LearningAgreement,
    Mobility,
)
from abroad.people.models import User
from abroad.people.substitutes import record_on_behalf

MANAGE = "mobility.manage_mobilities"
EDIT = "mobility.edit_mobility"
EXTEND = "mobility.request_extension"
DECIDE_AGREEMENT = "mobility.decide_submitted_learning_agreement"
DECIDE_EXTENSION = "mobility.decide_requested_extension"
DATES = "mobility.change_planned_dates"
WITHDRAW_EXTENSION = "mobility.withdraw_extension"


class MobilityError(Exception):
    """A transition refused, with the reason in words for the person who tried it."""


# ------------------------------------------------------------------------------ mobility


def kind_for(offer: Offer) -> str:
    """The kind of mobility an offer gives: thesis, double degree, a year or a semester."""
    if offer.agreement.programme == "double_degree":
        return MobilityKind.DOUBLE_DEGREE
    if offer.mobility_type == "thesis":
        return MobilityKind.THESIS
    if offer.agreement.programme == "network" and offer.months < 3:
        return MobilityKind.SHORT
    return MobilityKind.YEAR if offer.months >= 9 else MobilityKind.SEMESTER


@transaction.atomic
def create_mobility(
    *,
    student: User,
    offer: Offer,
    academic_year: int,
    origin: str,
    actor: User | None = None,
    cycle_months: int | None = None,
    planned_start: dt.date | None = None,
    planned_end: dt.date | None = None,
) -> Mobility:
    """Create the mobility of a student who took a seat on ``offer``: nominated to the host.
    ``cycle_months``: the months of mobility the study cycle allows, as the call that gave the
    seat set them (None: the usual rule, :func:`abroad.core.cycles.months_limit`). The planned
    dates, when not given, are proposed from the academic year and the offer's months
    (:func:`propose_dates`); the student and the office correct them later."""
    if planned_start is None or planned_end is None:
        planned_start, planned_end = propose_dates(academic_year=academic_year, months=offer.months)
    mobility = Mobility.objects.create(
        student=student,
        offer=offer,
        host=offer.agreement.partner,
        academic_year=academic_year,
        kind=kind_for(offer),
        state=MobilityState.NOMINATED,
        months=offer.months,
        origin=origin,
        cycle_months=cycle_months,
        planned_start=planned_start,
        planned_end=planned_end,
    )
    audit.record(
        actor=actor,
        action="mobility.created",
        obj=mobility,
        origin=origin,
        planned_start=planned_start,
        planned_end=planned_end,
    )
    return mobility


# --------------------------------------------------------------------------------- dates

# The usual terms of an academic year, as (month, day) of the first and of the last day; a
# month before August falls in the second calendar year of the academic year. A site with other
# terms sets ABROAD_MOBILITY_TERMS (see :func:`parse_terms`). The catalogue keeps no academic
# calendar per partner: these are the defaults for every host.
DEFAULT_TERMS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "autumn": ((9, 1), (1, 31)),
    "spring": ((2, 1), (6, 30)),
    "year": ((9, 1), (6, 30)),
}
SECOND_YEAR_BEFORE_MONTH = 8


Terms = dict[str, tuple[tuple[int, int], tuple[int, int]]]


def parse_terms(text: str) -> Terms:
    """``ABROAD_MOBILITY_TERMS`` read: "autumn=09-01..01-31,year=09-01..06-30" (month-day of
    the first and the last day); a term it does not name keeps its default."""
    found = dict(DEFAULT_TERMS)
    for part in text.split(","):
        if not part.strip():
            continue
        try:
            name, days = part.split("=")
            first, last = days.split("..")
            found[name.strip()] = (
                _month_day(first),
                _month_day(last),
            )
        except ValueError as error:
            raise ValueError(
                f"ABROAD_MOBILITY_TERMS: {part.strip()!r} is not name=MM-DD..MM-DD"
            ) from error
    return found


def _month_day(text: str) -> tuple[int, int]:
    month, day = (int(n) for n in text.strip().split("-"))
    dt.date(2000, month, day)  # a day that exists (29 February included)
    return month, day


def terms() -> Terms:
    """The terms of the academic year (settings.MOBILITY_TERMS: a mapping, or the text of
    ``ABROAD_MOBILITY_TERMS``; empty: :data:`DEFAULT_TERMS`)."""
    configured = getattr(settings, "MOBILITY_TERMS", "")
    if isinstance(configured, dict):
        return {**DEFAULT_TERMS, **configured}
    return parse_terms(configured or "")


def _day_of(academic_year: int, month: int, day: int) -> dt.date:
    year = academic_year + (1 if month < SECOND_YEAR_BEFORE_MONTH else 0)
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def term_dates(term: str, academic_year: int) -> tuple[dt.date, dt.date]:
    """The first and the last day of ``term`` ("autumn", "spring", "year") of the academic
    year starting in ``academic_year``."""
    (start_month, start_day), (end_month, end_day) = terms()[term]
    return (
        _day_of(academic_year, start_month, start_day),
        _day_of(academic_year, end_month, end_day),
    )


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def propose_dates(*, academic_year: int, months: int) -> tuple[dt.date, dt.date]:
    """The planned dates of a new mobility of ``months`` in ``academic_year``: the autumn term
    for a semester, the whole year from 9 months on; when the term is not that long (a 6-month
    semester, a 24-month double degree) the stay runs ``months`` from the term's first day."""
    start, end = term_dates("year" if months >= 9 else "autumn", academic_year)
    if months_between(start, end) != months:
        end = add_months(start, months) - dt.timedelta(days=1)
    return start, end


def months_between(start: dt.date, end: dt.date) -> int:
    """Months from ``start`` to ``end`` (both days included) as the Erasmus+ Programme Guide
    counts them (:func:`abroad.core.days360.days_360`: 1 September to 31 January is 5 months,
    1 February to 28 February 30 days), a started month counting once it passes half."""
    whole, rest = months_and_days(start, end)
    return max(1, whole + (1 if rest > 15 else 0))


def months_of(mobility: Mobility) -> int:
    """THE months of a mobility (shown, checked by extensions, used for grants): from its
    start to its end, the arrival and departure certificates' dates when recorded, the planned
    ones otherwise; the stored number while the dates are not known."""
    start, end = mobility.start, mobility.end
    if start is not None and end is not None and end >= start:
        return months_between(start, end)
    return mobility.months


def _recount(mobility: Mobility, fields: list[str]) -> None:
    months = months_of(mobility)
    if months != mobility.months:
        mobility.months = months
        fields.append("months")


def months_allowed(mobility: Mobility) -> int | None:
    """The most months the planned dates may span: the months of the seat (the offer's; an
    exchange stays longer only through an extension), None without an offer."""
    return mobility.offer.months if mobility.offer is not None else None


def planned_dates_problem(*, mobility: Mobility, start: dt.date, end: dt.date) -> str | None:
    """Why ``start`` to ``end`` cannot be the planned dates of ``mobility``, or None."""
    if end <= start:
        return _("The planned end must come after the planned start.")
    months = months_between(start, end)
    allowed = months_allowed(mobility)
    if allowed is not None and months > allowed:
        return _(
            "From %(start)s to %(end)s is %(months)s months; this seat is for at most "
            "%(allowed)s. A longer stay is asked as an extension, during the mobility."
        ) % {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "months": months,
            "allowed": allowed,
        }
    if mobility.kind != MobilityKind.DOUBLE_DEGREE:
        used = months_used_elsewhere(mobility)
        limit = cycle_limit_of(mobility)
        if used + months > limit:
            return _(
                "From %(start)s to %(end)s is %(months)s months; with %(used)s used before, "
                "that exceeds the %(limit)s months allowed in the study cycle."
            ) % {
                "start": start.isoformat(),
                "end": end.isoformat(),
                "months": months,
                "used": used,
                "limit": limit,
            }
    return None


def planned_dates_closed(mobility: Mobility) -> str:
    """Why the planned dates can no longer be changed by whoever was refused."""
    if mobility.state == MobilityState.WITHDRAWN:
        return _("This mobility was withdrawn; it cannot change any more.")
    if mobility.actual_end is not None:
        return _("The departure is recorded: the dates are now those of the host's certificates.")
    return _(
        "Your learning agreement was submitted with these dates: ask the International Mobility "
        "Unit to change them."
    )


@transaction.atomic
def set_planned_dates(
    *, mobility: Mobility, actor: User | None, start: dt.date, end: dt.date
) -> Mobility:
    """The student (until a learning agreement is submitted) or the office (until the
    departure is recorded) sets the planned start and end; the months follow the dates."""
    require_actor(actor, EDIT, mobility)
    mobility = _lock(mobility)
    if actor is not None and not can(actor, DATES, mobility):
        raise MobilityError(planned_dates_closed(mobility))
    problem = planned_dates_problem(mobility=mobility, start=start, end=end)
    if problem:
        raise MobilityError(problem)
    previous = (mobility.planned_start, mobility.planned_end)
    mobility.planned_start, mobility.planned_end = start, end
    fields = ["planned_start", "planned_end"]
    _recount(mobility, fields)
    mobility.save(update_fields=fields)
    audit.record(
        actor=actor,
        action="mobility.planned_dates",
        obj=mobility,
        previous_start=previous[0],
        previous_end=previous[1],
        start=start,
        end=end,
        months=mobility.months,
    )
    return mobility


CERTIFICATES = (DocumentKind.ARRIVAL, DocumentKind.DEPARTURE)


@transaction.atomic
def record_certificate(
    *, mobility: Mobility, actor: User | None, kind: str, day: dt.date, file: UploadedFile
) -> Document:
    """The office records the host's arrival (departure) certificate with the date it bears:
    the document is stored, the arrival (departure) is that date and the months are counted
    again. An accepted student arrives (the mobility starts), a student abroad leaves (it is
    completed); a second certificate corrects the date."""
    require_actor(actor, MANAGE, mobility)
    if kind not in CERTIFICATES:
        raise MobilityError(_("Choose the arrival or the departure certificate."))
    mobility = _lock(mobility)
    if kind == DocumentKind.ARRIVAL:
        if mobility.state == MobilityState.ACCEPTED:
            set_state(
                mobility=mobility, state=MobilityState.IN_MOBILITY, actor=actor, arrived_on=day
            )
        elif mobility.state == MobilityState.IN_MOBILITY or (
            mobility.state == MobilityState.COMPLETED and mobility.actual_start is not None
        ):
            if mobility.actual_end is not None and day > mobility.actual_end:
                raise MobilityError(_("The arrival cannot come after the departure."))
            mobility.actual_start = day
            fields = ["actual_start"]
            _recount(mobility, fields)
            mobility.save(update_fields=fields)
        else:
            raise MobilityError(
                _("Record the host's acceptance first: the student arrives once accepted.")
            )
    else:
        if mobility.state == MobilityState.IN_MOBILITY:
            set_state(mobility=mobility, state=MobilityState.COMPLETED, actor=actor, left_on=day)
        elif mobility.state == MobilityState.COMPLETED:
            if mobility.actual_start is not None and day < mobility.actual_start:
                raise MobilityError(_("The departure cannot come before the arrival."))
            mobility.actual_end = day
            fields = ["actual_end"]
            _recount(mobility, fields)
            mobility.save(update_fields=fields)
        else:
            raise MobilityError(_("Record the arrival first: a student leaves once arrived."))
    document = upload_document(mobility=mobility, kind=kind, file=file, actor=actor)
    mobility.refresh_from_db()
    audit.record(
        actor=actor,
        action="mobility.certificate",
        obj=mobility,
        kind=kind,
        day=day,
        document=document.pk,
        months=mobility.months,
    )
    return document


@transaction.atomic
def withdraw_mobility(
    *, mobility: Mobility, actor: User | None = None, reason: str = ""
) -> Mobility:
    require_actor(actor, MANAGE, mobility)
    mobility.state = MobilityState.WITHDRAWN
    mobility.save(update_fields=["state"])
    audit.record(actor=actor, action="mobility.withdrawn", obj=mobility, reason=reason)
    return mobility


# The order a mobility moves in; the office may also step back one (a mistake) or withdraw.
FLOW: list[str] = [
    MobilityState.NOMINATED,
    MobilityState.APPLIED,
    MobilityState.ACCEPTED,
    MobilityState.IN_MOBILITY,
    MobilityState.COMPLETED,
]


@transaction.atomic
def set_state(
    *,
    mobility: Mobility,
    state: str,
    actor: User | None,
    arrived_on: dt.date | None = None,
    left_on: dt.date | None = None,
) -> Mobility:
    """The office moves a mobility along: applied to the host, accepted, in mobility (with
    the arrival date), completed (with the departure date)."""
    require_actor(actor, MANAGE, mobility)
    mobility = Mobility.objects.select_for_update().get(pk=mobility.pk)
    if mobility.state == MobilityState.WITHDRAWN:
        raise MobilityError(_("This mobility was withdrawn; it cannot change any more."))
    if state == MobilityState.WITHDRAWN:
        return withdraw_mobility(mobility=mobility, actor=actor)
    if state not in FLOW:
        raise MobilityError(_("Unknown state %(state)s.") % {"state": state})
    step = FLOW.index(state) - FLOW.index(mobility.state)
    if step not in (1, -1):
        raise MobilityError(
            _(
                "A mobility moves one step at a time: from “%(now)s” it can go to the next or "
                "the previous state only."
            )
            % {"now": mobility.get_state_display()}
        )
    fields = ["state"]
    if state == MobilityState.IN_MOBILITY and step == 1:
        if arrived_on is None:
            raise MobilityError(_("Give the arrival date."))
        mobility.actual_start = arrived_on
        fields.append("actual_start")
    if state == MobilityState.COMPLETED:
        if left_on is None:
            raise MobilityError(_("Give the departure date."))
        if mobility.actual_start and left_on < mobility.actual_start:
            raise MobilityError(_("The departure cannot come before the arrival."))
        mobility.actual_end = left_on
        fields.append("actual_end")
    if step == -1 and mobility.state == MobilityState.IN_MOBILITY:
        mobility.actual_start = None  # the arrival was recorded by mistake
        fields.append("actual_start")
    if step == -1 and mobility.state == MobilityState.COMPLETED:
        mobility.actual_end = None
        fields.append("actual_end")
    previous = mobility.state
    mobility.state = state
    _recount(mobility, fields)
    mobility.save(update_fields=fields)
    audit.record(
        actor=actor,
        action="mobility.state",
        obj=mobility,
        previous=previous,
        state=state,
        arrived_on=arrived_on,
        left_on=left_on,
    )
    return mobility


@transaction.atomic
def set_thesis(
    *,
    mobility: Mobility,
    actor: User | None,
    home_supervisor: str,
    host_supervisor: str,
    thesis_credits: int | None,
) -> Mobility:
    require_actor(actor, EDIT, mobility)
    if mobility.kind != MobilityKind.THESIS:
        raise MobilityError(_("Only a thesis mobility has thesis supervisors."))
    mobility.home_supervisor = home_supervisor.strip()
    mobility.host_supervisor = host_supervisor.strip()
    mobility.thesis_credits = thesis_credits
    mobility.save(update_fields=["home_supervisor", "host_supervisor", "thesis_credits"])
    audit.record(
        actor=actor,
        action="mobility.thesis",
        obj=mobility,
        home_supervisor=mobility.home_supervisor,
        host_supervisor=mobility.host_supervisor,
        thesis_credits=thesis_credits,
    )
    return mobility


# ----------------------------------------------------------------------------- documents

# What a document may be, recognised from its first bytes (never from the browser's word).
SIGNATURES = {
    b"%PDF-": ("application/pdf", ".pdf"),
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
}


def sniff(file: UploadedFile) -> str | None:
    """The content type of an accepted file, or None."""
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    for magic, (content_type, _suffix) in SIGNATURES.items():
        if head.startswith(magic):
            return content_type
    return None


def document_problem(file: UploadedFile) -> str | None:
    """Why this upload is refused, or None."""
    limit = settings.DOCUMENT_MAX_MB * 1024 * 1024
    if not file.size:
        return _("The file is empty.")
    if file.size > limit:
        return _("The file is %(size).1f MB; the limit is %(limit)s MB.") % {
            "size": file.size / 1024 / 1024,
            "limit": settings.DOCUMENT_MAX_MB,
        }
    if sniff(file) is None:
        return _("Only PDF, JPEG and PNG files are accepted.")
    return None


@transaction.atomic
def upload_document(
    *,
    mobility: Mobility,
    kind: str,
    file: UploadedFile,
    actor: User | None,
    replaces: Document | None = None,
) -> Document:
    """Store a document of the mobility; ``replaces`` is kept, marked as replaced."""
    require_actor(actor, EDIT, mobility)
    problem = document_problem(file)
    if problem:
        raise MobilityError(problem)
    if replaces is not None:
        if replaces.mobility_id != mobility.pk or not replaces.is_current:
            raise MobilityError(_("That document cannot be replaced any more."))
        kind = replaces.kind  # a replacement is of the same kind
    if kind not in DocumentKind.values:
        raise MobilityError(_("Choose the kind of document."))
    content_type = sniff(file) or ""
    document = Document(
        mobility=mobility,
        kind=kind,
        original_name=(file.name or "document")[-200:],
        content_type=content_type,
        size=file.size or 0,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    document.file.save(file.name or "document", file, save=False)
    document.save()
    if replaces is not None:
        replaces.replaced_at = timezone.now()
        replaces.save(update_fields=["replaced_at"])
    audit.record(
        actor=actor,
        action="document.uploaded",
        obj=document,
        mobility=mobility.pk,
        kind=kind,
        size=document.size,
        replaces=replaces.pk if replaces else None,
    )
    return document


# --------------------------------------------------------------------- learning agreement


def context_for(mobility: Mobility, agreement: LearningAgreement | None = None) -> checks.Context:
    """What a learning agreement of this mobility is checked against."""
    student = mobility.student
    course = student.course_of_study
    offer = mobility.offer
    certificates: dict[str, str] = {}
    for certificate in student.certificates.all():
        held = certificates.get(certificate.language)
        if held is None or CEFR.rank(certificate.level) > CEFR.rank(held):
            certificates[certificate.language] = certificate.level
    return checks.Context(
        months=mobility.months,
        credits_per_semester=course.credits_per_semester if course else 30,
        stage=agreement.stage if agreement else Stage.BEFORE,
        thesis=mobility.kind == MobilityKind.THESIS,
        language=offer.language if offer else "",
        language_name=offer.get_language_display() if offer else "",
        required_level=offer.language_level if offer else "",
        certificates=certificates,
        declared_level=agreement.language_level if agreement else "",
        passed={course.code: course.title for course in student.passed_courses.all()},
    )


def rows_of(agreement: LearningAgreement) -> list[checks.Row]:
    return [
        checks.Row(
            table=c.table,
            title=c.title,
            code=c.code,
            term=c.term,
            ects=c.ects,
            is_thesis=c.is_thesis,
            status=c.status,
            reason_code=c.reason_code,
            reason_text=c.reason_text,
        )
        for c in agreement.components.all()
    ]


def findings(agreement: LearningAgreement) -> list[checks.Finding]:
    return checks.check(rows_of(agreement), context_for(agreement.mobility, agreement))


def latest(mobility: Mobility) -> LearningAgreement | None:
    return mobility.learning_agreements.order_by("-number").first()


def _next_number(mobility: Mobility) -> int:
    top = mobility.learning_agreements.aggregate(top=Max("number"))["top"]
    return (top or 0) + 1


def _copy(
    source: LearningAgreement, *, stage: str, actor: User | None, keep_status: bool
) -> LearningAgreement:
    draft = LearningAgreement.objects.create(
        mobility=source.mobility,
        number=_next_number(source.mobility),
        stage=stage,
        based_on=source,
        language=source.language,
        language_level=source.language_level,
        isced_code=source.isced_code,
        eqf=source.eqf,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    components = []
    for c in source.components.all():
        if c.status == ComponentStatus.DELETED and not keep_status:
            continue  # a change builds on the agreement as it now stands
        components.append(
            Component(
                agreement=draft,
                table=c.table,
                position=c.position,
                code=c.code,
                title=c.title,
                term=c.term,
                ects=c.ects,
                is_thesis=c.is_thesis,
                status=c.status if keep_status else ComponentStatus.UNCHANGED,
                reason_code=c.reason_code if keep_status else "",
                reason_text=c.reason_text if keep_status else "",
            )
        )
    Component.objects.bulk_create(components)
    return draft


def _require_not_recognised(mobility: Mobility) -> None:
    """The rule ``not_recognised`` (``mobility.change_learning_agreement``), as a refusal."""
    if mobility.recognised_at is not None:
        raise MobilityError(
            _(
                "The recognition of this mobility was validated: its learning agreement can no "
                "longer change."
            )
        )


def _lock(mobility: Mobility) -> Mobility:
    """Lock the mobility row: two tabs cannot both open a draft or submit one."""
    return Mobility.objects.select_for_update().get(pk=mobility.pk)


@transaction.atomic
def open_draft(
    *, mobility: Mobility, actor: User | None, now: dt.datetime | None = None
) -> LearningAgreement:
    """The draft to edit: the existing one, a first version, a fix of a returned version, or a
    change of the signed one during the mobility (within the change window for the student,
    at any time for the office)."""
    require_actor(actor, EDIT, mobility)
    mobility = _lock(mobility)
    _require_not_recognised(mobility)
    if not mobility.is_active:
        raise MobilityError(_("This mobility is no longer active."))
    last = latest(mobility)
    if last is not None and last.state == LearningAgreementState.DRAFT:
        return last
    if last is None:
        course = mobility.student.course_of_study
        offer = mobility.offer
        draft = LearningAgreement.objects.create(
            mobility=mobility,
            number=1,
            stage=Stage.BEFORE,
            language=offer.language if offer else "",
            isced_code=(offer.isced_code if offer else "") or (course.isced_code if course else ""),
            eqf=course.eqf if course else None,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit.record(actor=actor, action="la.created", obj=draft, mobility=mobility.pk)
        return draft
    if last.state in LearningAgreementState.pending_states():
        raise MobilityError(
            _("Version %(number)s is waiting for approval; it cannot be changed meanwhile.")
            % {"number": last.number}
        )
    if last.state in (LearningAgreementState.RETURNED, LearningAgreementState.WITHDRAWN):
        draft = _copy(last, stage=last.stage, actor=actor, keep_status=True)
        audit.record(actor=actor, action="la.revised", obj=draft, based_on=last.number)
        return draft
    # the last version is signed: a change during the mobility
    change_window_check(mobility=mobility, actor=actor, now=now)
    draft = _copy(last, stage=Stage.DURING, actor=actor, keep_status=False)
    audit.record(actor=actor, action="la.change_opened", obj=draft, based_on=last.number)
    return draft


def change_deadline(mobility: Mobility) -> dt.date | None:
    """The last day a student may propose a change: the arrival plus the window."""
    if mobility.actual_start is None:
        return None
    return mobility.actual_start + _change_window()


def change_deadline_q(first: dt.date, last: dt.date) -> Q:
    """:func:`change_deadline` as a filter: the mobilities whose last day for a change falls
    from ``first`` to ``last`` (the reminder of the closing window)."""
    return Q(actual_start__gte=first - _change_window(), actual_start__lte=last - _change_window())


def _change_window() -> dt.timedelta:
    return dt.timedelta(days=settings.LA_CHANGE_WINDOW_DAYS)


def change_window_check(
    *, mobility: Mobility, actor: User | None, now: dt.datetime | None = None
) -> None:
    if getattr(actor, "is_office", False):
        return
    if mobility.state != MobilityState.IN_MOBILITY or mobility.actual_start is None:
        raise MobilityError(
            _(
                "Changes to a signed learning agreement are made during the mobility, after the "
                "office has recorded your arrival."
            )
        )
    today = timezone.localdate(now or timezone.now())
    deadline = change_deadline(mobility)
    assert deadline is not None
    if today > deadline:
        raise MobilityError(
            _(
                "Changes were possible until %(date)s (%(days)s days after your arrival); ask the "
                "International Mobility Unit."
            )
            % {"date": deadline.isoformat(), "days": settings.LA_CHANGE_WINDOW_DAYS}
        )


@transaction.atomic
def save_draft(
    *,
    agreement: LearningAgreement,
    actor: User | None,
    rows: Sequence[checks.Row],
    language: str = "",
    language_level: str = "",
) -> LearningAgreement:
    """Replace the draft's components with ``rows`` (as typed; errors are allowed in a draft
    and block only the submission)."""
    require_actor(actor, EDIT, agreement)
    agreement = LearningAgreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.state != LearningAgreementState.DRAFT:
        raise MobilityError(
            _("Version %(number)s is signed and can no longer change.")
            % {"number": agreement.number}
        )
    agreement.language = language
    agreement.language_level = language_level
    agreement.save(update_fields=["language", "language_level"])
    agreement.components.all().delete()
    positions: dict[str, int] = {}
    components = []
    for row in rows:
        if not (row.title.strip() or row.code.strip() or row.ects is not None):
            continue  # an empty line of the form
        positions[row.table] = positions.get(row.table, 0) + 1
        changed = agreement.stage == Stage.DURING and row.status
        components.append(
            Component(
                agreement=agreement,
                table=row.table,
                position=positions[row.table],
                code=row.code.strip(),
                title=row.title.strip(),
                term=row.term.strip(),
                ects=row.ects if row.ects is not None and Decimal(0) < row.ects <= 60 else None,
                is_thesis=row.is_thesis,
                status=row.status if changed else ComponentStatus.UNCHANGED,
                reason_code=row.reason_code if changed else "",
                reason_text=row.reason_text.strip() if changed else "",
            )
        )
    Component.objects.bulk_create(components)
    audit.record(actor=actor, action="la.saved", obj=agreement, components=len(components))
    return agreement


@transaction.atomic
def submit(*, agreement: LearningAgreement, actor: User | None) -> LearningAgreement:
    """The student signs the draft; it goes to the promoter. Refused while errors remain."""
    require_actor(actor, EDIT, agreement)
    _require_not_recognised(_lock(agreement.mobility))
    agreement = LearningAgreement.objects.select_related("mobility__student").get(pk=agreement.pk)
    if agreement.state != LearningAgreementState.DRAFT:
        raise MobilityError(_("Only a draft can be signed."))
    errors = [f.message for f in findings(agreement) if f.severity == "error"]
    if errors:
        raise MobilityError(_("Fix these first: %(errors)s") % {"errors": " ".join(errors)})
    agreement.state = LearningAgreementState.SUBMITTED
    agreement.student_signed_at = timezone.now()
    agreement.save(update_fields=["state", "student_signed_at"])
    audit.record(actor=actor, action="la.submitted", obj=agreement)
    transaction.on_commit(lambda: emails.send_la_submitted(agreement))
    return agreement


def _pending(agreement: LearningAgreement, state: str) -> LearningAgreement:
    agreement = LearningAgreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.state != state:
        raise MobilityError(
            _("Version %(number)s is “%(state)s”; somebody may have acted on it already.")
            % {"number": agreement.number, "state": agreement.get_state_display()}
        )
    return agreement


def _on_behalf(actor: User | None, obj: LearningAgreement | ExtensionRequest, action: str) -> None:
    """A substitute's decision records on whose behalf it was taken (both names)."""
    if actor is None:
        return
    promoters = queries.acting_for(
        actor, obj.mobility, extensions=isinstance(obj, ExtensionRequest)
    )
    record_on_behalf(actor=actor, promoters=promoters, obj=obj, action=action)


@transaction.atomic
def approve(*, agreement: LearningAgreement, actor: User | None) -> LearningAgreement:
    """The promoter approves (signs) a submitted version; it then waits for the host."""
    agreement = _pending(agreement, LearningAgreementState.SUBMITTED)
    _require_not_recognised(agreement.mobility)
    require_actor(actor, DECIDE_AGREEMENT, agreement)
    agreement.state = LearningAgreementState.APPROVED
    agreement.promoter = actor
    agreement.promoter_signed_at = timezone.now()
    agreement.save(update_fields=["state", "promoter", "promoter_signed_at"])
    audit.record(actor=actor, action="la.approved", obj=agreement)
    _on_behalf(actor, agreement, "la.approved")
    transaction.on_commit(lambda: emails.send_la_decided(agreement))
    return agreement


@transaction.atomic
def return_to_student(
    *, agreement: LearningAgreement, actor: User | None, comment: str
) -> LearningAgreement:
    """The promoter returns a submitted version with comments (required); the student fixes
    it in a new version."""
    if not comment.strip():
        raise MobilityError(_("Write what the student should change."))
    agreement = _pending(agreement, LearningAgreementState.SUBMITTED)
    require_actor(actor, DECIDE_AGREEMENT, agreement)
    agreement.state = LearningAgreementState.RETURNED
    agreement.promoter = actor
    agreement.returned_at = timezone.now()
    agreement.comment = comment.strip()
    agreement.save(update_fields=["state", "promoter", "returned_at", "comment"])
    audit.record(actor=actor, action="la.returned", obj=agreement, comment=agreement.comment)
    _on_behalf(actor, agreement, "la.returned")
    transaction.on_commit(lambda: emails.send_la_decided(agreement))
    return agreement


@transaction.atomic
def record_host_signature(
    *,
    agreement: LearningAgreement,
    actor: User | None,
    signer: str,
    document: Document | None,
    signed_at: dt.datetime | None = None,
) -> LearningAgreement:
    """The host signed: the office (or the student) uploads the host-signed PDF, or the
    partner approved the version through Erasmus Without Paper (no document, the date of
    their signature)."""
    require_actor(actor, EDIT, agreement)
    if document is not None and document.mobility_id != agreement.mobility_id:
        raise MobilityError(_("That document belongs to another mobility."))
    if not signer.strip():
        raise MobilityError(_("Give the name of who signed at the host."))
    agreement = _pending(agreement, LearningAgreementState.APPROVED)
    agreement.state = LearningAgreementState.SIGNED
    agreement.host_signer = signer.strip()[:200]
    agreement.host_signed_at = signed_at or timezone.now()
    agreement.host_document = document
    agreement.save(update_fields=["state", "host_signer", "host_signed_at", "host_document"])
    audit.record(
        actor=actor,
        action="la.host_signed",
        obj=agreement,
        document=document.pk if document else None,
    )
    return agreement


@transaction.atomic
def return_by_host(
    *, agreement: LearningAgreement, actor: User | None, comment: str, signer: str
) -> LearningAgreement:
    """The host does not sign an approved version and says why (an EWP comment): it goes
    back to the student, who fixes it in a new version, as after a promoter's return."""
    require_actor(actor, MANAGE, agreement)
    if not comment.strip():
        raise MobilityError(_("Write what the student should change."))
    agreement = _pending(agreement, LearningAgreementState.APPROVED)
    agreement.state = LearningAgreementState.RETURNED
    agreement.returned_at = timezone.now()
    agreement.comment = _("From the host (%(signer)s): %(comment)s") % {
        "signer": signer,
        "comment": comment.strip(),
    }
    agreement.save(update_fields=["state", "returned_at", "comment"])
    audit.record(actor=actor, action="la.returned_by_host", obj=agreement, comment=comment)
    transaction.on_commit(lambda: emails.send_la_decided(agreement))
    return agreement


@transaction.atomic
def bulk_decide(
    *,
    agreements: Iterable[LearningAgreement],
    actor: User | None,
    approve_them: bool,
    comment: str = "",
) -> tuple[list[LearningAgreement], list[tuple[LearningAgreement, str]]]:
    """Approve or return many at once (the promoter desk): each one on its own, so that one
    refused does not stop the others. Returns (done, [(refused, why)])."""
    done: list[LearningAgreement] = []
    refused: list[tuple[LearningAgreement, str]] = []
    for agreement in agreements:
        try:
            with transaction.atomic():
                if approve_them:
                    done.append(approve(agreement=agreement, actor=actor))
                else:
                    done.append(
                        return_to_student(agreement=agreement, actor=actor, comment=comment)
                    )
        except MobilityError as error:
            refused.append((agreement, str(error)))
    return done, refused


# ----------------------------------------------------------------------------- extensions


def cycle_limit(student: User) -> int:
    """Mobility months allowed in the student's study cycle by the usual rule
    (:func:`abroad.core.cycles.months_limit`: 24 in a single-cycle degree, else 12)."""
    return cycles.months_limit(student.course_level)


def cycle_limit_of(mobility: Mobility) -> int:
    """The months allowed in the study cycle for ``mobility``: as its call set them, else the
    usual rule."""
    if mobility.cycle_months is not None:
        return mobility.cycle_months
    return cycle_limit(mobility.student)


def months_used_elsewhere(mobility: Mobility) -> int:
    """Months of the cycle used before this mobility (the registrar's count)."""
    career = getattr(mobility.student, "career", None)
    return career.months_used if career is not None else 0


def extension_deadline(mobility: Mobility) -> dt.date | None:
    """The last day an extension may be requested: the planned end less the notice."""
    if mobility.planned_end is None:
        return None
    return mobility.planned_end - dt.timedelta(days=settings.EXTENSION_NOTICE_DAYS)


def extensions_not_applicable(mobility: Mobility) -> str:
    """Why extensions never apply to ``mobility`` (:func:`queries.extensions_apply` is
    false)."""
    if mobility.kind == MobilityKind.DOUBLE_DEGREE:
        return _(
            "A double degree lasts as its agreement says, %(months)s months: extensions do not "
            "apply to it."
        ) % {"months": mobility.months}
    return _("This destination's agreement does not allow extensions.")


def extension_problem(*, mobility: Mobility, requested_end: dt.date, today: dt.date) -> str | None:
    """Why an extension to ``requested_end`` cannot be requested today, or None."""
    if not queries.extensions_apply(mobility):
        return extensions_not_applicable(mobility)
    if mobility.state != MobilityState.IN_MOBILITY:
        return _("An extension is requested during the mobility, after your arrival.")
    end = mobility.planned_end
    start = mobility.start
    if end is None or start is None:
        return _("The mobility has no planned end yet; ask the International Mobility Unit.")
    if requested_end <= end:
        return _("The new end must come after the planned end, %(end)s.") % {"end": end.isoformat()}
    last_day = extension_deadline(mobility)
    assert last_day is not None
    if today > last_day:
        return _(
            "Extensions are requested at least %(days)s days before the planned end (%(end)s); "
            "the last day was %(last)s."
        ) % {
            "days": settings.EXTENSION_NOTICE_DAYS,
            "end": end.isoformat(),
            "last": last_day.isoformat(),
        }
    months = months_between(start, requested_end)
    used = months_used_elsewhere(mobility)
    limit = cycle_limit_of(mobility)
    if used + months > limit:
        return _(
            "With the extension this mobility lasts %(months)s months; with %(used)s used before, "
            "that exceeds the %(limit)s months allowed in your study cycle."
        ) % {"months": months, "used": used, "limit": limit}
    return None


@transaction.atomic
def request_extension(
    *,
    mobility: Mobility,
    actor: User | None,
    requested_end: dt.date,
    reason: str,
    form: UploadedFile,
    today: dt.date | None = None,
) -> ExtensionRequest:
    if not queries.extensions_apply(mobility):
        raise MobilityError(extensions_not_applicable(mobility))
    require_actor(actor, EXTEND, mobility)
    mobility = _lock(mobility)
    today = today or timezone.localdate()
    problem = extension_problem(mobility=mobility, requested_end=requested_end, today=today)
    if problem:
        raise MobilityError(problem)
    if not reason.strip():
        raise MobilityError(_("Explain why you ask for the extension."))
    if mobility.extensions.filter(state=ExtensionState.REQUESTED).exists():
        raise MobilityError(_("An extension request is already waiting for the promoter."))
    document = upload_document(
        mobility=mobility, kind=DocumentKind.EXTENSION_FORM, file=form, actor=actor
    )
    assert mobility.planned_end is not None
    assert mobility.start is not None
    extension = ExtensionRequest.objects.create(
        mobility=mobility,
        current_end=mobility.planned_end,
        requested_end=requested_end,
        months_before=mobility.months,
        months_after=months_between(mobility.start, requested_end),
        reason=reason.strip(),
        form=document,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        actor=actor, action="extension.requested", obj=extension, requested_end=requested_end
    )
    transaction.on_commit(lambda: emails.send_extension_requested(extension))
    return extension


@transaction.atomic
def decide_extension(
    *, extension: ExtensionRequest, actor: User | None, authorise: bool, reason: str = ""
) -> ExtensionRequest:
    """The promoter authorises (the end and months change now) or refuses with a reason."""
    extension = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
    if extension.state != ExtensionState.REQUESTED:
        raise MobilityError(
            _("This request is “%(state)s” already.") % {"state": extension.get_state_display()}
        )
    require_actor(actor, DECIDE_EXTENSION, extension)
    if not authorise and not reason.strip():
        raise MobilityError(_("Give the reason of the refusal."))
    mobility = _lock(extension.mobility)
    if authorise:
        used = months_used_elsewhere(mobility)
        limit = cycle_limit_of(mobility)
        if used + extension.months_after > limit:
            raise MobilityError(
                _("The study cycle allows %(limit)s months and %(used)s are used already.")
                % {"limit": limit, "used": used}
            )
        mobility.planned_end = extension.requested_end
        mobility.months = extension.months_after
        mobility.save(update_fields=["planned_end", "months"])
    extension.state = ExtensionState.APPROVED if authorise else ExtensionState.REFUSED
    extension.decided_by = actor
    extension.decided_at = timezone.now()
    extension.decision_reason = reason.strip()
    extension.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
    audit.record(
        actor=actor,
        action="extension.authorised" if authorise else "extension.refused",
        obj=extension,
        reason=extension.decision_reason,
        months=extension.months_after,
    )
    _on_behalf(actor, extension, "extension.authorised" if authorise else "extension.refused")
    transaction.on_commit(lambda: emails.send_extension_decided(extension))
    return extension


@transaction.atomic
def withdraw_extension(*, extension: ExtensionRequest, actor: User | None) -> ExtensionRequest:
    extension = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
    if extension.state != ExtensionState.REQUESTED:
        raise MobilityError(_("Only a waiting request can be withdrawn."))
    require_actor(actor, WITHDRAW_EXTENSION, extension)
    extension.state = ExtensionState.WITHDRAWN
    extension.save(update_fields=["state"])
    audit.record(actor=actor, action="extension.withdrawn", obj=extension)
    return extension
