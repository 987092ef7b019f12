"""The OMobilities API v3 (index, get, update) through Django's test client, with requests
signed by two partners the test catalogue lists: each sees only the nominations of the
students it receives; every answer is valid against the registry's v3 schemas; the receiving
HEI approves a nomination (recorded as the host's acceptance) or names a stale proposal
(409); a nominee lacking what v3 requires is left out and logged; the manifest entry."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from lxml import etree

from abroad.catalogue.models import Institution
from abroad.ewp import nominations, services, xml
from abroad.ewp.models import IiaLink, NomineeDetails
from abroad.ewp.network import httpsig, keys
from abroad.ewp.network import omobilities as node
from abroad.mobility import services as mobility_services
from abroad.mobility.enums import MobilityKind, MobilityState
from abroad.mobility.models import Mobility
from abroad.people.enums import Role
from tests.ewp.conftest import nominee_details
from tests.ewp.network import test_iias
from tests.ewp.network.test_iias import DELFT, HOME, WARSAW, Partners
from tests.factories import UserFactory
from tests.mobility.factories import MobilityFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

partners = test_iias.partners
delft = test_iias.delft
warsaw = test_iias.warsaw

VENDORED = (
    "ewp-registry-service-vendored/src/main/resources/schemas/ewp-specs-api-omobilities-v3.0.0"
)
INDEX = "/ewp/omobilities/index"
GET = "/ewp/omobilities/get"
UPDATE = "/ewp/omobilities/update"


def nominated(institution: Institution, **fields: Any) -> Mobility:
    """A mobility of ours to ``institution`` with everything v3 requires of the nominee."""
    fields.setdefault("state", MobilityState.NOMINATED)
    mobility = MobilityFactory.create(
        offer__agreement__partner=institution, host=institution, **fields
    )
    nominee_details(mobility.student)
    return mobility


def valid(ewp_schemas: Path, endpoint: str, content: bytes) -> etree._Element:
    root = etree.fromstring(content)
    schema = xml._schema(ewp_schemas, f"{VENDORED}/endpoints/{endpoint}.xsd")
    assert list(schema.iter_errors(root)) == []
    return root


def index_ids(response: Any, ewp_schemas: Path) -> list[str]:
    assert response.status_code == 200, response.content
    assert "Signature" in response
    root = valid(ewp_schemas, "index-response", response.content)
    return [n.text or "" for n in root.iterfind(f"{{{node.INDEX.namespace}}}omobility-id")]


def got(response: Any, ewp_schemas: Path) -> list[nominations.Nomination]:
    assert response.status_code == 200, response.content
    assert "Signature" in response
    valid(ewp_schemas, "get-response", response.content)
    return nominations.parse(response.content)


def update_request(omobility_id: str, proposal_id: str, *, approve: bool = True) -> bytes:
    ns = node.UPDATE_REQUEST.namespace
    action = "approve-proposal-v1" if approve else "reject-proposal-v1"
    comment = "" if approve else "<comment>No seats left.</comment>"
    return f"""<omobilities-update-request xmlns="{ns}">
  <{action}>
    <omobility-id>{omobility_id}</omobility-id>
    <proposal-id>{proposal_id}</proposal-id>
    {comment}
  </{action}>
