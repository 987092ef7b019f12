"""E-mails of the mobility, one function each, rendered from subject/text templates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from abroad.core import mail

if TYPE_CHECKING:
    from abroad.mobility.models import ExtensionRequest, LearningAgreement


def _send(template: str, context: dict[str, Any], to: list[str]) -> None:
    mail.send(f"mobility/email/{template}", context, to)


def _approver_emails(mobility: Any) -> list[str]:
    """The exchange coordinators of the student's course, else the partner site's promoter
    (the rule of :func:`abroad.mobility.rules.approves`)."""
    course = mobility.student.course_of_study
    if course is not None:
        coordinators = [p.user.email for p in course.coordinators.select_related("user")]
        if coordinators:
            return coordinators
    offer = mobility.offer
    if offer is not None and offer.agreement.promoter is not None:
        return [offer.agreement.promoter.user.email]
    return []


def _decider_emails(mobility: Any) -> list[str]:
    offer = mobility.offer
    if offer is not None and offer.agreement.promoter is not None:
        return [offer.agreement.promoter.user.email]
    return _approver_emails(mobility)


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
