"""E-mails of the selection, one function each, rendered from subject/text templates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from abroad.core import mail

if TYPE_CHECKING:
    from abroad.selection.models import Application, Assignment


def _send(template: str, context: dict[str, Any], to: mail.Recipients) -> None:
    mail.send(f"selection/email/{template}", context, to)


def send_submission_confirmation(application: Application) -> None:
    preferences = list(
        application.preferences.select_related("call_offer__offer__agreement__partner")
    )
    _send(
        "submitted",
        {"application": application, "call": application.call, "preferences": preferences},
        application.student,
    )


def send_results(assignments: Iterable[Assignment]) -> None:
    """Every applicant's result, queued in one go (a round may have thousands)."""
    mail.send_many(
        (
            "selection/email/results",
            {"assignment": assignment, "round": assignment.round, "call": assignment.round.call},
            assignment.application.student,
        )
        for assignment in assignments
    )


def send_acceptance_confirmation(assignment: Assignment) -> None:
    _send(
        "accepted",
        {"assignment": assignment, "call": assignment.round.call},
        assignment.application.student,
    )
