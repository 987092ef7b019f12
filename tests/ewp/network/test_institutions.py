"""The Institutions API v2.2 and the Organizational Units API v2.1 of our node, through
Django's test client with requests signed by partners the test catalogue lists (and once over
real HTTP, our own client calling our live server): our HEI and its Schools as units, valid
against the specification's and the registry's schemas, signed answers; an unknown hei_id left
out, what the specifications refuse answered 400, an unsigned request 401. The registry's
example answers are read by our client-side reader."""

from __future__ import annotations

import urllib.request
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from lxml import etree

from abroad.catalogue.enums import ContactKind
from abroad.catalogue.models import Contact, Institution, School
from abroad.ewp import xml
from abroad.ewp.network import httpsig, institutions, keys
from abroad.ewp.network import registry as registry_module
from abroad.ewp.network.institutions import (
    INSTITUTIONS_NS,
    MAX_HEI_IDS,
    MAX_OUNIT_CODES,
    MAX_OUNIT_IDS,
    OUNITS_NS,
    ROOT_OUNIT_ID,
)
from abroad.ewp.network.registry import REGISTRY
from tests.ewp.conftest import official
from tests.ewp.network.conftest import Registry, catalogue_from, with_partner
from tests.ewp.network.test_iias import DELFT, HOME, WARSAW, Partners

pytestmark = pytest.mark.integration

VENDORED = "ewp-registry-service-vendored/src/main/resources/schemas"
SCHEMAS = {
    "institutions": [
        "ewp-specs-api-institutions/response.xsd",
        f"{VENDORED}/ewp-specs-api-institutions-v2.2.0/response.xsd",
    ],
    "ounits": [
        "ewp-specs-api-ounits/response.xsd",
        f"{VENDORED}/ewp-specs-api-ounits-v2.1.1/response.xsd",
    ],
    "institutions-entry": [
        "ewp-specs-api-institutions/manifest-entry.xsd",
        f"{VENDORED}/ewp-specs-api-institutions-v2.2.0/manifest-entry.xsd",
    ],
    "ounits-entry": [
        "ewp-specs-api-ounits/manifest-entry.xsd",
        f"{VENDORED}/ewp-specs-api-ounits-v2.1.1/manifest-entry.xsd",
    ],
}
IN = {"i": INSTITUTIONS_NS}
OU = {"o": OUNITS_NS}
C = {"c": xml.CONTACT, "p": institutions.PHONE, "a": institutions.ADDRESS}
MANIFEST_NS = "https://github.com/erasmus-without-paper/ewp-specs-api-discovery/tree/stable-v6"


def valid(ewp_schemas: Path, kind: str, node: etree._Element) -> None:
    for path in SCHEMAS[kind]:
        assert list(xml._schema(ewp_schemas, path).iter_errors(node)) == [], path


@pytest.fixture
def units(home: Institution) -> dict[str, School]:
    """Our Schools (AUIC-ARCH part of AUIC) and contacts: two of the institution, one of a
    School."""
    home.name_en = "Polytechnic University of Milan"
    home.website = "https://www.polimi.it"
    home.pic = "999879106"
    home.save()
    auic = School.objects.create(
        code="AUIC", name="School of Architecture", name_it="Scuola di Architettura"
    )
    found = {
        "AUIC": auic,
        "AUIC-ARCH": School.objects.create(
            code="AUIC-ARCH", name="Architecture", parent=auic, website="https://auic.polimi.it"
        ),
        "ICAT": School.objects.create(code="ICAT", name="Civil Engineering"),
    }
    Contact.objects.create(
        kind=ContactKind.HELPDESK, name="Help desk", phone="internal 1234", order=0
    )
    Contact.objects.create(
        kind=ContactKind.OFFICE,
        name="International Mobility Unit",
        email="mobility@polimi.it",
        phone="+39 02 2399 2222",
        address="Piazza Leonardo da Vinci 32, Milano",
        order=5,
    )
    Contact.objects.create(
        kind=ContactKind.SCHOOL, name="AUIC mobility desk", email="auic@polimi.it", school=auic
    )
    return found


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


def ok(response: Any) -> etree._Element:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    return etree.fromstring(response.content)


def hei_ids(root: etree._Element) -> list[str]:
    return [xml.text(n) for n in root.iterfind("i:hei/i:hei-id", IN)]


def ounit_ids(root: etree._Element) -> list[str]:
    return [xml.text(n) for n in root.iterfind("o:ounit/o:ounit-id", OU)]


