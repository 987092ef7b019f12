"""Who sees a mobility's grant: its student and the office (an ISEE is nobody else's)."""

from __future__ import annotations

import rules

from abroad.mobility.rules import is_owner
from abroad.people.rules import is_office

rules.add_perm("grants.view_grant", is_owner | is_office)
rules.add_perm("grants.manage_grants", is_office)
