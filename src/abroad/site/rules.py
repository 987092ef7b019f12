"""Who may read the outbox (every e-mail abroad queued, with its state, whatever the School):
the office of the whole university, not an office user limited to a School."""

from __future__ import annotations

import rules

from abroad.people.rules import is_office, is_scoped_office

reads_outbox = is_office & ~is_scoped_office
rules.add_perm("core.view_outboxmessage", reads_outbox)
rules.add_rule("core.view_outboxmessage", reads_outbox)  # the menu (no permission queries)
