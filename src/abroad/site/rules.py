"""Who may read the outbox (every e-mail abroad queued, with its state): the office."""

from __future__ import annotations

import rules

from abroad.people.rules import is_office

rules.add_perm("core.view_outboxmessage", is_office)
