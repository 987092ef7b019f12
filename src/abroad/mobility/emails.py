"""E-mails of the mobility, one function each, rendered from subject/text templates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from abroad.core import mail
from abroad.mobility import queries

if TYPE_CHECKING:
    from abroad.mobility.models import ExtensionRequest, LearningAgreement


def _send(template: str, context: dict[str, Any], to: mail.Recipients) -> None:
    mail.send(f"mobility/email/{template}", context, to)


def _users(promoters: list[Any]) -> list[Any]:
    return [promoter.user for promoter in promoters]


def _approver_emails(mobility: Any) -> list[Any]:
    """Who approves (:func:`abroad.mobility.queries.approvers`), each in their language."""
    return _users(queries.approvers(mobility))


def _decider_emails(mobility: Any) -> list[Any]:
    """Who decides extensions (:func:`abroad.mobility.queries.deciders`), each in their
    language."""
    return _users(queries.deciders(mobility))


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
        [mobility.student],
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
        [mobility.student],
    )