def refused(response: Any, status: int) -> str:
    assert response.status_code == status, response.content
    root = etree.fromstring(response.content)
    assert etree.QName(root).localname == "error-response"
    return " ".join(root.itertext())


# ------------------------------------------------------------------------------ Institutions


@pytest.mark.django_db
def test_our_institution_with_names_contacts_and_units_valid_and_signed(
    partners: Partners, units: dict[str, School], ewp_schemas: Path
) -> None:
    request = partners.sign(DELFT, "GET", f"/ewp/institutions?hei_id={HOME}")
    response = Client().get(f"/ewp/institutions?hei_id={HOME}", headers=request)
    root = ok(response)
    valid(ewp_schemas, "institutions", root)
    hei = root.find("i:hei", IN)
    assert hei is not None
    assert xml.text(hei, "i:hei-id", IN) == HOME
    other = {n.get("type"): xml.text(n) for n in hei.iterfind("i:other-id", IN)}
    assert other == {"erasmus": "I  MILANO02", "pic": "999879106"}
    names = [(n.get(institutions.LANG), xml.text(n)) for n in hei.iterfind("i:name", IN)]
    assert names == [("en", "Polytechnic University of Milan"), ("it", "Politecnico di Milano")]
    assert xml.text(hei, "a:street-address/a:locality", C) == "Milano"
    assert xml.text(hei, "a:street-address/a:country", C) == "IT"
    assert xml.text(hei, "i:website-url", IN) == "https://www.polimi.it"
    contacts = hei.findall("c:contact", C)
    # The office first, then the help desk; the School's contact is its unit's.
    assert [xml.text(c, "c:contact-name", C) for c in contacts] == [
        "International Mobility Unit",
        "Help desk",
    ]
    office, desk = contacts
    assert xml.text(office, "p:phone-number/p:e164", C) == "+390223992222"
    assert xml.text(office, "c:email", C) == "mobility@polimi.it"
    assert xml.text(office, "a:street-address/a:addressLine", C) == (
        "Piazza Leonardo da Vinci 32, Milano"
    )
    roles = {n.get(institutions.LANG) for n in office.iterfind("c:role-description", C)}
    assert roles == {"en", "it"}
    assert xml.text(desk, "p:phone-number/p:other-format", C) == "internal 1234"
    assert xml.text(hei, "i:root-ounit-id", IN) == ROOT_OUNIT_ID
    assert [xml.text(n) for n in hei.iterfind("i:ounit-id", IN)] == [
        ROOT_OUNIT_ID,
        *(str(units[code].pk) for code in ("AUIC", "AUIC-ARCH", "ICAT")),
    ]
    # Signed by our server key, for this request.
    answer = {name.lower(): value for name, value in response.items()}
    parameters = httpsig.check_response(
        answer,
        response.content,
        request_id=request["X-Request-Id"],
        request_signature=httpsig.parse_parameters(
            request["Authorization"], scheme="Signature"
        ).signature,
        skew=300,
    )
    assert parameters.key_id == keys.current("server").key_id
    public = registry_module.catalogue().public_key(parameters.key_id)
    assert public is not None
    httpsig.verify_response_signature(parameters, answer, public)


@pytest.mark.django_db
def test_what_the_schema_would_refuse_is_left_out_of_a_valid_answer(
    partners: Partners, home: Institution, ewp_schemas: Path
) -> None:
    # Django accepts both; ewp:Email wants a dot in the domain, website-url http(s).
    home.website = "ftp://ftp.polimi.it"
    home.save()
    Contact.objects.create(kind=ContactKind.OFFICE, name="Desk", email="desk@localhost")
    root = ok(partners.get(DELFT, "/ewp/institutions", [("hei_id", HOME)]))
    valid(ewp_schemas, "institutions", root)
    (contact,) = root.iterfind("i:hei/c:contact", {**IN, **C})
    assert xml.text(contact, "c:contact-name", C) == "Desk"
    assert contact.find("c:email", C) is None
    assert root.find("i:hei/i:website-url", IN) is None


@pytest.mark.django_db
def test_a_post_asks_the_same(partners: Partners, units: dict[str, School]) -> None:
    root = ok(partners.post(WARSAW, "/ewp/institutions", [("hei_id", HOME)]))
    assert hei_ids(root) == [HOME]


