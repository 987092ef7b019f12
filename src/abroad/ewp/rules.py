"""Who may do what with EWP documents.

* The office (``is_office``) does everything: downloads every document, uploads what partners
  send, compares and accepts or discards it, exports nominations.
* A learning agreement's EWP XML is the learning agreement itself in another format: its
  student, the office and the promoter who approves it (``mobility.queries.approves``: the
  coordinators of the student's course of study, else the partner site's promoter) download
  it. Anybody else gets a 404, as for the learning agreement's own pages.
* An agreement's IIA XML: the office and the promoters. Agreements are semi-public (the
  catalogue shows them to everybody), but the IIA carries our and the partner's identifiers
  and is a document exchanged between institutions, so students and visitors do not get it.
  The agreement's EWP page (identifiers, hashes, the partner copies received) is the
  office's.
* The exchange with partners (the inbox, agreements' EWP pages, the nominations export) is the
  university's: an office user limited to a School (``office_school``) does not run it, and
  downloads the learning agreements of its School's mobilities only.
"""

from __future__ import annotations

import rules

from abroad.mobility.rules import is_approver, is_office_of, is_owner
from abroad.people.rules import is_office, is_promoter, is_scoped_office

is_central_office = is_office & ~is_scoped_office

rules.add_perm("ewp.download_iia", is_office | is_promoter)
rules.add_perm("ewp.view_agreement", is_central_office)
rules.add_perm("ewp.download_la", is_office_of | is_owner | (is_promoter & is_approver))
# The inbox (upload, compare, accept, discard) and the nominations export.
rules.add_perm("ewp.exchange", is_central_office)
# The same rule for the menu of every page (``{% test_rule %}``): asked as a permission, Django's
# ModelBackend would read the user's permissions from the database first, two queries a page.
rules.add_rule("ewp.exchange", is_central_office)
