"""Who sees a mobility's grant: its student and the office of its School (an ISEE is nobody
else's); the payment list is the office's, filtered by its School
(:func:`abroad.mobility.queries.office_mobilities_q`)."""

from __future__ import annotations

import rules

from abroad.mobility.rules import is_office_of, is_owner
from abroad.people.rules import is_office

rules.add_perm("grants.view_grant", is_owner | is_office_of)
rules.add_perm("grants.manage_grants", is_office)
# a mobility's grant details (fewer opportunities, ISEE...): the office of its School
rules.add_perm("grants.change_case", is_office_of)