@pytest.mark.django_db
def test_an_hei_we_do_not_cover_is_left_out(partners: Partners, ewp_schemas: Path) -> None:
    root = ok(partners.get(DELFT, "/ewp/institutions", [("hei_id", WARSAW)]))
    assert hei_ids(root) == []  # an empty answer, HTTP 200
    valid(ewp_schemas, "institutions", root)
    both = [("hei_id", WARSAW), ("hei_id", HOME.upper()), ("hei_id", "unknown.example")]
    assert hei_ids(ok(partners.get(DELFT, "/ewp/institutions", both))) == [HOME]


@pytest.mark.django_db
def test_no_hei_id_or_more_than_max_hei_ids_is_400(partners: Partners) -> None:
    assert "hei_id" in refused(partners.get(DELFT, "/ewp/institutions", []), 400)
    too_many = [("hei_id", HOME)] * (MAX_HEI_IDS + 1)
    assert "max-hei-ids" in refused(partners.get(DELFT, "/ewp/institutions", too_many), 400)
    at_most = [("hei_id", HOME)] * MAX_HEI_IDS
    assert hei_ids(ok(partners.get(DELFT, "/ewp/institutions", at_most))) == [HOME]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/ewp/institutions?hei_id=polimi.it", "/ewp/ounits"])
def test_an_unsigned_request_is_refused_with_401(partners: Partners, path: str) -> None:
    response = Client().get(path)
    refused(response, 401)
    assert response["WWW-Authenticate"].startswith("Signature")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/ewp/institutions?hei_id=polimi.it", "/ewp/ounits"])
def test_no_person_signed_in_to_abroad_reads_them_without_a_signature(
    partners: Partners, people: dict[str, Any], path: str
) -> None:
    """The student, another student, the promoter, the offices (all Schools, its own School,
    another School's), the superuser and anonymous: a session is no EWP signature."""
    for name, user in people.items():
        client = Client()
        if user.is_authenticated:
            client.force_login(user)
        assert client.get(path).status_code == 401, name


@pytest.mark.django_db
def test_a_key_the_registry_does_not_know_is_refused_with_403(partners: Partners) -> None:
    stranger = keys.KeyPair(keys.generate())
    target = f"/ewp/institutions?hei_id={HOME}"
    headers = httpsig.sign_request(
        stranger.private, stranger.key_id, method="GET", target=target, host="testserver", body=b""
    )
    headers.pop("Host")
    refused(Client().get(target, headers=headers), 403)


@pytest.mark.django_db
def test_institutions_takes_the_same_queries_whatever_the_number_of_units(
    partners: Partners, units: dict[str, School], django_assert_max_num_queries: Any
) -> None:
    partners.get(DELFT, "/ewp/institutions", [("hei_id", HOME)])  # the catalogue read once
    with django_assert_max_num_queries(8):
        ok(partners.get(DELFT, "/ewp/institutions", [("hei_id", HOME)]))
    for n in range(30):
        School.objects.create(code=f"S{n:02d}", name=f"School {n}")
    with django_assert_max_num_queries(8):
        root = ok(partners.get(DELFT, "/ewp/institutions", [("hei_id", HOME)]))
    assert len(root.findall("i:hei/i:ounit-id", IN)) == 34


# ------------------------------------------------------------------------------------ OUnits


@pytest.mark.django_db
def test_units_by_id_in_the_order_asked_valid_and_unknown_ones_left_out(
    partners: Partners, units: dict[str, School], ewp_schemas: Path
) -> None:
    arch, auic = units["AUIC-ARCH"], units["AUIC"]
    asked = [str(arch.pk), "999999", ROOT_OUNIT_ID, str(auic.pk), str(arch.pk), "not-a-number"]
    root = ok(
        partners.get(WARSAW, "/ewp/ounits", [("hei_id", HOME), *(("ounit_id", v) for v in asked)])
    )
    valid(ewp_schemas, "ounits", root)
    assert ounit_ids(root) == [str(arch.pk), ROOT_OUNIT_ID, str(auic.pk)]
    by_id = {xml.text(u, "o:ounit-id", OU): u for u in root.iterfind("o:ounit", OU)}
    assert xml.text(by_id[str(arch.pk)], "o:parent-ounit-id", OU) == str(auic.pk)
    assert xml.text(by_id[str(auic.pk)], "o:parent-ounit-id", OU) == ROOT_OUNIT_ID
    assert by_id[ROOT_OUNIT_ID].find("o:parent-ounit-id", OU) is None
    assert xml.text(by_id[ROOT_OUNIT_ID], "o:ounit-code", OU) == HOME
    names = [
        (n.get(institutions.LANG), xml.text(n)) for n in by_id[str(auic.pk)].iterfind("o:name", OU)
    ]
    assert names == [("en", "School of Architecture"), ("it", "Scuola di Architettura")]
    assert xml.text(by_id[str(arch.pk)], "o:website-url", OU) == "https://auic.polimi.it"
    contacts = by_id[str(auic.pk)].findall("c:contact", C)
    assert [xml.text(c, "c:email", C) for c in contacts] == ["auic@polimi.it"]


