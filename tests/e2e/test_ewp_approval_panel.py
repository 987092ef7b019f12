"""The approval readiness panel in Debian's Chromium: with the demo loaded, TU Dublin has
approved our copy of the ``erasmus`` student's agreement (the hash of our copy now) and sent
its own copy with five more months a year; the agreement's EWP page says the partner approved
ours, that we have not approved theirs, and names the field where the copies differ. axe-core
checks the page; the screenshot is the user guide's (docs/screenshots/ewp-approval-panel.png)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from abroad.ewp import iia, services
from abroad.ewp.models import PartnerApproval
from abroad.mobility.models import Mobility
from abroad.people.models import User
from abroad.site.demo.mobility import ERASMUS, load_mobility_demo
from tests.e2e.conftest import assert_accessible, log_in, screenshot
from tests.e2e.test_ewp_journey import partner_copy
from tests.ewp.conftest import SCHEMAS

pytestmark = [pytest.mark.e2e, pytest.mark.once]  # reads pages only


def test_the_office_reads_why_approval_is_blocked(
    page: Page, demo_server: str, console_errors: list[str], settings: Any
) -> None:
    if not (SCHEMAS / "ewp-specs-api-iias").is_dir():
        pytest.fail(f"the official EWP schemas are missing from {SCHEMAS}")
    settings.EWP_SCHEMA_DIR = str(SCHEMAS)
    load_mobility_demo()
    mobility = Mobility.objects.select_related("offer__agreement").get(student__username=ERASMUS)
    assert mobility.offer is not None
    agreement = mobility.offer.agreement
    agreement.offers.filter(isced_code="071").update(isced_code="0719")  # detailed fields only
    ours = services.export_iia(agreement)
    our_hash = iia.parse(ours)[0].computed_hash
    PartnerApproval.objects.create(
        agreement=agreement,
        hei_id="tudublin.ie",
        iia_hash=our_hash,
        approved_since=timezone.now(),
        checked_at=timezone.now(),
        request_id="5b0f4c1e-2d8a-4f61-9c3e-7a1d2e3f4a5b",
    )
    services.receive_iias(
        data=partner_copy(ours, 5),
        file_name="tudublin-iia.xml",
        actor=User.objects.get(username="office"),
    )

    log_in(page, demo_server, "office", f"/ewp/agreement/{agreement.pk}/")
    panel = page.get_by_role("region", name="Approval readiness")
    expect(panel).to_be_visible()
    expect(panel.locator("#partner-approval")).to_contain_text("yes")
    expect(panel.locator("#partner-approval")).to_contain_text(our_hash)
    expect(panel.locator("#our-approval")).to_contain_text("no")
    expect(panel).to_contain_text("The two copies differ")
    row = panel.locator("tr", has_text="Total months per year")
    expect(row).to_be_visible()
    expect(row).to_contain_text(re.compile(r"\d+"))
    assert_accessible(page)
    panel.scroll_into_view_if_needed()
    screenshot(page, "ewp-approval-panel", full_page=True)
    assert console_errors == []
