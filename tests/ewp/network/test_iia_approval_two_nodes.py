"""Issue 14, "Done means", the approval part, with two abroad nodes on loopback (node A is
this process's ``live_server``, node B a ``runserver`` subprocess with its own database, as in
test_two_nodes.py): an IIA drafted at A is fetched by B after A's CNR, B approves it, A runs
``ewp fetch-approvals`` and its agreement page says approved with matching hashes; B changes
a field and sends its CNR, A processes it, and A's inbox names the field that differs."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from abroad.ewp import iia, services
from abroad.ewp.models import Inbound, PartnerApproval, PendingCnr, SentCnr
from abroad.ewp.network import cnr
from abroad.ewp.network.iias import iia_id
from abroad.people.models import User
from tests.conftest import logged_in
from tests.ewp.network.test_iias import make_agreement
from tests.ewp.network.test_two_nodes import (  # noqa: F401 (fixtures)
    A,
    B,
    Nodes,
    node_b,
    nodes,
    shared_registry,
)
from tests.factories import InstitutionFactory

pytestmark = [pytest.mark.integration]

# B's own agreement with A (its copy), as B's office would have it.
B_AGREEMENT = """
from abroad.catalogue.models import Agreement, Institution, Offer
partner, _ = Institution.objects.get_or_create(
    schac_code="a.example.eu", defaults={"name": "Node A", "country": "IT", "city": "Milano"}
)
agreement, _ = Agreement.objects.get_or_create(
    code="B-A-APPROVE",
    defaults={"partner": partner, "programme": "erasmus", "start_year": 2026,
              "end_year": 2028, "status": "active"},
)
if not agreement.offers.exists():
    Offer.objects.create(agreement=agreement, isced_code="0715", level_bachelor=True,
                         seats=2, months=5, language="en", language_level="B2")
"""

# B's office approves A's copy waiting in its inbox: what accepting it leaves (the partner's
# iia-id and the hash of its copy on B's agreement). abroad's Accept takes the conditions for
# the accepting side's own students, which A's copy (A's students to B) does not hold, so
# the approval is recorded as the Accept records it.
B_APPROVES = """
from django.utils import timezone
from abroad.catalogue.models import Agreement
from abroad.ewp import services
from abroad.ewp.models import Inbound
inbound = Inbound.objects.filter(kind="iia", state="pending").latest("received_at")
theirs = services.inbound_iia(inbound)
agreement = Agreement.objects.get(code="B-A-APPROVE")
link = services.iia_link(agreement)
link.partner_iia_id = theirs.partners[0].iia_id
link.partner_iia_code = theirs.partners[0].iia_code
link.partner_hash = theirs.iia_hash
link.partner_xml = services.inbound_text(inbound)
link.partner_updated_at = timezone.now()
link.save()
inbound.state, inbound.agreement, inbound.decided_at = "applied", agreement, timezone.now()
inbound.save()
print("approved", theirs.partners[0].iia_id, theirs.iia_hash)
"""

B_SUSPENDS = """
from abroad.catalogue.models import Agreement
Agreement.objects.filter(code="B-A-APPROVE").update(status="suspended")
"""


def run_b(both: Nodes, *args: str) -> str:
    done = both.b.command(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def b_sends_its_cnr(both: Nodes) -> Inbound:
    """B notifies A of its agreement; A records it and fetches B's copy into its inbox."""
    out = run_b(both, "ewp", "notify-iia", "B-A-APPROVE")
    assert f"{A} notified of" in out
    assert PendingCnr.objects.filter(hei_id=B, state=PendingCnr.State.PENDING).count() == 1
    processed = cnr.process_pending()
    assert [c.state for c in processed.done] == [PendingCnr.State.DONE], processed
    return Inbound.objects.filter(kind=Inbound.Kind.IIA).latest("received_at", "pk")


def test_b_approves_our_iia_a_sees_it_then_b_changes_a_field_and_a_sees_which(
    nodes: Nodes,  # noqa: F811 (the fixture)
    settings: Any,
) -> None:
    # A queues its background work as an installation does (B's CNR is fetched when A runs
    # process-cnrs here, as its worker would), not at once in the request.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    office = logged_in(User.objects.create_user("office", role="office"))
    partner_b = InstitutionFactory.create(name="Node B", country="NL", schac_code=B)
    agreement = make_agreement(partner_b, code="A-B-APPROVE")
    ours = iia.parse(services.export_iia(agreement))[0]
    run_b(nodes, "shell", "-c", B_AGREEMENT)

    # A tells B (IIA CNR); B fetches A's IIA into its inbox and approves it.
    sent = cnr.notify(agreement)
    assert sent.state == SentCnr.State.SENT, sent.error
    assert f"fetched {A} {iia_id(agreement)}" in run_b(nodes, "ewp", "process-cnrs")
    assert f"approved {iia_id(agreement)} {ours.iia_hash}" in run_b(
        nodes, "shell", "-c", B_APPROVES
    )

    # A asks B's IIAs Approval API: B approved our copy with our hash.
    out = StringIO()
    call_command("ewp", "fetch-approvals", stdout=out)
    assert f"{B}: 1 of 1 approved" in out.getvalue()
    held = PartnerApproval.objects.get(agreement=agreement)
    assert held.iia_hash == ours.iia_hash
    assert held.request_id
    page = office.get(reverse("ewp:agreement", args=[agreement.pk])).content.decode()
    approved = page[page.index('id="partner-approval"') :].split("</dd>")[0]
    assert "yes" in approved
    assert ours.iia_hash in approved
    assert held.request_id in approved

    # B's copy comes to A: compared field by field with ours.
    before = b_sends_its_cnr(nodes)
    assert before.agreement == agreement  # B's copy names our iia-id
    item = office.get(reverse("ewp:inbound", args=[before.pk])).content.decode()
    assert "Their copy compared with A-B-APPROVE" in item
    assert "In effect" not in item  # both copies are in effect

    # B changes a field (its agreement is suspended: not in effect) and tells A again.
    run_b(nodes, "shell", "-c", B_SUSPENDS)
    after = b_sends_its_cnr(nodes)
    assert after.pk != before.pk
    item = office.get(reverse("ewp:inbound", args=[after.pk])).content.decode()
    assert "In effect" in item
    assert "in-effect" in item
    # The agreement's panel shows the same field, and B's new hash.
    page = office.get(reverse("ewp:agreement", args=[agreement.pk])).content.decode()
    panel = page[page.index('id="approval-differences"') :]
    assert "In effect" in panel
    assert services.inbound_iia(after).iia_hash in page