@pytest.mark.django_db
def test_units_by_code_by_post(
    partners: Partners, units: dict[str, School], ewp_schemas: Path
) -> None:
    asked = [("hei_id", HOME), ("ounit_code", "ICAT"), ("ounit_code", "NOPE")]
    root = ok(partners.post(DELFT, "/ewp/ounits", [*asked, ("ounit_code", HOME)]))
    valid(ewp_schemas, "ounits", root)
    assert ounit_ids(root) == [str(units["ICAT"].pk), ROOT_OUNIT_ID]
    nothing = ok(partners.get(DELFT, "/ewp/ounits", [("hei_id", HOME), ("ounit_code", "NOPE")]))
    assert ounit_ids(nothing) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "says"),
    [
        ([("ounit_id", "1")], "hei_id"),  # no hei_id
        ([("hei_id", WARSAW), ("ounit_id", "1")], "does not cover"),  # not ours
        ([("hei_id", HOME), ("hei_id", HOME), ("ounit_id", "1")], "hei_id"),
        ([("hei_id", HOME)], "ounit_id or ounit_code"),  # neither
        ([("hei_id", HOME), ("ounit_id", "1"), ("ounit_code", "ICAT")], "not both"),
        ([("hei_id", HOME), *[("ounit_id", "1")] * (MAX_OUNIT_IDS + 1)], "max-ounit-ids"),
        ([("hei_id", HOME), *[("ounit_code", "X")] * (MAX_OUNIT_CODES + 1)], "max-ounit-codes"),
    ],
)
def test_what_the_ounits_specification_refuses_is_400(
    partners: Partners, units: dict[str, School], params: list[tuple[str, str]], says: str
) -> None:
    assert says in refused(partners.get(DELFT, "/ewp/ounits", params), 400)


