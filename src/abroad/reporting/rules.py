"""Who sees the statistics.

- ``statistics.view_dashboard``: the office's dashboard and its downloads (404 for others).
- ``statistics.view_partner``: a partner's public figures (aggregates only): everybody.
"""

from __future__ import annotations

import rules

from abroad.people.rules import is_office

rules.add_perm("statistics.view_dashboard", is_office)
rules.add_perm("statistics.view_partner", rules.always_allow)
