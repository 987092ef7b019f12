"""Who may do what with a mobility: every decision here, state included, and asked through
:mod:`abroad.core.permissions` by the views, the templates and the services alike.

A mobility is seen by its student, by the office, by the promoters who approve its learning
agreement and by the promoter who decides its extensions (who they are is written once, in
:mod:`abroad.mobility.queries`). Anybody else gets a 404.

The permissions:

- ``mobility.view_mobility``: see a mobility, its documents, versions and extensions.
- ``mobility.edit_mobility``: the student edits, signs and uploads; the office may do it for
  them.
- ``mobility.approve_learning_agreement`` / ``mobility.decide_extension``: the promoter who
  approves (decides) this mobility's learning agreements (extensions), whatever their state.
- ``mobility.review_learning_agreement`` / ``mobility.review_extension``: open the desk's
  review page (the approver or decider; the office, read-only).
- ``mobility.decide_submitted_learning_agreement`` / ``mobility.decide_requested_extension``:
  approve or return this version now (the approver, while it is submitted); authorise or refuse
  this request now (the decider, while it is requested).
- ``mobility.request_extension``: the student, on a mobility extensions apply to
  (:func:`abroad.mobility.queries.extensions_apply`); ``mobility.withdraw_extension``: the
  student, while the request waits.
- ``mobility.change_planned_dates``: the student while no version of the learning agreement
  is submitted; the office until the departure is recorded.
- ``mobility.ask_office_for_dates``: the student whose dates the submitted learning agreement
  fixed, before the departure: they ask the office to change them.
- ``mobility.manage_mobilities``: the office (its pages, the state of a mobility, a return by
  the host).
- An office user scoped to a School (``User.office_school``) is the office of the mobilities
  of that School's students only (a mobility belongs to its student's course of study's
  School: :func:`in_mobility_scope`, the filter
  :func:`abroad.mobility.queries.office_mobilities_q`); another School's mobility answers
  404 as a missing one.
- ``mobility.use_desk``: the promoter's desk (promoters; the office, read-only);
  ``mobility.decide_on_desk``: its bulk decisions (promoters).
"""

from __future__ import annotations

from typing import Any

import rules

from abroad.mobility.enums import ExtensionState, LearningAgreementState
from abroad.mobility.models import ExtensionRequest, LearningAgreement
from abroad.mobility.queries import (  # noqa: F401  (approver_q, decider_q: used by other apps)
    agreement_submitted,
    approver_q,
    approves,
    before_departure,
    decider_q,
    decides_extensions,
    extensions_apply,
)
from abroad.people.rules import in_office_scope, is_office, is_promoter


def _mobility(obj: Any) -> Any:
    """A mobility, or the mobility of a learning agreement, document or extension."""
    return getattr(obj, "mobility", obj)


@rules.predicate
def is_owner(user: Any, obj: Any) -> bool:
    mobility = _mobility(obj)
    return bool(
        mobility is not None
        and user.is_authenticated
        and mobility.student_id == getattr(user, "pk", None)
    )


def mobility_school_id(mobility: Any) -> int | None:
    """The School a mobility belongs to: its student's course of study's."""
    course = mobility.student.course_of_study
    return course.school_id if course is not None else None


@rules.predicate
def in_mobility_scope(user: Any, obj: Any) -> bool:
    """The object's mobility is within the user's office scope (None: mobilities in general,
    the office's pages, whose lists are filtered)."""
    mobility = _mobility(obj)
    return mobility is None or in_office_scope(user, [mobility_school_id(mobility)])


# The office of the mobility's School (an unscoped office: every School).
is_office_of = is_office & in_mobility_scope


@rules.predicate
def is_approver(user: Any, obj: Any) -> bool:
    return obj is not None and approves(user, _mobility(obj))


@rules.predicate
def is_decider(user: Any, obj: Any) -> bool:
    return obj is not None and decides_extensions(user, _mobility(obj))


@rules.predicate
def is_submitted(user: Any, obj: Any) -> bool:
    """A learning agreement version waiting for its promoter."""
    return isinstance(obj, LearningAgreement) and obj.state == LearningAgreementState.SUBMITTED


@rules.predicate
def not_recognised(user: Any, obj: Any) -> bool:
    """The recognition of the mobility is not validated yet: its learning agreement may still
    change (``services.open_draft`` and ``services.submit`` refuse on the same field)."""
    mobility = _mobility(obj)
    return mobility is not None and mobility.recognised_at is None


@rules.predicate
def is_requested(user: Any, obj: Any) -> bool:
    """An extension request waiting for its promoter."""
    return isinstance(obj, ExtensionRequest) and obj.state == ExtensionState.REQUESTED


@rules.predicate
def is_extendable(user: Any, obj: Any) -> bool:
    """Extensions apply to the mobility (``services.extension_problem`` refuses on the same
    rule, :func:`abroad.mobility.queries.extensions_apply`)."""
    mobility = _mobility(obj)
    return mobility is not None and extensions_apply(mobility)


@rules.predicate
def is_before_departure(user: Any, obj: Any) -> bool:
    """Not withdrawn, and the departure not recorded yet."""
    mobility = _mobility(obj)
    return mobility is not None and before_departure(mobility)


@rules.predicate
def agreement_not_submitted(user: Any, obj: Any) -> bool:
    """No version of the learning agreement was submitted yet (its dates are the plan's)."""
    mobility = _mobility(obj)
    return mobility is not None and not agreement_submitted(mobility)


can_approve = is_promoter & is_approver
can_decide = is_promoter & is_decider

rules.add_perm(
    "mobility.view_mobility", is_owner | is_office_of | (is_promoter & (is_approver | is_decider))
)
rules.add_perm("mobility.edit_mobility", is_owner | is_office_of)
rules.add_perm("mobility.approve_learning_agreement", can_approve)
rules.add_perm("mobility.review_learning_agreement", can_approve | is_office_of)
rules.add_perm(
    "mobility.decide_submitted_learning_agreement", can_approve & is_submitted & not_recognised
)
# Opening or signing a version of the learning agreement stops once the recognition is validated.
rules.add_perm("mobility.change_learning_agreement", (is_owner | is_office_of) & not_recognised)
rules.add_perm("mobility.request_extension", is_owner & is_extendable)
rules.add_perm(
    "mobility.change_planned_dates",
    is_before_departure & ((is_owner & agreement_not_submitted) | is_office_of),
)
rules.add_perm(
    "mobility.ask_office_for_dates", is_before_departure & is_owner & ~agreement_not_submitted
)
rules.add_perm("mobility.withdraw_extension", is_owner & is_requested)
rules.add_perm("mobility.decide_extension", can_decide)
rules.add_perm("mobility.review_extension", can_decide | is_office_of)
rules.add_perm("mobility.decide_requested_extension", can_decide & is_requested)
rules.add_perm("mobility.manage_mobilities", is_office_of)
rules.add_perm("mobility.use_desk", is_promoter | is_office)
rules.add_perm("mobility.decide_on_desk", is_promoter)
# ... and reads the records in the admin (where nothing is changed: see admin.py).
for model in ("document", "learningagreement", "component", "extensionrequest"):
    rules.add_perm(f"mobility.view_{model}", is_office)
