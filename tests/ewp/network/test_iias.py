"""The IIAs API v7 (index, get) through Django's test client, with requests signed by two
partners the test catalogue lists: each sees only the agreements it is party to, and the
documents are valid against the v7 schemas (the specification's and the registry's copies)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from lxml import etree

from abroad.catalogue.enums import Programme
from abroad.catalogue.models import Agreement, Institution
from abroad.ewp import iia, services, xml
from abroad.ewp.models import IiaLink
from abroad.ewp.network import httpsig, keys
from abroad.ewp.network.iias import INDEX_NS, MAX_IIA_IDS, iia_id
from tests.ewp.network.conftest import Registry, catalogue_from, with_partner
from tests.factories import AgreementFactory, InstitutionFactory, OfferFactory

pytestmark = pytest.mark.integration

HOME = "polimi.it"
DELFT = "tudelft.nl"
WARSAW = "uw.edu.pl"
VENDORED = "ewp-registry-service-vendored/src/main/resources/schemas/ewp-specs-api-iias-v7.0.0"
SCHEMAS = {
    "get": [
        "ewp-specs-api-iias/endpoints/get-response.xsd",
        f"{VENDORED}/endpoints/get-response.xsd",
    ],
    "index": [
        "ewp-specs-api-iias/endpoints/index-response.xsd",
        f"{VENDORED}/endpoints/index-response.xsd",
    ],
    "manifest": ["ewp-specs-api-iias/manifest-entry.xsd", f"{VENDORED}/manifest-entry.xsd"],
}


class Partners:
    """The client keys of Delft and Warsaw, which the catalogue binds to their HEIs."""

    def __init__(self) -> None:
        self.pairs = {DELFT: keys.KeyPair(keys.generate()), WARSAW: keys.KeyPair(keys.generate())}

    def sign(self, hei_id: str, method: str, target: str, body: bytes = b"") -> dict[str, str]:
        pair = self.pairs[hei_id]
        headers = httpsig.sign_request(
            pair.private, pair.key_id, method=method, target=target, host="testserver", body=body
        )
        return {name: value for name, value in headers.items() if name != "Host"}

    def get(self, hei_id: str, path: str, params: list[tuple[str, str]]) -> Any:
        target = f"{path}?{urlencode(params)}" if params else path
        return Client().get(target, headers=self.sign(hei_id, "GET", target))

    def post(self, hei_id: str, path: str, params: list[tuple[str, str]]) -> Any:
        body = urlencode(params).encode()
        return Client().post(
            path,
            body,
            content_type="application/x-www-form-urlencoded",
            headers=self.sign(hei_id, "POST", path, body),
        )


@pytest.fixture
def partners(
    client: Client,
    registry: Registry,
    node_keys: dict[str, Path],
    settings: Any,
    home: Institution,
) -> Partners:
    settings.EWP_HEI_ID = HOME
    settings.EWP_ADMIN_EMAIL = "ewp-admin@abroad.example.eu"
    found = Partners()
    ours = catalogue_from([client.get("/ewp/manifest.xml").content])
    with_delft = with_partner(ours, found.pairs[DELFT], [DELFT])
    registry.catalogue = with_partner(with_delft, found.pairs[WARSAW], [WARSAW])
    return found


def make_agreement(partner: Institution, **fields: Any) -> Agreement:
    agreement = AgreementFactory.create(partner=partner, **fields)
    OfferFactory.create(agreement=agreement, isced_code="0715", level_bachelor=True)
    return agreement


@pytest.fixture
def delft(db: None) -> Institution:
    return InstitutionFactory.create(name="TU Delft", country="NL", schac_code="TUDelft.nl")


@pytest.fixture
def warsaw(db: None) -> Institution:
    return InstitutionFactory.create(name="University of Warsaw", country="PL", schac_code=WARSAW)


def index_ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    root = etree.fromstring(response.content)
    return [n.text or "" for n in root.iterfind(f"{{{INDEX_NS}}}iia-id")]


def got_ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    if b"<iia>" not in response.content and b"<iia " not in response.content:
        return []
    return [one.partners[0].iia_id for one in iia.parse(response.content)]


def valid(ewp_schemas: Path, kind: str, node: etree._Element) -> None:
    for path in SCHEMAS[kind]:
        assert list(xml._schema(ewp_schemas, path).iter_errors(node)) == [], path


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_partner_sees_its_agreements_only(
    partners: Partners,
    delft: Institution,
    warsaw: Institution,
    ewp_schemas: Path,
    method: str,
) -> None:
    # v7 requests name no hei_id (v7 removed it): the node serves its own HEI.
    ours = [make_agreement(delft), make_agreement(delft, status="draft")]
    theirs = make_agreement(warsaw)
    call = partners.get if method == "GET" else partners.post

    listed = call(DELFT, "/ewp/iias/index", [])
    valid(ewp_schemas, "index", etree.fromstring(listed.content))
    assert index_ids(listed) == [iia_id(a) for a in ours]
    assert iia_id(theirs) not in index_ids(call(DELFT, "/ewp/iias/index", []))

    wanted = [iia_id(theirs), *index_ids(listed), "not-an-id", iia_id(ours[0])]
    response = call(DELFT, "/ewp/iias/get", [("iia_id", i) for i in wanted])
    assert got_ids(response) == [iia_id(a) for a in ours]  # Warsaw's left out, silently
    valid(ewp_schemas, "get", etree.fromstring(response.content))
    # The very document the office downloads: one rule for both.
    assert response.content == services.export_iias(ours)
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert "Signature" in response  # signed with our server key


@pytest.mark.django_db
def test_another_partner_sees_none_of_the_first_ones(
    partners: Partners, delft: Institution, warsaw: Institution, ewp_schemas: Path
) -> None:
    delft_ids = [iia_id(make_agreement(delft)) for _ in range(3)]
    warsaw_id = iia_id(make_agreement(warsaw))
    assert index_ids(partners.get(WARSAW, "/ewp/iias/index", [("hei_id", HOME)])) == [warsaw_id]
    asked = [("hei_id", HOME), *(("iia_id", i) for i in delft_ids)]
    empty = partners.get(WARSAW, "/ewp/iias/get", asked)
    assert got_ids(empty) == []
    valid(ewp_schemas, "get", etree.fromstring(empty.content))  # an empty envelope
    # Naming Delft as partner does not help Warsaw either.
    index = [("hei_id", HOME), ("partner_hei_id", DELFT)]
    assert index_ids(partners.get(WARSAW, "/ewp/iias/index", index)) == []
    assert len(index_ids(partners.get(DELFT, "/ewp/iias/index", index))) == 3


@pytest.mark.django_db
def test_agreements_that_are_no_iias_are_not_served(partners: Partners, delft: Institution) -> None:
    served = make_agreement(delft)
    make_agreement(delft, programme=Programme.BILATERAL)
    broad = AgreementFactory.create(partner=delft)
    OfferFactory.create(agreement=broad, isced_code="071", level_bachelor=True)  # broad field
    mute = AgreementFactory.create(partner=delft)
    OfferFactory.create(agreement=mute, language="", language_level="")  # no language asked
    listed = index_ids(partners.get(DELFT, "/ewp/iias/index", [("hei_id", HOME)]))
    assert listed == [iia_id(served)]
    asked = [("hei_id", HOME), ("iia_id", iia_id(broad)), ("iia_id", iia_id(served))]
    asked.append(("iia_id", iia_id(mute)))
    assert got_ids(partners.get(DELFT, "/ewp/iias/get", asked)) == [iia_id(served)]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/ewp/iias/index", "/ewp/iias/get"])
def test_an_unsigned_request_is_refused_with_401(partners: Partners, path: str) -> None:
    response = Client().get(f"{path}?hei_id={HOME}&iia_id=x")
    assert response.status_code == 401
    assert b"developer-message" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/ewp/iias/index", "/ewp/iias/get"])
@pytest.mark.parametrize(
    "params",
    [
        [("hei_id", "tudelft.nl")],
        [("hei_id", "unknown.example.eu")],
        [("hei_id", HOME), ("hei_id", HOME)],
    ],
    ids=["partner", "unknown", "twice"],
)
def test_a_hei_id_given_must_be_ours_else_400(
    partners: Partners, delft: Institution, path: str, params: list[tuple[str, str]]
) -> None:
    agreement = make_agreement(delft)
    response = partners.get(DELFT, path, [*params, ("iia_id", iia_id(agreement))])
    assert response.status_code == 400
    assert b"developer-message" in response.content
    assert agreement.code.encode() not in response.content


@pytest.mark.django_db
def test_more_iia_ids_than_we_declare_or_none_are_refused_with_400(
    partners: Partners, delft: Institution
) -> None:
    one = iia_id(make_agreement(delft))
    at_most = [("hei_id", HOME), *[("iia_id", one)] * MAX_IIA_IDS]
    assert partners.get(DELFT, "/ewp/iias/get", at_most).status_code == 200
    too_many = [*at_most, ("iia_id", one)]
    assert partners.get(DELFT, "/ewp/iias/get", too_many).status_code == 400
    assert partners.post(DELFT, "/ewp/iias/get", too_many).status_code == 400
    assert partners.get(DELFT, "/ewp/iias/get", [("hei_id", HOME)]).status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("year", ["2026-2027", "2026/2028", "2026", "26/27", "abcd/efgh", ""])
def test_a_malformed_academic_year_is_refused_with_400(partners: Partners, year: str) -> None:
    params = [("hei_id", HOME), ("receiving_academic_year_id", year)]
    response = partners.get(DELFT, "/ewp/iias/index", params)
    assert response.status_code == 400
    assert b"receiving_academic_year_id" in response.content


@pytest.mark.django_db
def test_the_index_filters_by_receiving_academic_year(
    partners: Partners, delft: Institution
) -> None:
    early = make_agreement(delft, start_year=2024, end_year=2025)
    late = make_agreement(delft, start_year=2026, end_year=2028)
    empty = AgreementFactory.create(partner=delft, start_year=2024, end_year=2028)  # no offer

    def listed(*years: str) -> list[str]:
        params = [("hei_id", HOME), *(("receiving_academic_year_id", y) for y in years)]
        return index_ids(partners.get(DELFT, "/ewp/iias/index", params))

    assert listed("2025/2026") == [iia_id(early)]
    assert listed("2028/2029") == [iia_id(late)]
    assert listed("2025/2026", "2027/2028") == [iia_id(early), iia_id(late)]
    assert listed("2030/2031") == []
    assert iia_id(empty) in listed()  # listed, but valid in no year: it has no condition
    asked = [("iia_id", iia_id(empty))]
    assert got_ids(partners.get(DELFT, "/ewp/iias/get", asked)) == [iia_id(empty)]


@pytest.mark.django_db
def test_the_index_filters_by_modified_since(partners: Partners, delft: Institution) -> None:
    old, changed, accepted = (make_agreement(delft) for _ in range(3))
    long_ago = datetime(2025, 1, 1, tzinfo=UTC)
    Agreement.objects.filter(pk__in=[old.pk, accepted.pk]).update(updated_at=long_ago)
    Institution.objects.filter(pk=delft.pk).update(updated_at=long_ago)
    Agreement.objects.filter(pk=changed.pk).update(updated_at=long_ago + timedelta(days=60))
    link = services.iia_link(accepted)  # the partner's copy accepted later
    IiaLink.objects.filter(pk=link.pk).update(partner_updated_at=long_ago + timedelta(days=90))

    def since(value: str) -> Any:
        params = [("hei_id", HOME), ("modified_since", value)]
        return partners.get(DELFT, "/ewp/iias/index", params)

    assert index_ids(since("2025-01-15T00:00:00+01:00")) == [iia_id(changed), iia_id(accepted)]
    assert index_ids(since("2025-03-15T12:00:00Z")) == [iia_id(accepted)]
    assert index_ids(since("2025-06-01T00:00:00")) == []  # no offset: UTC
    assert len(index_ids(partners.get(DELFT, "/ewp/iias/index", [("hei_id", HOME)]))) == 3
    # Delft renamed its SCHAC code: every agreement with Delft reads differently now.
    Institution.objects.filter(pk=delft.pk).update(updated_at=long_ago + timedelta(days=200))
    assert len(index_ids(since("2025-06-01T00:00:00Z"))) == 3
    assert since("yesterday").status_code == 400
    twice = [("hei_id", HOME), ("modified_since", "2025-01-15T00:00:00Z")] * 2
    assert partners.get(DELFT, "/ewp/iias/index", twice).status_code == 400


@pytest.mark.django_db
def test_a_post_in_another_encoding_is_refused_with_415(partners: Partners) -> None:
    body = b'{"hei_id": "polimi.it"}'
    response = Client().post(
        "/ewp/iias/index",
        body,
        content_type="application/json",
        headers=partners.sign(DELFT, "POST", "/ewp/iias/index", body),
    )
    assert response.status_code == 415


@pytest.mark.django_db
@pytest.mark.parametrize("hei_setting", [HOME, ""], ids=["setting", "home-institution"])
def test_index_and_get_take_as_many_queries_for_50_agreements_as_for_one(
    partners: Partners,
    delft: Institution,
    django_assert_max_num_queries: Any,
    settings: Any,
    hei_setting: str,
) -> None:
    settings.EWP_HEI_ID = hei_setting  # without it, our HEI is the home institution's code
    first = make_agreement(delft)
    services.iia_link(first)  # one with what we know of the partner's copy, the others none
    partners.get(DELFT, "/ewp/iias/index", [("hei_id", HOME)])  # the catalogue is read once
    with django_assert_max_num_queries(12) as one_index:
        assert len(index_ids(partners.get(DELFT, "/ewp/iias/index", [("hei_id", HOME)]))) == 1
    with django_assert_max_num_queries(12) as one_get:
        asked = [("hei_id", HOME), ("iia_id", iia_id(first))]
        assert len(got_ids(partners.get(DELFT, "/ewp/iias/get", asked))) == 1
    for _ in range(49):
        make_agreement(delft)
    with django_assert_max_num_queries(len(one_index.captured_queries)):
        ids = index_ids(partners.get(DELFT, "/ewp/iias/index", [("hei_id", HOME)]))
    assert len(ids) == 50
    with django_assert_max_num_queries(len(one_get.captured_queries)):
        asked = [("hei_id", HOME), *(("iia_id", i) for i in ids)]
        assert len(got_ids(partners.get(DELFT, "/ewp/iias/get", asked))) == 50


@pytest.mark.django_db
def test_get_finds_the_stored_id_after_the_secret_key_changed(
    partners: Partners, delft: Institution, settings: Any
) -> None:
    agreement = make_agreement(delft)
    held = iia_id(agreement)  # what Delft was sent
    assert held == str(Agreement.objects.get(pk=agreement.pk).iia_id)
    settings.SECRET_KEY = "another secret key, after a rotation"
    settings.SECRET_KEY_FALLBACKS = []
    asked = [("iia_id", held)]
    assert got_ids(partners.get(DELFT, "/ewp/iias/get", asked)) == [held]
    assert index_ids(partners.get(DELFT, "/ewp/iias/index", [])) == [held]


@pytest.mark.django_db
def test_the_manifest_lists_the_iias_api_valid_against_its_entry_schema(
    partners: Partners, client: Client, settings: Any, ewp_schemas: Path
) -> None:
    settings.SITE_URL = "https://abroad.example.eu"
    root = etree.fromstring(client.get("/ewp/manifest.xml").content)
    entry_ns = "https://github.com/erasmus-without-paper/ewp-specs-api-iias/blob/stable-v7/manifest-entry.xsd"
    entry = root.find(f".//{{{entry_ns}}}iias")
    assert entry is not None
    assert entry.get("version") == "7.0.0"
    valid(ewp_schemas, "manifest", entry)
    ns = {"i": entry_ns}
    assert xml.text(entry, "i:get-url", ns) == "https://abroad.example.eu/ewp/iias/get"
    assert xml.text(entry, "i:index-url", ns) == "https://abroad.example.eu/ewp/iias/index"
    assert xml.text(entry, "i:max-iia-ids", ns) == str(MAX_IIA_IDS)
    assert entry.find("i:stats-url", ns) is None  # only what is served
