"""Who may do what with ATHENS sessions and double-degree plans.

Sessions and their courses are public. Students apply; an application and its allocation are
seen by their student and the office, and answered by the student alone. The office runs the
sessions. A double-degree plan follows its mobility (``mobility/rules.py``): the student, the
office and the promoters who approve the mobility's learning agreements see it; the student and
the office edit it; only an approving promoter approves or returns it. Views answer 404 for
an object the user may not see.

ATHENS sessions have no School: one ranking and one allocation across every School's students,
so the sessions are run by the university-wide office (a School-scoped office user does not
run them, ``networks.manage_sessions``); a scoped office user sees the ATHENS applications of
their School's students (the student's course of study's School) and the double-degree plans
of their School's mobilities (``mobility.rules.in_mobility_scope``)."""

from __future__ import annotations

from typing import Any

import rules

from abroad.mobility.rules import is_approver
from abroad.mobility.rules import is_office_of as is_office_of_mobility
from abroad.mobility.rules import is_owner as is_mobility_owner
from abroad.networks.enums import ApplicationState, PlanState
from abroad.networks.models import DoubleDegreePlan
from abroad.people.rules import (
    in_office_scope,
    is_office,
    is_promoter,
    is_scoped_office,
    is_student,
)


@rules.predicate
def is_application_owner(user: Any, application: Any) -> bool:
    return bool(
        application is not None
        and user.is_authenticated
        and application.student_id == getattr(user, "pk", None)
    )


@rules.predicate
def is_allocation_owner(user: Any, allocation: Any) -> bool:
    return allocation is not None and bool(is_application_owner(user, allocation.application))


@rules.predicate
def is_submitted(user: Any, application: Any) -> bool:
    return application is not None and application.state == ApplicationState.SUBMITTED


@rules.predicate
def window_open(user: Any, application: Any) -> bool:
    """The application's session takes applications now (``AthensSession.is_open``)."""
    return application is not None and application.session.is_open()


@rules.predicate
def in_application_scope(user: Any, application: Any) -> bool:
    """The ATHENS application's student is of a School within the user's office scope."""
    if application is None:
        return True
    course = application.student.course_of_study
    return in_office_scope(user, [course.school_id if course is not None else None])


def _plan(mobility: Any) -> DoubleDegreePlan | None:
    return DoubleDegreePlan.objects.filter(mobility=mobility).first()


@rules.predicate
def plan_is_editable(user: Any, mobility: Any) -> bool:
    """The mobility has no plan yet, or its plan is a draft or was returned."""
    plan = _plan(mobility)
    return plan is None or plan.state in PlanState.editable_states()


@rules.predicate
def plan_is_submitted(user: Any, mobility: Any) -> bool:
    plan = _plan(mobility)
    return plan is not None and plan.state == PlanState.SUBMITTED


rules.add_perm("networks.view_session", rules.always_allow)
rules.add_perm("networks.apply_to_session", is_student)
rules.add_perm(
    "networks.view_athens_application",
    is_application_owner | (is_office & in_application_scope),
)
rules.add_perm("networks.change_athens_application", is_student & is_application_owner)
# Only a submitted application is withdrawn (a draft takes no part anyway), until the deadline.
can_withdraw = is_student & is_application_owner & is_submitted & window_open
rules.add_perm("networks.withdraw_athens_application", can_withdraw)
rules.add_perm("networks.answer_allocation", is_student & is_allocation_owner)
rules.add_perm("networks.manage_sessions", is_office & ~is_scoped_office)

# Double-degree plans (the object is the plan's mobility).
rules.add_perm(
    "networks.view_plan",
    is_mobility_owner | is_office_of_mobility | (is_promoter & is_approver),
)
rules.add_perm("networks.edit_plan", is_mobility_owner | is_office_of_mobility)
rules.add_perm("networks.approve_plan", is_promoter & is_approver)
# What the plan's state allows now: change (or submit) it, decide on it.
rules.add_perm(
    "networks.change_plan", (is_mobility_owner | is_office_of_mobility) & plan_is_editable
)
rules.add_perm("networks.decide_plan", is_promoter & is_approver & plan_is_submitted)
