"""The reads of calls that views, services and e-mails share, each once. Where a read has a
Python twin (a predicate on one object), the pair is written side by side here and a test
checks that they agree (tests/selection/test_queries.py)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext as _

from abroad.catalogue.enums import MobilityType, Programme
from abroad.catalogue.models import Offer
from abroad.matching.window import Window
from abroad.people.models import User
from abroad.people.rules import office_scope
from abroad.selection.enums import ApplicationState, AssignmentState, RoundState
from abroad.selection.models import Application, Assignment, Call, CallOffer, Preference
from abroad.selection.student_state import Answer, StudentState, state_of

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


def open_calls_q(now: dt.datetime) -> Q:
    """Calls taking applications at ``now``; the twin of :meth:`Call.is_open`."""
    return Window.open_q(now, opens="opens_at", closes="closes_at")


def submitted_q() -> Q:
    """Submitted applications; the twin of :func:`is_submitted`."""
    return Q(state=ApplicationState.SUBMITTED)


def is_submitted(application: Application) -> bool:
    return application.state == ApplicationState.SUBMITTED


def accepted_q() -> Q:
    """Assignments whose seat the student accepted; the twin of :func:`is_accepted`."""
    return Q(state=AssignmentState.ACCEPTED)


def is_accepted(assignment: Assignment) -> bool:
    return assignment.state == AssignmentState.ACCEPTED


def application_of(call: Call, student: User) -> Application | None:
    """The student's application to the call, if any (one per student and call)."""
    return Application.objects.filter(call=call, student=student).first()


def applications_of(student: User) -> QuerySet[Application]:
    """Every application of the student, with its call."""
    return Application.objects.filter(student=student).select_related("call")


def seats_taken(call_offer: CallOffer) -> int:
    """The seats of the call offer accepted so far (in any round)."""
    return Assignment.objects.filter(accepted_q(), call_offer=call_offer).count()


# ------------------------------------------------ which offers may belong to a call (issue 18)
# A call's offers come from the programmes and mobility types the call is for: a semester
# call (Erasmus+, bilateral) never holds an ATHENS week (a network programme) or a 24-month
# double degree. The services check it whenever an offer enters a call (filling, the call
# editor) and when a call's programmes or mobility types change.


def fits_call_q(call: Call) -> Q:
    """Offers whose programme and mobility type the call is for; the twin of
    :func:`fits_call`."""
    return Q(
        agreement__programme__in=list(call.programmes),
        mobility_type__in=list(call.mobility_types),
    )


def fits_call(call: Call, offer: Offer) -> bool:
    return not misfits(call, offer)


def misfits(call: Call, offer: Offer) -> list[str]:
    """Why ``offer`` may not belong to ``call`` (its programme, its mobility type); empty if
    it may. Reads ``offer.agreement``."""
    reasons = []
    programme = offer.agreement.programme
    if programme not in call.programmes:
        reasons.append(
            _("%(offer)s is a %(programme)s offer; this call is for %(programmes)s.")
            % {
                "offer": offer.agreement.partner,
                "programme": offer.agreement.get_programme_display(),
                "programmes": _labels(Programme, call.programmes),
            }
        )
    if offer.mobility_type not in call.mobility_types:
        reasons.append(
            _("%(offer)s is for %(type)s; this call is for %(types)s.")
            % {
                "offer": offer.agreement.partner,
                "type": offer.get_mobility_type_display(),
                "types": _labels(MobilityType, call.mobility_types),
            }
        )
    return reasons


def _labels(choices: type[Programme] | type[MobilityType], values: list[str]) -> str:
    names = dict(choices.choices)
    return ", ".join(str(names.get(value, value)) for value in values) or "–"


def offers_in_use(call: Call) -> QuerySet[CallOffer]:
    """The call's offers that an application ranked or a round gave: they stay in the call
    (Preference and Assignment protect them)."""
    return call.call_offers.filter(
        Q(pk__in=Preference.objects.filter(call_offer__call=call).values("call_offer_id"))
        | Q(pk__in=Assignment.objects.filter(round__call=call).values("call_offer_id"))
    )


def longest_ranking(call: Call) -> int:
    """The most destinations any application to the call ranks."""
    found = (
        Preference.objects.filter(application__call=call)
        .values("application_id")
        .annotate(n=Count("id"))
        .aggregate(longest=Max("n"))["longest"]
    )
    return int(found or 0)


def student_states(student: User, now: dt.datetime) -> dict[int, StudentState]:
    """The student's state on each call they applied to (call id -> state), by the one rule
    of :mod:`abroad.selection.student_state`; two queries whatever the number of calls."""
    applications = list(applications_of(student))
    answers: dict[int, list[Answer]] = {}
    for application_id, number, state in Assignment.objects.filter(
        application__student=student,
        round__state__in=(RoundState.PUBLISHED, RoundState.CLOSED),
    ).values_list("application_id", "round__number", "state"):
        answers.setdefault(application_id, []).append(Answer(number, state))
    return {
        application.call_id: state_of(
            application_state=application.state,
            eligible=application.eligible,
            answers=answers.get(application.pk, []),
            window=application.call.state_at(now),
        )
        for application in applications
    }


# ------------------------------------------------------------- the office's School scope


def office_calls_q(user: User | AnonymousUser, prefix: str = "") -> Q:
    """The calls (or, with ``prefix`` such as ``"call__"``, the objects of the calls) within
    ``user``'s office scope, as a semi-join (no duplicate rows): the filter twin of
    :func:`abroad.selection.rules.in_call_scope`. Everything for an unscoped user."""
    scope = office_scope(user)
    if scope is None:
        return Q()
    in_scope = Call.schools.through.objects.filter(school_id__in=sorted(scope)).values("call_id")
    return Q(**{f"{prefix}pk__in" if not prefix else f"{prefix}in": in_scope})
