"""Who may do what with calls, applications and assignments.

Calls are public. Students apply. An application is seen by its student, by the office, and
by the promoters of the call's Schools; an assignment is answered by its student alone.
Views answer 404 for an application or assignment the user may not see.

An office user scoped to a School (``User.office_school``, :func:`abroad.people.rules.office_scope`)
sees and runs only the calls of that School (a call belongs to its ``schools``), with their
applications, rounds and assignments: :func:`in_call_scope` is the predicate,
:func:`abroad.selection.queries.office_calls` the filter."""

from __future__ import annotations

from typing import Any

import rules

from abroad.matching.window import WindowState
from abroad.people.rules import in_office_scope, is_office, is_promoter, is_student
from abroad.selection.enums import ApplicationState, RoundState


def _owns(user: Any, application: Any) -> bool:
    return bool(
        application is not None
        and user.is_authenticated
        and application.student_id == getattr(user, "pk", None)
    )


def promoter_school_ids(user: Any) -> set[int]:
    """The promoter's School and the School it is a section of; empty for anybody else."""
    if not getattr(user, "is_promoter", False):
        return set()
    promoter = getattr(user, "promoter", None)
    if promoter is None:
        return set()
    return {promoter.school_id} | ({promoter.school.parent_id} - {None})


def _promotes_for(user: Any, call: Any) -> bool:
    """The promoter's School (or the School it is a section of) is one of the call's. Reads
    ``call.schools`` through its prefetch when the caller made one."""
    school_ids = promoter_school_ids(user)
    return (
        call is not None
        and bool(school_ids)
        and any(school.pk in school_ids for school in call.schools.all())
    )


def _call_of(obj: Any) -> Any:
    """The call of a call, an application, a round or an assignment."""
    if obj is None or hasattr(obj, "schools"):
        return obj
    if hasattr(obj, "round_id") and hasattr(obj, "application_id"):  # an assignment
        return obj.round.call
    return getattr(obj, "call", None)


def call_school_ids(call: Any) -> list[int]:
    """The call's Schools (through their prefetch when the caller made one)."""
    return [school.pk for school in call.schools.all()]


@rules.predicate
def in_call_scope(user: Any, obj: Any) -> bool:
    """The object's call is within the user's office scope (None: calls in general, the
    office's pages, whose lists are filtered)."""
    call = _call_of(obj)
    return call is None or in_office_scope(user, call_school_ids(call))


# The office of the object's School (an unscoped office: every School).
is_office_of = is_office & in_call_scope


@rules.predicate
def is_application_owner(user: Any, application: Any) -> bool:
    return _owns(user, application)


@rules.predicate
def is_promoter_of_application_call(user: Any, application: Any) -> bool:
    return application is not None and _promotes_for(user, application.call)


@rules.predicate
def is_promoter_of_call(user: Any, call: Any) -> bool:
    return _promotes_for(user, call)


@rules.predicate
def is_submitted(user: Any, application: Any) -> bool:
    return application is not None and application.state == ApplicationState.SUBMITTED


@rules.predicate
def window_open(user: Any, application: Any) -> bool:
    """The application's call takes applications now (``Call.is_open``)."""
    return application is not None and application.call.is_open()


@rules.predicate
def call_closed(user: Any, call: Any) -> bool:
    """The call takes no more applications: it can be ranked and allocated
    (``services.rank_call`` asks the same of the call's window)."""
    return call is not None and call.state_at() is WindowState.CLOSED


def unclosed_round_exists(call: Any) -> bool:
    """A round of the call is not closed yet: its students can still accept, so the next
    round waits (``services.create_round`` refuses on the same condition)."""
    return bool(call.rounds.exclude(state=RoundState.CLOSED).exists())


@rules.predicate
def earlier_rounds_closed(user: Any, call: Any) -> bool:
    return call is not None and not unclosed_round_exists(call)


@rules.predicate
def has_promoter_school(user: Any) -> bool:
    return bool(promoter_school_ids(user))


@rules.predicate
def is_assignment_owner(user: Any, assignment: Any) -> bool:
    return assignment is not None and _owns(user, assignment.application)


@rules.predicate
def is_promoter_of_assignment_call(user: Any, assignment: Any) -> bool:
    return assignment is not None and _promotes_for(user, assignment.round.call)


# Calls are public: their page, dates and destinations.
rules.add_perm("selection.view_call", rules.always_allow)
# Students rank destinations, submit and withdraw their own application (the services check
# the deadline, the School and the career).
rules.add_perm("selection.apply_to_call", is_student)
rules.add_perm(
    "selection.view_application",
    is_application_owner | is_office_of | (is_promoter & is_promoter_of_application_call),
)
rules.add_perm("selection.change_application", is_student & is_application_owner)
# Only a submitted application is withdrawn (a draft takes no part anyway), until the deadline.
can_withdraw = is_student & is_application_owner & is_submitted & window_open
rules.add_perm("selection.withdraw_application", can_withdraw)
rules.add_perm(
    "selection.view_assignment",
    is_assignment_owner | is_office_of | (is_promoter & is_promoter_of_assignment_call),
)
rules.add_perm("selection.answer_assignment", is_assignment_owner)
# The office runs calls: ranking, rounds, publication. The promoters of a call's Schools may
# read its ranking. Asked of a call (or its application, round, assignment): the office of
# the call's Schools; asked of nothing: the office's pages, whose lists are scoped.
rules.add_perm("selection.manage_calls", is_office_of)
# Ranking waits for the call to close; a new round waits for the earlier ones to close.
rules.add_perm("selection.rank_call", is_office_of & call_closed)
rules.add_perm("selection.create_round", is_office_of & earlier_rounds_closed)
rules.add_perm("selection.view_ranking", is_office_of | (is_promoter & is_promoter_of_call))
# The office's list of calls: the office sees every call, a promoter the calls of their School.
rules.add_perm("selection.view_office_calls", is_office | (is_promoter & has_promoter_school))
