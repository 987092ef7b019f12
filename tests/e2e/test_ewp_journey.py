"""Erasmus Without Paper through the pages, in Debian's Chromium.

With the catalogue's and the mobility's demo loaded and the official schemas configured, the
office opens the EWP page of the ``erasmus`` student's agreement (TU Dublin) from the
agreement, downloads the IIA, and receives TU Dublin's copy of it (their ids first, five more
months a year): the inbox shows what accepting it would change, the office accepts, and the
agreement's EWP page then names the partner's IIA id. The student downloads her learning
agreement as EWP XML from its page; it validates against the official schema. A file that is
not EWP XML is refused with the reason and nothing is stored. axe-core checks every page; the
browser logs no error (a CSP violation would be one)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from abroad.ewp import iia, xml
from abroad.ewp.models import IiaLink, Inbound
from abroad.mobility.models import Mobility
from abroad.site.demo.mobility import ERASMUS, load_mobility_demo
from tests.e2e.conftest import assert_accessible, log_in, screenshot
from tests.ewp.conftest import SCHEMAS

pytestmark = pytest.mark.e2e

PARTNER_IIA_ID = "TUD-IIA-2026-0042"


def partner_copy(ours: bytes, months_more: int) -> bytes:
    """The partner's copy of our IIA: them first with their own iia-id, more months."""
    root = xml.parse(ours)
    node = root.find("i:iia", iia.NS)
    assert node is not None
    partners = node.findall("i:partner", iia.NS)
    node.remove(partners[1])
    node.insert(0, partners[1])
    theirs = partners[1]
    iia_id = theirs.find("i:iia-id", iia.NS)
    if iia_id is None:
        iia_id = xml.element(None, f"{{{xml.IIAS}}}iia-id")
        theirs.insert(1, iia_id)
    iia_id.text = PARTNER_IIA_ID
    total = node.find(".//i:total-months-per-year", iia.NS)
    assert total is not None
    assert total.text
    total.text = str(int(total.text) + months_more)
    hash_node = node.find("i:iia-hash", iia.NS)
    assert hash_node is not None
    hash_node.text = iia.iia_hash(node)
    return xml.serialize(root)


def test_an_agreement_is_exchanged_and_a_learning_agreement_downloaded(
    page: Page, demo_server: str, console_errors: list[str], settings: Any, tmp_path: Path
) -> None:
    if not (SCHEMAS / "ewp-specs-api-iias").is_dir():
        pytest.fail(f"the official EWP schemas are missing from {SCHEMAS}")
    settings.EWP_SCHEMA_DIR = str(SCHEMAS)
    load_mobility_demo()
    mobility = Mobility.objects.select_related("offer__agreement", "host").get(
        student__username=ERASMUS
    )
    assert mobility.offer is not None
    agreement = mobility.offer.agreement
    assert mobility.host.schac_code == "tudublin.ie"
    # EWP v7 names detailed ISCED-F fields only; the demo has one offer here with a broader
    # field, which the agreement's EWP page would name as the thing to fix first
    agreement.offers.filter(isced_code="071").update(isced_code="0719")

    # --- The office finds the agreement's EWP page and downloads its IIA.
    log_in(page, demo_server, "office", agreement.get_absolute_url())
    page.get_by_role("link", name="EWP: identifiers, IIA XML, partner copies").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(agreement.code)
    assert_accessible(page)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the IIA (EWP XML)").click()
    ours = download_info.value.path().read_bytes()
    [mine] = iia.parse(ours)  # valid against the official schema, hash as declared
    assert mine.iia_hash == mine.computed_hash
    assert mine.partners[0].hei_id == "polimi.it"
    months = mine.outgoing("polimi.it")[0].total_months
    assert months is not None

    # --- TU Dublin's copy arrives; the inbox compares it with ours.
    copy = tmp_path / "tudublin-iia.xml"
    copy.write_bytes(partner_copy(ours, 5))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="EWP").click()
    page.get_by_label("Kind of document").select_option(Inbound.Kind.IIA.value)
    page.get_by_label("XML file").set_input_files(str(copy))
    page.get_by_role("button", name="Upload").click()
    expect(
        page.get_by_role("heading", level=2, name=re.compile("Their copy compared with"))
    ).to_be_visible()
    row = page.locator("tr", has_text="total-months-per-year")
    expect(row).to_contain_text(str(months))
    expect(row).to_contain_text(str(months + 5))
    assert_accessible(page)
    screenshot(page, "ewp-compare", full_page=True)
    page.get_by_role("button", name="Accept").click()
    expect(page.locator(".messages")).to_contain_text("updated")
    link = IiaLink.objects.get(agreement=agreement)
    assert link.partner_iia_id == PARTNER_IIA_ID
    page.goto(f"{demo_server}/ewp/agreement/{agreement.pk}/")
    expect(page.locator("main")).to_contain_text(PARTNER_IIA_ID)
    assert_accessible(page)
    screenshot(page, "ewp-agreement", full_page=True)

    # --- A file that is not EWP XML: refused, with the reason, nothing stored.
    bad = tmp_path / "notes.xml"
    bad.write_text("<notes>not an agreement</notes>")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="EWP").click()
    page.get_by_label("XML file").set_input_files(str(bad))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("alert")).to_contain_text("nothing was stored")
    expect(page.get_by_role("alert")).to_contain_text("notes")
    assert Inbound.objects.count() == 1
    assert_accessible(page)
    screenshot(page, "ewp-inbox", full_page=True)

    # --- The student downloads her learning agreement as EWP XML.
    log_in(page, demo_server, ERASMUS, f"/mobility/{mobility.pk}/")
    page.goto(f"{demo_server}/mobility/{mobility.pk}/la/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="LA as EWP XML").click()
    root = xml.read(xml.LA_GET, download_info.value.path().read_bytes())
    assert xml.text(root, "la:la/la:receiving-hei/la:hei-id", {"la": xml.LAS}) == "tudublin.ie"
    assert root.find("la:la/la:first-version", {"la": xml.LAS}) is not None
    # the refused upload answered 400 (a form with errors): the only message the browser logs
    assert console_errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