@pytest.mark.django_db
def test_ounits_takes_the_same_queries_whatever_the_number_asked(
    partners: Partners, units: dict[str, School], django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        school = School.objects.create(code=f"S{n:02d}", name=f"School {n}")
        Contact.objects.create(kind=ContactKind.SCHOOL, name=f"Desk {n}", school=school)
    few = [("hei_id", HOME), ("ounit_code", "ICAT")]
    partners.get(DELFT, "/ewp/ounits", few)  # the catalogue read once
    with django_assert_max_num_queries(8):
        ok(partners.get(DELFT, "/ewp/ounits", few))
    many = [("hei_id", HOME), *(("ounit_code", f"S{n:02d}") for n in range(30))]
    with django_assert_max_num_queries(8):
        root = ok(partners.get(DELFT, "/ewp/ounits", many))
    assert len(ounit_ids(root)) == 30


# ---------------------------------------------------------------------- manifest and client


def test_the_manifest_declares_both_apis_valid_against_their_entries(
    client: Client, node_keys: dict[str, Path], settings: Any, ewp_schemas: Path, home: Any
) -> None:
    settings.SITE_URL = "https://abroad.example.eu"
    settings.EWP_ADMIN_EMAIL = "ewp-admin@abroad.example.eu"
    root = etree.fromstring(client.get("/ewp/manifest.xml").content)
    valid_manifest = xml._schema(ewp_schemas, "ewp-specs-api-discovery/manifest.xsd")
    assert list(valid_manifest.iter_errors(root)) == []
    ns = {
        "m": MANIFEST_NS,
        "r": REGISTRY,
        "in": institutions.INSTITUTIONS_ENTRY,
        "ou": institutions.OUNITS_ENTRY,
    }
    entry = root.find("m:host/r:apis-implemented/in:institutions", ns)
    assert entry is not None
    assert entry.get("version") == "2.2.0"
    valid(ewp_schemas, "institutions-entry", entry)
    assert xml.text(entry, "in:url", ns) == "https://abroad.example.eu/ewp/institutions"
    assert xml.text(entry, "in:max-hei-ids", ns) == str(MAX_HEI_IDS)
    entry = root.find("m:host/r:apis-implemented/ou:organizational-units", ns)
    assert entry is not None
    assert entry.get("version") == "2.1.1"
    valid(ewp_schemas, "ounits-entry", entry)
    assert xml.text(entry, "ou:url", ns) == "https://abroad.example.eu/ewp/ounits"
    assert xml.text(entry, "ou:max-ounit-ids", ns) == str(MAX_OUNIT_IDS)
    assert xml.text(entry, "ou:max-ounit-codes", ns) == str(MAX_OUNIT_CODES)
    # The manifest names us as the Institutions API does.
    names = root.findall("m:host/m:institutions-covered/r:hei/r:name", ns)
    assert [(n.get(institutions.LANG), n.text) for n in names] == [
        ("en", "Politecnico di Milano"),
        ("it", "Politecnico di Milano"),
    ]


@pytest.mark.parametrize(
    "path",
    [
        "registry-test-files/latest-examples/ewp-specs-api-institutions-response-example.xml",
        "ewp-specs-api-institutions/response-example.xml",
    ],
)
def test_the_official_institutions_examples_are_read(path: str) -> None:
    (oslo,) = institutions.read_institutions(official(path))
    assert oslo.id == "uio.no"
    assert oslo.name("en") == "University of Oslo"
    assert oslo.ounit_ids


@pytest.mark.parametrize(
    "path",
    [
        "registry-test-files/latest-examples/ewp-specs-api-ounits-response-example.xml",
        "ewp-specs-api-ounits/response-example.xml",
    ],
)
def test_the_official_ounits_examples_are_read(path: str) -> None:
    (unit,) = institutions.read_ounits(official(path))
    assert (unit.id, unit.code, unit.parent_id) == ("73", "10000000", "5")
    assert unit.name("pl") == "Wydział Matematyki, Informatyki i Mechaniki"


def test_an_invalid_answer_is_refused_by_the_reader() -> None:
    data = official("ewp-specs-api-ounits/response-example.xml").replace(b"<ounit-code>", b"<x>")
    with pytest.raises(xml.EwpError):
        institutions.read_ounits(data.replace(b"</ounit-code>", b"</x>"))


@pytest.mark.django_db(transaction=True)
def test_our_client_reads_our_node_over_http_with_signatures(
    live_server: Any,
    registry: Registry,
    node_keys: dict[str, Path],
    settings: Any,
    units: dict[str, School],
) -> None:
    settings.EWP_HEI_ID = HOME
    settings.SITE_URL = live_server.url
    settings.EWP_ADMIN_EMAIL = "ewp-admin@abroad.example.eu"
    with urllib.request.urlopen(f"{live_server.url}/ewp/manifest.xml", timeout=30) as answer:
        registry.catalogue = catalogue_from([answer.read()])
    found = institutions.fetch_institution(HOME)
    assert found is not None
    assert found.name("it") == "Politecnico di Milano"
    assert found.root_ounit_id == ROOT_OUNIT_ID
    assert institutions.max_ounit_ids(registry_module.catalogue(), HOME) == MAX_OUNIT_IDS
    got = institutions.fetch_ounits(HOME, list(found.ounit_ids))
    assert [u.code for u in got] == [HOME, "AUIC", "AUIC-ARCH", "ICAT"]
    assert got[2].parent_id == str(units["AUIC"].pk)
    # A partner that takes 3 ids at most is asked in batches.
    registry.catalogue = registry.catalogue.replace(
        f"max-ounit-ids>{MAX_OUNIT_IDS}<".encode(), b"max-ounit-ids>3<"
    )
    registry_module.refresh(force=True)
    assert institutions.max_ounit_ids(registry_module.catalogue(), HOME) == 3
    again = institutions.fetch_ounits(HOME, list(found.ounit_ids))
    assert [u.code for u in again] == [HOME, "AUIC", "AUIC-ARCH", "ICAT"]
    out = StringIO()
    call_command("ewp", "fetch-institution", HOME, stdout=out)
    printed = out.getvalue()
    assert f"{HOME}: en: Polytechnic University of Milan; it: Politecnico di Milano" in printed
    assert f"unit {units['AUIC-ARCH'].pk} AUIC-ARCH: Architecture (in {units['AUIC'].pk})" in (
        printed
    )


@pytest.mark.django_db
def test_fetch_institution_of_an_hei_the_registry_does_not_list_is_a_command_error(
    partners: Partners,
) -> None:
    with pytest.raises(CommandError, match=r"lists no institutions v2 for unknown\.example"):
        call_command("ewp", "fetch-institution", "unknown.example")
