"""Who may do what with a transcript and its recognition, and when.

The office enters (or imports) the transcript; the mobility's student accepts or disputes it;
the promoter who approves the mobility's learning agreements (``mobility.rules.approves``: the
coordinators of the student's course of study, else the partner site's promoter) adjusts and
validates the recognition. Those three see the transcript; anybody else gets a 404. The office
manages grading scales, grading tables and conversion rules (in the admin) and has the office
pages (grading tables, the registrar's export, entering a transcript): 404 for everybody else.

Who and when are both in the rules, in the style of pretalx: ``can_accept_transcript =
is_student_of & transcript_entered``. Each step has a permission for who may take it
(``recognition.accept_transcript``) and one for who may take it now
(``recognition.accept_transcript_now``): the templates ask the latter (``{% has_perm %}``) for
what to show, the services the latter after saying when the state is wrong (somebody acted
already), so that the page and the service agree. A permission is asked of a mobility, a
transcript or a line.
An office user scoped to a School (``User.office_school``) is the office of its mobilities
only (``mobility.rules.in_mobility_scope``: the student's course of study's School).
Nobody is allowed by being a superuser: these are django-rules predicates, asked through
:mod:`abroad.core.permissions`."""

from __future__ import annotations

from typing import Any

import rules

from abroad.mobility.rules import approves, in_mobility_scope
from abroad.people.rules import is_office, is_promoter
from abroad.recognition.enums import TranscriptState

# ---------------------------------------------------------------------------------- what


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


def _state(obj: Any) -> str | None:
    """The state of the transcript of a mobility, transcript or line; "" when the mobility has
    no transcript yet; None for no object."""
    if obj is None:
        return None
    if hasattr(obj, "state") and hasattr(obj, "mobility_id"):  # a transcript
        return str(obj.state)
    if hasattr(obj, "transcript") and not hasattr(obj, "student_id"):  # a line or an entry
        return str(obj.transcript.state)
    mobility = _mobility(obj)
    if mobility is None:
        return None
    from abroad.recognition.models import Transcript

    try:
        return str(mobility.transcript.state)  # cached on the mobility once read
    except Transcript.DoesNotExist:
        return ""


# ----------------------------------------------------------------------------------- who


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


# ---------------------------------------------------------------------------------- when


@rules.predicate
def transcript_editable(_user: Any, obj: Any) -> bool:
    """No transcript yet, or one not validated: the office may enter it (again)."""
    state = _state(obj)
    return state is not None and state in ("", *TranscriptState.editable_states())


@rules.predicate
def mobility_ended(_user: Any, obj: Any) -> bool:
    """The office recorded the departure (``Mobility.has_ended``): the transcript can come."""
    mobility = _mobility(obj)
    return mobility is not None and bool(mobility.has_ended)


@rules.predicate
def transcript_entered(_user: Any, obj: Any) -> bool:
    """Entered by the office, waiting for the student."""
    return _state(obj) == TranscriptState.ENTERED


@rules.predicate
def transcript_proposable(_user: Any, obj: Any) -> bool:
    """Accepted by the student, or proposed and not yet validated."""
    return _state(obj) in TranscriptState.proposable_states()


@rules.predicate
def transcript_proposed(_user: Any, obj: Any) -> bool:
    """Proposed, waiting for the promoter."""
    return _state(obj) == TranscriptState.PROPOSED


@rules.predicate
def in_scope(user: Any, obj: Any) -> bool:
    """The object's mobility is within the user's office scope (None: in general)."""
    return obj is None or bool(in_mobility_scope(user, _mobility(obj)))


# The office of the mobility's School (an unscoped office: every School).
office_of = is_office & in_scope

# ------------------------------------------------------------------------------ who & when

approving_promoter = is_promoter & is_approver_of
# Who: whatever the state (the admin, the API, a refusal's message name these).
may_view_transcript = is_student_of | office_of | approving_promoter
may_propose_recognition = office_of | approving_promoter  # the office asks, or the validator
# Who and when: what the visitor may do now (the page's buttons, the services' refusals).
can_enter_transcript = office_of & mobility_ended & transcript_editable
can_accept_transcript = is_student_of & transcript_entered
can_propose_recognition = may_propose_recognition & transcript_proposable
can_validate_recognition = approving_promoter & transcript_proposed  # adjusting a line too

rules.add_perm("recognition.view_transcript", may_view_transcript)
rules.add_perm("recognition.enter_transcript", office_of)
rules.add_perm("recognition.accept_transcript", is_student_of)
rules.add_perm("recognition.propose_recognition", may_propose_recognition)
rules.add_perm("recognition.validate_recognition", approving_promoter)

rules.add_perm("recognition.enter_transcript_now", can_enter_transcript)
rules.add_perm("recognition.accept_transcript_now", can_accept_transcript)
rules.add_perm("recognition.propose_recognition_now", can_propose_recognition)
rules.add_perm("recognition.validate_recognition_now", can_validate_recognition)

# The office's pages: entering transcripts, the grading tables, the registrar's export.
rules.add_perm("recognition.export_recognitions", is_office)
# The conversion rules page: the office and the promoters.
rules.add_perm("recognition.view_rules", is_office | is_promoter)
# The desk of recognitions to validate: the promoters (what they approve), the office (all).
rules.add_perm("recognition.view_desk", is_office | is_promoter)

# The office manages scales, grading tables and conversion rules in the admin.
for model in ("gradingscale", "gradingtable", "conversionrule"):
    for action in ("view", "add", "change", "delete"):
        rules.add_perm(f"recognition.{action}_{model}", is_office)
