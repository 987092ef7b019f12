"""Who may see what in the catalogue. Public agreements are public; the office manages the
catalogue (in the admin and through imports)."""

from __future__ import annotations

from typing import Any

import rules

from abroad.catalogue.enums import AgreementStatus
from abroad.people.rules import is_office


@rules.predicate
def is_public_agreement(user: Any, agreement: Any) -> bool:
    return bool(agreement is not None and agreement.status in AgreementStatus.public_states())


rules.add_perm("catalogue.view_agreement", is_public_agreement | is_office)
rules.add_perm("catalogue.manage_agreements", is_office)

# The office manages every catalogue model in the admin.
for model in (
    "institution",
    "school",
    "courseofstudy",
    "network",
    "networkmembership",
    "promoter",
    "contact",
    "agreement",
    "offer",
):
    for action in ("view", "add", "change", "delete"):
        if not rules.perm_exists(f"catalogue.{action}_{model}"):
            rules.add_perm(f"catalogue.{action}_{model}", is_office)
