"""Where a student stands on one call, in one word: the one rule behind every state word the
student reads ("My calls", the call's page) and the office reads beside it (an application's
page). Pure: it is given the application's state, its eligibility, the answers of the
published rounds and the call's window, and reads nothing from the database.

The order matters: a seat decides over the application (a student who accepted a seat is no
longer "submitted"), an eligibility decision over the submission, and a closed call turns a
draft into "not submitted"."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from abroad.matching.window import WindowState


class StudentState(StrEnum):
    NOT_STARTED = "not_started"  # no application, the call not closed
    NOT_APPLIED = "not_applied"  # no application, and the call is closed
    DRAFT = "draft"  # a ranking saved, not submitted, the call not closed
    NOT_SUBMITTED = "not_submitted"  # a draft when the call closed: it takes no part
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    NOT_ELIGIBLE = "not_eligible"  # the office's ranking found it not eligible
    NO_SEAT = "no_seat"  # the published rounds gave no seat (yet)
    SEAT_OFFERED = "seat_offered"  # a seat waits for the student's answer
    ACCEPTED = "accepted"
    RENOUNCED = "renounced"
    EXPIRED = "expired"  # a seat offered, no answer by the deadline

    @property
    def label(self) -> Promise:
        return LABELS[self]


LABELS: dict[StudentState, Promise] = {
    StudentState.NOT_STARTED: _("not started"),
    StudentState.NOT_APPLIED: _("closed: you did not apply"),
    StudentState.DRAFT: _("draft: not submitted"),
    StudentState.NOT_SUBMITTED: _("closed: not submitted"),
    StudentState.SUBMITTED: _("submitted"),
    StudentState.WITHDRAWN: _("withdrawn"),
    StudentState.NOT_ELIGIBLE: _("not eligible"),
    StudentState.NO_SEAT: _("no seat"),
    StudentState.SEAT_OFFERED: _("seat offered: answer by the deadline"),
    StudentState.ACCEPTED: _("seat accepted"),
    StudentState.RENOUNCED: _("seat renounced"),
    StudentState.EXPIRED: _("seat not answered in time"),
}

# Assignment states (selection.enums.AssignmentState values), by the word they give.
_SEAT_WORDS = {
    "accepted": StudentState.ACCEPTED,
    "offered": StudentState.SEAT_OFFERED,
    "renounced": StudentState.RENOUNCED,
    "expired": StudentState.EXPIRED,
    "none": StudentState.NO_SEAT,
}


@dataclass(frozen=True)
class Answer:
    """What one published round gave the application: its number and the assignment's state."""

    round: int
    state: str


def state_of(
    *,
    application_state: str | None,
    eligible: bool | None,
    answers: Iterable[Answer],
    window: WindowState,
) -> StudentState:
    """The student's state on a call. ``application_state`` is None without an application;
    ``answers`` are the assignments of the published (or closed) rounds only."""
    answers = sorted(answers, key=lambda answer: answer.round)
    if any(answer.state == "accepted" for answer in answers):
        return StudentState.ACCEPTED
    if answers:
        return _SEAT_WORDS.get(answers[-1].state, StudentState.NO_SEAT)
    if application_state is None:
        return (
            StudentState.NOT_APPLIED if window is WindowState.CLOSED else StudentState.NOT_STARTED
        )
    if application_state == "withdrawn":
        return StudentState.WITHDRAWN
    if application_state == "draft":
        return StudentState.NOT_SUBMITTED if window is WindowState.CLOSED else StudentState.DRAFT
    if eligible is False:
        return StudentState.NOT_ELIGIBLE
    return StudentState.SUBMITTED


# A submitted application still in the running (not yet decided by a round).
STILL_IN_THE_RUNNING = (StudentState.SUBMITTED, StudentState.SEAT_OFFERED, StudentState.NO_SEAT)


def double_commitment(states: Sequence[tuple[int, StudentState]]) -> tuple[list[int], list[int]]:
    """The calls where the student accepted a seat, and the other calls where their
    application is still in the running: both lists are empty unless the student holds an
    accepted seat *and* another live application (the pages then warn). ``states`` pairs a
    call's id with the student's state on it."""
    accepted = [call for call, state in states if state is StudentState.ACCEPTED]
    if not accepted:
        return [], []
    others = [
        call for call, state in states if state in STILL_IN_THE_RUNNING and call not in accepted
    ]
    return (accepted, others) if others else ([], [])
