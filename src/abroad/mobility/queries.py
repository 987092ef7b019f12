"""Reads about mobilities shared by views, services, e-mails, the PDF, EWP and the other
apps: each rule written once.

- :func:`in_force`: the learning agreement in force, the last version signed by all three.
- :func:`in_force_or_latest`: the one in force, or the last version not withdrawn while none
  is signed yet (what the student plans to study).
- :func:`live_components`: a version's rows as the agreement stands, the rows a change deletes
  left out (:func:`abroad.mobility.checks.is_live` is the predicate on one row).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

from abroad.mobility.checks import is_live
from abroad.mobility.enums import AgreementState

if TYPE_CHECKING:
    from abroad.mobility.models import Component, LearningAgreement, Mobility

R = TypeVar("R")


def in_force(mobility: Mobility) -> LearningAgreement | None:
    """The version in force: the last one signed by all three, or None."""
    return (
        mobility.learning_agreements.filter(state=AgreementState.SIGNED).order_by("-number").first()
    )


def in_force_or_latest(mobility: Mobility) -> LearningAgreement | None:
    """The version in force, or the last one not withdrawn while none is signed yet."""
    return (
        in_force(mobility)
        or mobility.learning_agreements.exclude(state=AgreementState.WITHDRAWN)
        .order_by("-number")
        .first()
    )


def live_components(agreement: LearningAgreement, table: str | None = None) -> list[Component]:
    """The rows of ``agreement`` (of one table when given) as it stands: a change's deleted
    rows left out. Reads ``agreement.components.all()``, so a prefetch is used."""
    return live(agreement.components.all(), table)


def live(rows: Iterable[R], table: str | None = None) -> list[R]:
    """The rows (stored components or :class:`abroad.mobility.checks.Row`) that count, of one
    table when given."""
    return [
        row
        for row in rows
        if is_live(row) and (table is None or row.table == table)  # type: ignore[attr-defined]
    ]
