"""Who sees the statistics.

- ``statistics.view_dashboard``: the office's dashboard and its downloads (404 for others).
- ``statistics.view_partner``: a partner's public figures (aggregates only): everybody.
- ``statistics.export_ifs02``: the proof of mobility periods for the national data platform
  (names and fiscal codes): the office, each user within its School scope (the export filters
  with ``mobility.queries.office_mobilities_q``).
"""

from __future__ import annotations

import rules

from abroad.people.rules import is_office

rules.add_perm("statistics.view_dashboard", is_office)
rules.add_perm("statistics.view_partner", rules.always_allow)
rules.add_perm("statistics.export_ifs02", is_office)
