"""Who may do what with a transcript and its recognition.

The office enters (or imports) the transcript; the mobility's student accepts or disputes it;
the promoter who approves the mobility's learning agreements (``mobility.rules.approves``: the
coordinators of the student's course of study, else the partner site's promoter) adjusts and
validates the recognition. Those three see the transcript; anybody else gets a 404. The office
manages grading scales, grading tables and conversion rules (in the admin)."""

from __future__ import annotations

from typing import Any

import rules

from abroad.mobility.rules import approves
from abroad.people.rules import is_office, is_promoter


def _mobility(obj: Any) -> Any:
    """The mobility of a mobility, transcript, entry or recognition line."""
    while obj is not None and not hasattr(obj, "student_id"):
        if hasattr(obj, "transcript"):
            obj = obj.transcript
        elif hasattr(obj, "mobility"):
            obj = obj.mobility
        else:
            return None
    return obj


@rules.predicate
def is_student_of(user: Any, obj: Any) -> bool:
    mobility = _mobility(obj)
    return bool(
        mobility is not None
        and user.is_authenticated
        and mobility.student_id == getattr(user, "pk", None)
    )


@rules.predicate
def is_approver_of(user: Any, obj: Any) -> bool:
    return approves(user, _mobility(obj))


rules.add_perm(
    "recognition.view_transcript", is_student_of | is_office | (is_promoter & is_approver_of)
)
rules.add_perm("recognition.enter_transcript", is_office)
rules.add_perm("recognition.accept_transcript", is_student_of)
# The proposal is computed: the office asks for it, or the promoter who will validate it.
rules.add_perm("recognition.propose_recognition", is_office | (is_promoter & is_approver_of))
rules.add_perm("recognition.validate_recognition", is_promoter & is_approver_of)
# The office reads the validated recognitions (the registrar's export).
rules.add_perm("recognition.export_recognitions", is_office)

# The office manages scales, grading tables and conversion rules in the admin.
for model in ("gradingscale", "gradingtable", "conversionrule"):
    for action in ("view", "add", "change", "delete"):
        rules.add_perm(f"recognition.{action}_{model}", is_office)
