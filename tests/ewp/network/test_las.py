"""The OMobility LAs API v1 (index, get, update) through Django's test client, with requests
signed by two partners the test catalogue lists: each sees only the learning agreements of the
students it receives; the receiving HEI approves a version (our version is then signed by the
host, on the student's and the office's pages) or comments it (the version goes back to the
student with the comment); every answer is valid against the v1.2 schemas (the specification's
and the registry's copies)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from abroad.catalogue.models import Institution
from abroad.ewp import las, services, xml
from abroad.ewp.models import Inbound
from abroad.ewp.network import httpsig, keys
from abroad.ewp.network import las as node
from abroad.mobility import services as mobility_services
from abroad.mobility.enums import LearningAgreementState
from abroad.mobility.models import LearningAgreement, Mobility
from abroad.people.enums import Role
from tests.ewp.network import test_iias
from tests.ewp.network.test_iias import DELFT, HOME, WARSAW, Partners
from tests.ewp.test_las import change, signed_first
from tests.factories import UserFactory
from tests.mobility.factories import MobilityFactory, agreement_with_rows

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

# The IIAs tests' fixtures: Delft's and Warsaw's signing keys in the catalogue, their HEIs.
partners = test_iias.partners
delft = test_iias.delft
warsaw = test_iias.warsaw

VENDORED = (
    "ewp-registry-service-vendored/src/main/resources/schemas/ewp-specs-api-omobility-las-v1.2.0"
)
LAS = ["ewp-specs-api-omobility-las", VENDORED]
INDEX = "/ewp/omobility-las/index"
GET = "/ewp/omobility-las/get"
UPDATE = "/ewp/omobility-las/update"


def received_by(institution: Institution, **fields: Any) -> Mobility:
    """A mobility of ours to ``institution`` (its agreement names a contact there)."""
    mobility = MobilityFactory.create(
        offer__agreement__partner=institution,
        offer__agreement__partner_contact=f"Anna Host <anna@{institution.schac_code}>",
        **fields,
    )
    mobility.student.student_number = f"10{mobility.pk:06d}"
    mobility.student.save()
    return mobility


def proposed(mobility: Mobility) -> LearningAgreement:
    """A first version the student signed and the promoter approved, waiting for the host."""
    promoter = UserFactory.create(role=Role.PROMOTER)
    return agreement_with_rows(
        mobility,
        state=LearningAgreementState.APPROVED,
        student_signed_at=timezone.now() - dt.timedelta(days=2),
        promoter=promoter,
        promoter_signed_at=timezone.now() - dt.timedelta(days=1),
    )


def valid(ewp_schemas: Path, endpoint: str, content: bytes) -> etree._Element:
    root = etree.fromstring(content)
    for folder in LAS:
        schema = xml._schema(ewp_schemas, f"{folder}/endpoints/{endpoint}.xsd")
        assert list(schema.iter_errors(root)) == [], folder
    return root


def index_ids(response: Any, ewp_schemas: Path) -> list[str]:
    assert response.status_code == 200, response.content
    assert "Signature" in response
    root = valid(ewp_schemas, "index-response", response.content)
    return [n.text or "" for n in root.iterfind(f"{{{node.INDEX_NS}}}omobility-id")]


def got_ids(response: Any, ewp_schemas: Path) -> list[str]:
    assert response.status_code == 200, response.content
    valid(ewp_schemas, "get-response", response.content)
    return [one.omobility_id for one in las.parse(response.content)]


def message(response: Any) -> str:
    root = etree.fromstring(response.content)
    return " ".join(t.strip() for t in root.itertext() if t.strip())


def send_update(
    partners: Partners,
    hei: str,
    body: bytes,
    content_type: str = "text/xml; charset=utf-8",
) -> Any:
    return Client().post(
        UPDATE, body, content_type=content_type, headers=partners.sign(hei, "POST", UPDATE, body)
    )


def update_request(
    mobility: Mobility,
    version: LearningAgreement,
    *,
    approve: bool = True,
    sending: str = HOME,
    comment: str = "Course X is not taught in spring.",
) -> bytes:
    omobility_id = services.omobility_id(mobility)
    action = "approve-proposal-v1" if approve else "comment-proposal-v1"
    text = "" if approve else f"<req:comment>{comment}</req:comment>"
    return f"""<req:omobility-las-update-request xmlns:req="{xml.LA_UPDATE}" xmlns:la="{xml.LAS}">
  <req:sending-hei-id>{sending}</req:sending-hei-id>
  <req:{action}>
    <req:omobility-id>{omobility_id}</req:omobility-id>
    <req:changes-proposal-id>{las.proposal_id(omobility_id, version)}</req:changes-proposal-id>
    {text}
    <req:signature>
      <la:signer-name>Anna Host</la:signer-name>
      <la:signer-position>Exchange coordinator</la:signer-position>
      <la:timestamp>2027-03-01T09:30:00+01:00</la:timestamp>
    </req:signature>
  </req:{action}>
