"""E-mails of the networks, one function each, rendered from subject/text templates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from abroad.core import mail

if TYPE_CHECKING:
    from abroad.networks.models import AthensAllocation, AthensApplication, DoubleDegreePlan


def send_submission_confirmation(application: AthensApplication) -> None:
    choices = list(application.choices.select_related("course__host").order_by("rank"))
    mail.send(
        "networks/email/submitted",
        {"application": application, "session": application.session, "choices": choices},
        application.student,
    )


def send_results(allocations: Iterable[AthensAllocation]) -> None:
    """Every applicant's result, queued in one go."""
    mail.send_many(
        (
            "networks/email/results",
            {"allocation": allocation, "session": allocation.application.session},
            allocation.application.student,
        )
        for allocation in allocations
    )


def send_plan_decided(plan: DoubleDegreePlan) -> None:
    mail.send("networks/email/plan_decided", {"plan": plan}, plan.mobility.student)