</omobilities-update-request>""".encode()


def send_update(partners: Partners, hei: str, body: bytes) -> Any:
    return Client().post(
        UPDATE, body, content_type="text/xml", headers=partners.sign(hei, "POST", UPDATE, body)
    )


# ------------------------------------------------------------------------- who sees what


def test_unsigned_requests_are_refused_with_401_and_unknown_keys_with_403(
    partners: Partners, delft: Institution
) -> None:
    mobility = nominated(delft)
    omobility_id = services.omobility_id(mobility)
    for path in (INDEX, f"{GET}?omobility_id={omobility_id}"):
        response = Client().get(path)
        assert response.status_code == 401, path
        assert response["WWW-Authenticate"] == 'Signature realm="EWP"'
    body = update_request(omobility_id, "x")
    assert Client().post(UPDATE, body, content_type="text/xml").status_code == 401
    response = Client().post(
        "/ewp/imobility-tor-cnr",
        f"receiving_hei_id={DELFT}&omobility_id={omobility_id}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 401
    # A session (the office logged in) is no signature.
    session = Client()
    session.force_login(UserFactory.create(role=Role.OFFICE))
    assert session.get(INDEX).status_code == 401
    stranger = keys.KeyPair(keys.generate())
    headers = httpsig.sign_request(
        stranger.private, stranger.key_id, method="GET", target=INDEX, host="testserver", body=b""
    )
    del headers["Host"]
    assert Client().get(INDEX, headers=headers).status_code == 403
    mobility.refresh_from_db()
    assert mobility.state == MobilityState.NOMINATED


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_partner_sees_only_the_nominations_it_receives(
    partners: Partners,
    delft: Institution,
    warsaw: Institution,
    ewp_schemas: Path,
    method: str,
) -> None:
    to_delft = [nominated(delft), nominated(delft, academic_year=2027)]
    to_warsaw = nominated(warsaw)
    call = partners.get if method == "GET" else partners.post
    ours = [services.omobility_id(m) for m in to_delft]
    theirs = services.omobility_id(to_warsaw)

    assert index_ids(call(DELFT, INDEX, []), ewp_schemas) == ours
    assert index_ids(call(WARSAW, INDEX, []), ewp_schemas) == [theirs]
    # v2's sending_hei_id is still accepted when it is ours; another is refused
    assert index_ids(call(DELFT, INDEX, [("sending_hei_id", HOME)]), ewp_schemas) == ours
    assert call(DELFT, INDEX, [("sending_hei_id", "other.edu")]).status_code == 400
    # the filters
    year = [("receiving_academic_year_id", "2027/2028")]
    assert index_ids(call(DELFT, INDEX, year), ewp_schemas) == [ours[1]]
    assert call(DELFT, INDEX, [("receiving_academic_year_id", "2027")]).status_code == 400
    assert index_ids(call(DELFT, INDEX, [("receiving_hei_id", WARSAW)]), ewp_schemas) == []
    since = [("modified_since", "2020-01-01T00:00:00Z")]
    assert index_ids(call(DELFT, INDEX, since), ewp_schemas) == ours
    assert call(DELFT, INDEX, [("modified_since", "yesterday")]).status_code == 400

    # Delft asks for all, Warsaw's and an unknown id too: only its own, in the order asked.
    asked = [("omobility_id", i) for i in (ours[1], theirs, "not-an-id", ours[0])]
    found = got(call(DELFT, GET, asked), ewp_schemas)
    assert [n.omobility_id for n in found] == [ours[1], ours[0]]
    assert {(n.sending_hei, n.receiving_hei) for n in found} == {(HOME, DELFT)}
    assert got(call(WARSAW, GET, [("omobility_id", ours[0])]), ewp_schemas) == []


def test_get_needs_ids_and_at_most_max_omobility_ids(
    partners: Partners, delft: Institution
) -> None:
    assert partners.get(DELFT, GET, []).status_code == 400
    many = [("omobility_id", str(i)) for i in range(node.MAX_OMOBILITY_IDS + 1)]
    assert partners.post(DELFT, GET, many).status_code == 400
    response = partners.post(DELFT, GET, many[:-1])
    assert response.status_code == 200


def test_what_cannot_be_nominated_through_ewp_is_left_out_and_logged(
    partners: Partners, delft: Institution, ewp_schemas: Path, caplog: Any
) -> None:
    complete = nominated(delft)
    short = nominated(delft, kind=MobilityKind.SHORT)
    bare = MobilityFactory.create(offer__agreement__partner=delft, host=delft)  # no details
    caplog.set_level(logging.ERROR, logger="abroad.ewp.network.omobilities")
    assert index_ids(partners.get(DELFT, INDEX, []), ewp_schemas) == [
        services.omobility_id(complete)
    ]
    asked = [("omobility_id", services.omobility_id(m)) for m in (complete, short, bare)]
    found = got(partners.get(DELFT, GET, asked), ewp_schemas)
    assert [n.omobility_id for n in found] == [services.omobility_id(complete)]
    logged = caplog.text
    assert f"mobility {short.pk} not served" in logged
    assert f"mobility {bare.pk} not served" in logged
    assert "date of birth" in logged


def test_index_and_get_take_as_many_queries_for_40_nominations_as_for_one(
    partners: Partners, delft: Institution, django_assert_max_num_queries: Any
) -> None:
    first = nominated(delft)
    services.mobility_link(first)
    partners.get(DELFT, INDEX, [])  # the catalogue is read once
    with django_assert_max_num_queries(15) as one_index:
        assert partners.get(DELFT, INDEX, []).status_code == 200
    asked = [("omobility_id", services.omobility_id(first))]
    with django_assert_max_num_queries(15) as one_get:
        assert partners.get(DELFT, GET, asked).status_code == 200
    more = [nominated(delft) for _ in range(39)]
    for mobility in more:
        services.mobility_link(mobility)
    with django_assert_max_num_queries(len(one_index.captured_queries)):
        response = partners.get(DELFT, INDEX, [])
    ids = [
        n.text for n in etree.fromstring(response.content).iterfind(f"{{{node.INDEX.namespace}}}*")
    ]
    assert len(ids) == 40
    with django_assert_max_num_queries(len(one_get.captured_queries)):
        response = partners.post(DELFT, GET, [("omobility_id", i or "") for i in ids])
    assert len(nominations.parse(response.content)) == 40


def test_modified_since_lists_the_nominations_changed_after_it(
    partners: Partners, delft: Institution, ewp_schemas: Path
) -> None:
    dates, details, partner_copy, unchanged = (nominated(delft) for _ in range(4))
    agreements = {m.pk: m.offer.agreement for m in (dates, partner_copy, unchanged) if m.offer}
    for agreement in agreements.values():
        services.iia_link(agreement)
    long_ago = timezone.now() - dt.timedelta(days=30)
    Mobility.objects.update(updated_at=long_ago)
    NomineeDetails.objects.update(updated_at=long_ago)
    instant = timezone.now() - dt.timedelta(days=1)

    def listed() -> list[str]:
        since = [("modified_since", instant.isoformat())]
        return index_ids(partners.get(DELFT, INDEX, since), ewp_schemas)

    assert listed() == []
    # The office moves the dates (a save of two fields moves the mobility's time too) ...
    mobility_services.set_planned_dates(
        mobility=dates, actor=None, start=dt.date(2026, 9, 14), end=dt.date(2027, 2, 28)
    )
    # ... the student's details for EWP change, the partner's copy (their iia-id) is accepted.
    details_row = NomineeDetails.objects.get(student=details.student)
    details_row.nationality = "FR"
    details_row.save()
    IiaLink.objects.filter(agreement=agreements[partner_copy.pk]).update(
        partner_iia_id="delft-1", partner_updated_at=timezone.now()
    )
    assert sorted(listed()) == sorted(
        services.omobility_id(m) for m in (dates, details, partner_copy)
    )
    everything = index_ids(partners.get(DELFT, INDEX, []), ewp_schemas)
    assert services.omobility_id(unchanged) in everything


def test_modified_since_takes_as_many_queries_for_30_changed_nominations_as_for_one(
    partners: Partners, delft: Institution, django_assert_max_num_queries: Any
) -> None:
    instant = (timezone.now() - dt.timedelta(minutes=1)).isoformat()
    since = [("modified_since", instant)]
    nominated(delft)
    partners.get(DELFT, INDEX, since)  # the catalogue is read once
    with django_assert_max_num_queries(15) as one:
        assert partners.get(DELFT, INDEX, since).status_code == 200
    for _ in range(29):
        nominated(delft)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = partners.get(DELFT, INDEX, since)
    assert len(etree.fromstring(response.content)) == 30


# ------------------------------------------------------------------------------ update


def test_the_receiving_hei_approves_a_nomination_as_the_hosts_acceptance(
    partners: Partners, delft: Institution, warsaw: Institution, ewp_schemas: Path
) -> None:
    mobility = nominated(delft)
    omobility_id = services.omobility_id(mobility)
    [current] = got(partners.get(DELFT, GET, [("omobility_id", omobility_id)]), ewp_schemas)
    assert current.status == "pending"

    # Warsaw does not receive it: refused, nothing changes.
    body = update_request(omobility_id, current.proposal_id)
    assert send_update(partners, WARSAW, body).status_code == 400
    # A stale proposal: 409.
    assert send_update(partners, DELFT, update_request(omobility_id, "0" * 64)).status_code == 409
    # Not XML: 415; not an update request: 400.
    form = partners.post(DELFT, UPDATE, [("omobility_id", omobility_id)])
    assert form.status_code == 415
    mobility.refresh_from_db()
    assert mobility.state == MobilityState.NOMINATED

    response = send_update(partners, DELFT, body)
    assert response.status_code == 200, response.content
    valid(ewp_schemas, "update-response", response.content)
    mobility.refresh_from_db()
    assert mobility.state == MobilityState.ACCEPTED  # applied, then accepted: the office's rule
    [now] = got(partners.get(DELFT, GET, [("omobility_id", omobility_id)]), ewp_schemas)
    assert now.status == "approved"
    # The proposal is what was nominated, not its status: the same approval again is
    # answered and changes nothing.
    assert now.proposal_id == current.proposal_id
    assert send_update(partners, DELFT, body).status_code == 200
    mobility.refresh_from_db()
    assert mobility.state == MobilityState.ACCEPTED


def test_a_rejection_is_answered_and_logged_and_changes_nothing(
    partners: Partners, delft: Institution, ewp_schemas: Path, caplog: Any
) -> None:
    mobility = nominated(delft)
    omobility_id = services.omobility_id(mobility)
    [current] = got(partners.get(DELFT, GET, [("omobility_id", omobility_id)]), ewp_schemas)
    caplog.set_level(logging.WARNING, logger="abroad.ewp.network.omobilities")
    body = update_request(omobility_id, current.proposal_id, approve=False)
    response = send_update(partners, DELFT, body)
    assert response.status_code == 200, response.content
    valid(ewp_schemas, "update-response", response.content)
    assert "No seats left." in caplog.text
    mobility.refresh_from_db()
    assert mobility.state == MobilityState.NOMINATED


def test_the_manifest_lists_omobilities_v3_and_the_tor_cnr_v2(
    partners: Partners, client: Client, settings: Any, ewp_schemas: Path
) -> None:
    settings.SITE_URL = "https://abroad.example.eu"
    root = etree.fromstring(client.get("/ewp/manifest.xml").content)
    base = "ewp-registry-service-vendored/src/main/resources/schemas"
    for ns, name, folder, urls in (
        (
            node.MANIFEST_ENTRY,
            "omobilities",
            "ewp-specs-api-omobilities-v3.0.0",
            {"get-url": "omobilities/get", "index-url": "omobilities/index"},
        ),
        (
            "https://github.com/erasmus-without-paper/ewp-specs-api-imobility-tor-cnr/blob/"
            "stable-v2/manifest-entry.xsd",
            "imobility-tor-cnr",
            "ewp-specs-api-imobility-tor-cnr-v2.0.0",
            {"url": "imobility-tor-cnr"},
        ),
    ):
        entry = root.find(f".//{{{ns}}}{name}")
        assert entry is not None, name
        schema = xml._schema(ewp_schemas, f"{base}/{folder}/manifest-entry.xsd")
        assert list(schema.iter_errors(entry)) == [], name
        for tag, path in urls.items():
            assert xml.text(entry, f"m:{tag}", {"m": ns}) == f"https://abroad.example.eu/ewp/{path}"
        assert xml.text(entry, "m:max-omobility-ids", {"m": ns}) == "50"
