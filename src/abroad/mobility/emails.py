"""E-mails of the mobility, one function each, rendered from subject/text templates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from abroad.core import mail
from abroad.mobility import queries

if TYPE_CHECKING:
    from abroad.mobility.models import ExtensionRequest, LearningAgreement


def _send(template: str, context: dict[str, Any], to: list[str]) -> None:
    mail.send(f"mobility/email/{template}", context, to)


def _emails(promoters: list[Any]) -> list[str]:
    return [promoter.user.email for promoter in promoters]


def _approver_emails(mobility: Any) -> list[str]:
    """Who approves (:func:`abroad.mobility.queries.approvers`)."""
    return _emails(queries.approvers(mobility))


def _decider_emails(mobility: Any) -> list[str]:
    """Who decides extensions (:func:`abroad.mobility.queries.deciders`)."""
    return _emails(queries.deciders(mobility))


def send_la_submitted(agreement: LearningAgreement) -> None:
    mobility = agreement.mobility
    _send(
        "la_submitted",
        {"agreement": agreement, "mobility": mobility, "student": mobility.student},
        _approver_emails(mobility),
    )


def send_la_decided(agreement: LearningAgreement) -> None:
    mobility = agreement.mobility
    _send(
        "la_decided",
        {"agreement": agreement, "mobility": mobility, "student": mobility.student},
        [mobility.student.email],
    )


def send_extension_requested(extension: ExtensionRequest) -> None:
    mobility = extension.mobility
    _send(
        "extension_requested",
        {"extension": extension, "mobility": mobility, "student": mobility.student},
        _decider_emails(mobility),
    )


def send_extension_decided(extension: ExtensionRequest) -> None:
    mobility = extension.mobility
    _send(
        "extension_decided",
        {"extension": extension, "mobility": mobility, "student": mobility.student},
        [mobility.student.email],
    )
