"""Who may see what in the catalogue. Public agreements are public; the rest is the office's."""

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
