"""The IIAs Approval API v2 through Django's test client, with requests signed by two
partners the test catalogue lists: each learns which of *its* agreements (by its own
iia-ids) we approved, with the hash of its copy we accepted, and nothing of the others;
the answers and our manifest entries are valid against the specification's and the
registry's schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from lxml import etree

from abroad.catalogue.enums import Programme
from abroad.catalogue.models import Agreement, Institution
from abroad.ewp import services, xml
from abroad.ewp.network import approval, cnr
from tests.ewp.network.test_iias import (
    DELFT,
    WARSAW,
    Partners,
    delft,  # noqa: F401 (fixture)
    make_agreement,
    partners,  # noqa: F401 (fixture)
    warsaw,  # noqa: F401 (fixture)
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

SCHEMAS = "ewp-registry-service-vendored/src/main/resources/schemas"
APPROVAL = ["ewp-specs-api-iias-approval", f"{SCHEMAS}/ewp-specs-api-iias-approval-v2.0.0"]
CNR = ["ewp-specs-api-iia-cnr", f"{SCHEMAS}/ewp-specs-api-iia-cnr-v3.0.0"]
NS = {"a": approval.RESPONSE_NS}
HASH_D = "a96d6d4254326e5c608ea00b1d2cec77f46e12c2c6f8a4c0b57d05f8c6908c29"
HASH_W = "3d3310935590256ecff21549b45eb4e1662b0f2a2aafcb7d91ea5f271f4d9e07"


def approve(agreement: Agreement, their_id: str, their_hash: str) -> None:
    """As accepting their copy from the inbox leaves it."""
    link = services.iia_link(agreement)
    link.partner_iia_id = their_id
    link.partner_hash = their_hash
    link.save()


def approvals(response: Any, ewp_schemas: Path) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.content
    assert "Signature" in response
    root = etree.fromstring(response.content)
    for folder in APPROVAL:
        schema = xml._schema(ewp_schemas, f"{folder}/response.xsd")
        assert list(schema.iter_errors(root)) == [], folder
    return [
        (xml.text(node, "a:iia-id", NS), xml.text(node, "a:iia-hash", NS))
        for node in root.iterfind("a:approval", NS)
    ]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_partner_learns_which_of_its_agreements_we_approved_with_the_hash(
    partners: Partners,  # noqa: F811
    delft: Institution,  # noqa: F811
    warsaw: Institution,  # noqa: F811
    ewp_schemas: Path,
    method: str,
) -> None:
    approve(make_agreement(delft), "delft-1", HASH_D)
    approve(make_agreement(delft), "delft-2", "")  # their copy known, not approved
    make_agreement(delft)  # never exchanged
    approve(make_agreement(warsaw), "uw-1", HASH_W)
    approve(make_agreement(delft, programme=Programme.BILATERAL), "delft-3", HASH_D)
    call = partners.get if method == "GET" else partners.post
    asked = ["uw-1", "delft-2", "unknown", "delft-1", "delft-3", "delft-1"]
    response = call(DELFT, "/ewp/iias-approval", [("iia_id", i) for i in asked])
    # Warsaw's agreement is left out, as unknown and unapproved ids are.
    assert approvals(response, ewp_schemas) == [("delft-1", HASH_D)]
    response = call(WARSAW, "/ewp/iias-approval", [("iia_id", i) for i in asked])
    assert approvals(response, ewp_schemas) == [("uw-1", HASH_W)]


def test_none_approved_is_an_empty_valid_response(
    partners: Partners,  # noqa: F811
    delft: Institution,  # noqa: F811
    ewp_schemas: Path,
) -> None:
    response = partners.get(DELFT, "/ewp/iias-approval", [("iia_id", "nothing")])
    assert approvals(response, ewp_schemas) == []


def test_an_unsigned_request_is_refused_with_401(partners: Partners) -> None:  # noqa: F811
    response = Client().get("/ewp/iias-approval?iia_id=x")
    assert response.status_code == 401
    assert b"developer-message" in response.content


def test_no_iia_id_or_more_than_we_declare_is_refused_with_400(
    partners: Partners,  # noqa: F811
    delft: Institution,  # noqa: F811
    ewp_schemas: Path,
) -> None:
    approve(make_agreement(delft), "delft-1", HASH_D)
    at_most = [("iia_id", "delft-1")] * approval.MAX_IIA_IDS
    assert approvals(partners.get(DELFT, "/ewp/iias-approval", at_most), ewp_schemas)
    too_many = [*at_most, ("iia_id", "delft-1")]
    assert partners.get(DELFT, "/ewp/iias-approval", too_many).status_code == 400
    assert partners.post(DELFT, "/ewp/iias-approval", too_many).status_code == 400
    assert partners.get(DELFT, "/ewp/iias-approval", []).status_code == 400


def test_the_manifest_lists_both_apis_valid_against_their_entry_schemas(
    partners: Partners,  # noqa: F811
    client: Client,
    settings: Any,
    ewp_schemas: Path,
) -> None:
    settings.SITE_URL = "https://abroad.example.eu"
    root = etree.fromstring(client.get("/ewp/manifest.xml").content)
    entry = root.find(f".//{{{approval.MANIFEST_ENTRY}}}iias-approval")
    assert entry is not None
    assert entry.get("version") == "2.0.0"
    ns = {"m": approval.MANIFEST_ENTRY}
    assert xml.text(entry, "m:url", ns) == "https://abroad.example.eu/ewp/iias-approval"
    assert xml.text(entry, "m:max-iia-ids", ns) == str(approval.MAX_IIA_IDS)
    for folder in APPROVAL:
        schema = xml._schema(ewp_schemas, f"{folder}/manifest-entry.xsd")
        assert list(schema.iter_errors(entry)) == [], folder
    entry = root.find(f".//{{{cnr.MANIFEST_ENTRY}}}iia-cnr")
    assert entry is not None
    assert entry.get("version") == "3.0.0"
    ns = {"m": cnr.MANIFEST_ENTRY}
    assert xml.text(entry, "m:url", ns) == "https://abroad.example.eu/ewp/iia-cnr"
    for folder in CNR:
        schema = xml._schema(ewp_schemas, f"{folder}/manifest-entry.xsd")
        assert list(schema.iter_errors(entry)) == [], folder