</req:omobility-las-update-request>""".encode()


# ------------------------------------------------------------------------- who sees what


def test_unsigned_requests_are_refused_with_401(partners: Partners, delft: Institution) -> None:
    mobility = received_by(delft)
    proposed(mobility)
    for path in (f"{INDEX}?sending_hei_id={HOME}", f"{GET}?sending_hei_id={HOME}"):
        response = Client().get(path)
        assert response.status_code == 401, path
        assert response["WWW-Authenticate"] == 'Signature realm="EWP"'
    body = update_request(mobility, mobility.learning_agreements.get())
    response = Client().post(UPDATE, body, content_type="text/xml")
    assert response.status_code == 401
    response = Client().post(
        "/ewp/omobility-la-cnr",
        f"sending_hei_id={DELFT}&omobility_id=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 401
    # A session (the office, the student logged in) is no signature: 401 all the same.
    for user in (UserFactory.create(role=Role.OFFICE), mobility.student):
        session = Client()
        session.force_login(user)
        assert session.get(f"{INDEX}?sending_hei_id={HOME}").status_code == 401
        assert session.post(UPDATE, body, content_type="text/xml").status_code == 401
    # A key the registry does not list: 403.
    stranger = keys.KeyPair(keys.generate())
    target = f"{INDEX}?sending_hei_id={HOME}"
    headers = httpsig.sign_request(
        stranger.private, stranger.key_id, method="GET", target=target, host="testserver", body=b""
    )
    del headers["Host"]
    assert Client().get(target, headers=headers).status_code == 403
    assert mobility.learning_agreements.get().state == LearningAgreementState.APPROVED


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_partner_sees_only_the_mobilities_it_receives(
    partners: Partners,
    delft: Institution,
    warsaw: Institution,
    ewp_schemas: Path,
    method: str,
) -> None:
    to_delft = received_by(delft)
    proposed(to_delft)
    signed = received_by(delft)
    signed_first(signed)
    to_warsaw = received_by(warsaw)
    proposed(to_warsaw)
    only_student = received_by(delft)  # only the student signed: not the sending HEI's yet
    agreement_with_rows(
        only_student, state=LearningAgreementState.SUBMITTED, student_signed_at=timezone.now()
    )
    call = partners.get if method == "GET" else partners.post
    ours = [services.omobility_id(to_delft), services.omobility_id(signed)]
    theirs = services.omobility_id(to_warsaw)

    assert index_ids(call(DELFT, INDEX, [("sending_hei_id", HOME)]), ewp_schemas) == ours
    assert index_ids(call(WARSAW, INDEX, [("sending_hei_id", HOME)]), ewp_schemas) == [theirs]

    # Delft asks for all: Warsaw's and the unsent one are left out, silently.
    asked = [
        ("sending_hei_id", HOME),
        *(("omobility_id", i) for i in [*ours, theirs, services.omobility_id(only_student)]),
        ("omobility_id", "not-an-id"),
    ]
    assert got_ids(call(DELFT, GET, asked), ewp_schemas) == ours
    assert got_ids(call(WARSAW, GET, asked), ewp_schemas) == [theirs]
    only_theirs = [("sending_hei_id", HOME), ("omobility_id", theirs)]
    assert got_ids(call(DELFT, GET, only_theirs), ewp_schemas) == []

    # What Delft gets is the document the office downloads.
    response = call(DELFT, GET, [("sending_hei_id", HOME), ("omobility_id", ours[0])])
    assert las.parse(response.content) == las.parse(services.export_la(to_delft))


def test_a_mobility_that_cannot_be_written_is_served_by_neither(
    partners: Partners,
    delft: Institution,
    ewp_schemas: Path,
) -> None:
    good = received_by(delft)
    proposed(good)
    undated = received_by(delft, planned_start=None)
    proposed(undated)
    listed = index_ids(partners.get(DELFT, INDEX, [("sending_hei_id", HOME)]), ewp_schemas)
    assert listed == [services.omobility_id(good)]
    asked = [("sending_hei_id", HOME), ("omobility_id", services.omobility_id(undated))]
    assert got_ids(partners.get(DELFT, GET, asked), ewp_schemas) == []


# ---------------------------------------------------------------------------- parameters


def test_the_sending_hei_must_be_ours(partners: Partners, delft: Institution) -> None:
    proposed(received_by(delft))
    for path in (INDEX, GET):
        response = partners.get(DELFT, path, [("omobility_id", "x")])
        assert response.status_code == 400
        assert "sending_hei_id parameter is required" in message(response)
        response = partners.get(DELFT, path, [("sending_hei_id", DELFT), ("omobility_id", "x")])
        assert response.status_code == 400
        assert "does not cover the sending HEI" in message(response)
        twice = [("sending_hei_id", HOME), ("sending_hei_id", HOME), ("omobility_id", "x")]
        assert partners.get(DELFT, path, twice).status_code == 400


def test_index_filters(
    partners: Partners,
    delft: Institution,
    warsaw: Institution,
    ewp_schemas: Path,
) -> None:
    this_year = received_by(delft, academic_year=2026)
    proposed(this_year)
    next_year = received_by(delft, academic_year=2027)
    proposed(next_year)
    ids = [services.omobility_id(this_year), services.omobility_id(next_year)]

    def listed(*params: tuple[str, str]) -> list[str]:
        response = partners.get(DELFT, INDEX, [("sending_hei_id", HOME), *params])
        return index_ids(response, ewp_schemas)

    assert listed() == ids
    # receiving_hei_id narrows: Delft asking for Warsaw's sees nothing.
    assert listed(("receiving_hei_id", DELFT)) == ids
    assert listed(("receiving_hei_id", WARSAW)) == []
    assert listed(("receiving_academic_year_id", "2026/2027")) == ids[:1]
    assert listed(("receiving_academic_year_id", "2027/2028")) == ids[1:]
    assert listed(("receiving_academic_year_id", "2030/2031")) == []
    student = this_year.student
    esi = f"urn:schac:personalUniqueCode:int:esi:{HOME}:{student.student_number}"
    assert listed(("global_id", esi)) == ids[:1]
    assert listed(("global_id", "urn:schac:personalUniqueCode:int:esi:other.eu:1")) == []
    # modified_since: a version approved, signed or returned after that time.
    later = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    earlier = (timezone.now() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert listed(("modified_since", later)) == []
    assert listed(("modified_since", earlier)) == ids  # without offset: UTC
    version = next_year.learning_agreements.get()
    version.host_signer = "Anna Host"
    version.host_signed_at = timezone.now() + dt.timedelta(hours=2)
    version.state = LearningAgreementState.SIGNED
    version.save()
    assert listed(("modified_since", later)) == ids[1:]

    for bad in (
        ("receiving_academic_year_id", "2026-2027"),
        ("receiving_academic_year_id", "2026/2028"),
        ("modified_since", "yesterday"),
    ):
        response = partners.get(DELFT, INDEX, [("sending_hei_id", HOME), bad])
        assert response.status_code == 400, bad


def test_modified_since_counts_a_change_of_the_mobility_too(
    partners: Partners, delft: Institution, ewp_schemas: Path
) -> None:
    moved, unchanged = received_by(delft), received_by(delft)
    for mobility in (moved, unchanged):
        proposed(mobility)
    long_ago = timezone.now() - dt.timedelta(days=30)
    Mobility.objects.update(updated_at=long_ago)
    LearningAgreement.objects.update(created_at=long_ago, promoter_signed_at=long_ago)
    instant = (timezone.now() - dt.timedelta(days=1)).isoformat()

    def listed() -> list[str]:
        params = [("sending_hei_id", HOME), ("modified_since", instant)]
        return index_ids(partners.get(DELFT, INDEX, params), ewp_schemas)

    assert listed() == []
    # The office moves the planned dates, which the learning agreement carries.
    mobility_services.set_planned_dates(
        mobility=moved, actor=None, start=dt.date(2026, 9, 14), end=dt.date(2027, 2, 28)
    )
    assert listed() == [services.omobility_id(moved)]


def test_get_needs_an_id_and_takes_at_most_max_omobility_ids(
    partners: Partners,
    delft: Institution,
    ewp_schemas: Path,
) -> None:
    mobility = received_by(delft)
    proposed(mobility)
    response = partners.get(DELFT, GET, [("sending_hei_id", HOME)])
    assert response.status_code == 400
    assert "at least one omobility_id" in message(response)
    wanted = [services.omobility_id(mobility)] * node.MAX_OMOBILITY_IDS
    asked = [("sending_hei_id", HOME), *(("omobility_id", i) for i in wanted)]
    assert got_ids(partners.post(DELFT, GET, asked), ewp_schemas) == wanted[:1]
    response = partners.post(DELFT, GET, [*asked, ("omobility_id", wanted[0])])
    assert response.status_code == 400
    assert "max-omobility-ids" in message(response)


def test_index_and_get_take_as_many_queries_for_30_mobilities_as_for_one(
    partners: Partners,
    delft: Institution,
    django_assert_max_num_queries: Any,
    ewp_schemas: Path,
) -> None:
    first = received_by(delft)
    proposed(first)
    services.mobility_link(first)  # one stored identity, the others derived
    params = [("sending_hei_id", HOME)]
    partners.get(DELFT, INDEX, params)  # the catalogue is read once
    with django_assert_max_num_queries(15) as one_index:
        assert len(index_ids(partners.get(DELFT, INDEX, params), ewp_schemas)) == 1
    with django_assert_max_num_queries(15) as one_get:
        asked = [*params, ("omobility_id", services.omobility_id(first))]
        assert len(got_ids(partners.get(DELFT, GET, asked), ewp_schemas)) == 1
    for _ in range(29):
        other = received_by(delft)
        change(other, signed_first(other))
    with django_assert_max_num_queries(len(one_index.captured_queries)):
        ids = index_ids(partners.get(DELFT, INDEX, params), ewp_schemas)
    assert len(ids) == 30
    with django_assert_max_num_queries(len(one_get.captured_queries)):
        asked = [*params, *(("omobility_id", i) for i in ids)]
        assert len(got_ids(partners.get(DELFT, GET, asked), ewp_schemas)) == 30


# -------------------------------------------------------------------------------- update


def test_the_receiving_hei_approves_and_our_version_is_signed_by_the_host(
    partners: Partners,
    delft: Institution,
    ewp_schemas: Path,
    client: Client,
) -> None:
    mobility = received_by(delft)
    version = proposed(mobility)
    response = send_update(partners, DELFT, update_request(mobility, version))
    assert response.status_code == 200, response.content
    assert "Signature" in response
    root = valid(ewp_schemas, "update-response", response.content)
    assert "signed by the host" in " ".join(root.itertext())
    version.refresh_from_db()
    assert version.state == LearningAgreementState.SIGNED
    assert version.host_signer == "Anna Host, Exchange coordinator"
    assert version.host_signed_at == dt.datetime(2027, 3, 1, 8, 30, tzinfo=dt.UTC)
    inbound = Inbound.objects.get()  # in the office's inbox, as an upload is
    assert (inbound.kind, inbound.state, inbound.mobility) == ("la-update", "applied", mobility)

    # The student's page and the office's show the host's signature.
    client.force_login(mobility.student)
    page = client.get(reverse("mobility:la_version", args=[mobility.pk, version.number]))
    assert "signed on 1 March 2027 by Anna Host, Exchange coordinator" in page.content.decode()
    client.force_login(UserFactory.create(role=Role.OFFICE))
    page = client.get(reverse("mobility:office_mobility", args=[mobility.pk]))
    assert "(Anna Host, Exchange coordinator)" in page.content.decode()

    # Delft now reads it as the first version, signed by the three; nothing more to answer.
    asked = [("sending_hei_id", HOME), ("omobility_id", services.omobility_id(mobility))]
    got = las.parse(partners.get(DELFT, GET, asked).content)[0]
    assert got.first_version is not None
    assert got.changes_proposal is None
    assert got.first_version.receiving is not None
    again = send_update(partners, DELFT, update_request(mobility, version))
    assert again.status_code == 409
    assert "No changes proposal is waiting" in message(again)


def test_the_receiving_hei_comments_and_the_version_goes_back_to_the_student(
    partners: Partners,
    delft: Institution,
    ewp_schemas: Path,
    client: Client,
) -> None:
    mobility = received_by(delft)
    second = change(mobility, signed_first(mobility))
    body = update_request(mobility, second, approve=False)
    response = send_update(partners, DELFT, body)
    assert response.status_code == 200, response.content
    valid(ewp_schemas, "update-response", response.content)
    second.refresh_from_db()
    assert second.state == LearningAgreementState.RETURNED
    assert "Course X is not taught in spring." in second.comment
    client.force_login(mobility.student)
    page = client.get(reverse("mobility:la_version", args=[mobility.pk, second.number]))
    assert "Course X is not taught in spring." in page.content.decode()


def test_an_update_by_another_hei_or_not_for_the_waiting_version_is_refused(
    partners: Partners,
    delft: Institution,
    warsaw: Institution,
) -> None:
    mobility = received_by(delft)
    first = signed_first(mobility)
    second = change(mobility, first)
    # Warsaw does not receive this student: 400, as for an unknown id; nothing changes.
    response = send_update(partners, WARSAW, update_request(mobility, second))
    assert response.status_code == 400
    assert "You receive no mobility" in message(response)
    # Not for our HEI: 400.
    response = send_update(partners, DELFT, update_request(mobility, second, sending=WARSAW))
    assert response.status_code == 400
    assert "does not cover the sending HEI" in message(response)
    # A version that is not the proposal waiting (the first, signed already): 409.
    response = send_update(partners, DELFT, update_request(mobility, first))
    assert response.status_code == 409
    assert las.proposal_id(services.omobility_id(mobility), second) in message(response)
    # Not an update request, or as a form: 400 and 415.
    response = send_update(partners, DELFT, services.export_la(mobility))
    assert response.status_code == 400
    response = send_update(
        partners,
        DELFT,
        update_request(mobility, second),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 415
    # By GET: 405.
    assert partners.get(DELFT, UPDATE, []).status_code == 405
    second.refresh_from_db()
    assert second.state == LearningAgreementState.APPROVED
    assert Inbound.objects.count() == 0


# ------------------------------------------------------------------------------ manifest


def test_the_manifest_lists_the_las_and_la_cnr_apis_valid_against_their_entry_schemas(
    partners: Partners,
    client: Client,
    settings: Any,
    ewp_schemas: Path,
) -> None:
    from abroad.ewp.network import la_cnr

    settings.SITE_URL = "https://abroad.example.eu"
    root = etree.fromstring(client.get("/ewp/manifest.xml").content)
    entry = root.find(f".//{{{node.MANIFEST_ENTRY}}}omobility-las")
    assert entry is not None
    assert entry.get("version") == "1.2.0"
    base = "ewp-registry-service-vendored/src/main/resources/schemas"
    for path in (
        "ewp-specs-api-omobility-las/manifest-entry.xsd",
        f"{base}/ewp-specs-api-omobility-las-v1.2.0/manifest-entry.xsd",
    ):
        assert list(xml._schema(ewp_schemas, path).iter_errors(entry)) == [], path
    assert xml.text(entry, f"{{{node.MANIFEST_ENTRY}}}max-omobility-ids") == "50"
    assert xml.text(entry, f"{{{node.MANIFEST_ENTRY}}}update-url") == (
        "https://abroad.example.eu/ewp/omobility-las/update"
    )
    entry = root.find(f".//{{{la_cnr.MANIFEST_ENTRY}}}omobility-la-cnr")
    assert entry is not None
    assert entry.get("version") == "1.1.0"
    for path in (
        "ewp-specs-api-omobility-la-cnr/manifest-entry.xsd",
        f"{base}/ewp-specs-api-omobility-la-cnr-v1.1.0/manifest-entry.xsd",
    ):
        assert list(xml._schema(ewp_schemas, path).iter_errors(entry)) == [], path


@pytest.mark.parametrize("approve", [True, False])
def test_the_update_request_a_receiving_hei_writes_is_valid_and_read_back(
    ewp_schemas: Path, approve: bool
) -> None:
    answer = las.Update(
        sending_hei=HOME,
        approve=approve,
        omobility_id="m-1",
        proposal_id="m-1-v2",
        comment="" if approve else "Course X is full.",
        signer_name="Anna Host",
        signer_position="Coordinator",
        signer_email="anna@tudelft.nl",
        signed_at=dt.datetime(2027, 3, 1, 9, 30, tzinfo=dt.UTC),
    )
    data = las.render_update(answer)
    valid(ewp_schemas, "update-request", data)
    assert las.parse_update(data) == answer


def test_stats_are_counted_by_year_for_the_stats_portal_only(
    partners: Partners,
    delft: Institution,
    registry: Any,
    ewp_schemas: Path,
    django_assert_max_num_queries: Any,
) -> None:
    from tests.ewp.network.conftest import with_partner

    portal = keys.KeyPair(keys.generate())
    partners.pairs[node.STATS_PORTAL] = portal
    registry.catalogue = with_partner(registry.catalogue, portal, [node.STATS_PORTAL])
    proposed(received_by(delft))  # awaiting
    signed_first(received_by(delft))  # approved, not modified after
    changed = received_by(delft)
    change(changed, signed_first(changed))  # modified after approval, awaiting
    returned = received_by(delft, academic_year=2027)
    version = proposed(returned)
    version.state = LearningAgreementState.RETURNED
    version.returned_at = timezone.now()
    version.save()
    agreement_with_rows(  # only the student signed: the partner never saw it
        received_by(delft), state=LearningAgreementState.SUBMITTED, student_signed_at=timezone.now()
    )

    assert partners.get(DELFT, "/ewp/omobility-las/stats", []).status_code == 403
    partners.get(node.STATS_PORTAL, "/ewp/omobility-las/stats", [])  # the catalogue, read once
    with django_assert_max_num_queries(8):
        response = partners.get(node.STATS_PORTAL, "/ewp/omobility-las/stats", [])
    assert response.status_code == 200, response.content
    root = valid(ewp_schemas, "stats-response", response.content)
    found = {
        xml.text(year, f"{{{node.STATS_NS}}}receiving-academic-year-id"): [
            int(n.text or "") for n in year if etree.QName(n).localname.startswith("la-")
        ]
        for year in root
    }
    # total, not modified after approval, modified after, latest approved, rejected, awaiting
    assert found == {"2026/2027": [3, 1, 1, 1, 0, 2], "2027/2028": [1, 0, 0, 0, 1, 0]}
