"""Who sees and changes the links between accounts and identity providers: the office sees
them, administrators link (a link hands an account to whoever holds that name there)."""

import rules

from abroad.people.rules import is_admin, is_office

rules.add_perm("identity.view_federatedidentity", is_office)
for action in ("add", "change", "delete"):
    rules.add_perm(f"identity.{action}_federatedidentity", is_admin)
