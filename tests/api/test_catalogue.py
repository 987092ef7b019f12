"""The catalogue's read API: every endpoint, every filter, who sees what, constant queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from abroad.api.common import MAX_PAGE_SIZE, PAGE_SIZE
from tests.api.conftest import World
from tests.factories import (
    AgreementFactory,
    CourseOfStudyFactory,
    InstitutionFactory,
    NetworkFactory,
    OfferFactory,
    member,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

YEARS = "2026/2027 – 2028/2029"


def get(client: Client, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.content
    return response.json()


def offer_ids(client: Client, query: str) -> list[int]:
    body = get(client, f"/api/offers?{query}")
    ids = [item["id"] for item in body["items"]]
    assert body["count"] == len(ids)
    return ids


def agreement_codes(client: Client, query: str = "") -> list[str]:
    body = get(client, f"/api/agreements?{query}")
    codes = [item["code"] for item in body["items"]]
    assert body["count"] == len(codes)
    return codes


# -- Happy paths ----------------------------------------------------------------------------


def test_offers_list_every_public_offer_with_what_a_row_shows(world: World, client: Client) -> None:
    body = get(client, "/api/offers?page_size=1")
    assert body == {
        "count": 4,
        "items": [
            {
                "id": world.o_delft.pk,
                "mobility_type": "study_thesis",
                "eqf_levels": [6, 7],
                "isced_code": "0731",
                "isced_name": "Architecture and town planning",
                "seats": 4,
                "months": 10,
                "weeks": None,
                "extendable": True,
                "language": "en",
                "language_level": "B1",
                "language_notes": "",
                "notes": "",
                "courses": ["ARC-M", "MEC-B"],
                "agreement": {
                    "id": world.eu_delft.pk,
                    "code": "EU-DELFT",
                    "programme": "erasmus",
                    "network": None,
                    "years": YEARS,
                },
                "partner": {
                    "id": world.delft.pk,
                    "name": "Delft University of Technology",
                    "name_en": "",
                    "country": "NL",
                    "city": "Delft",
                },
            }
        ],
    }


def test_offers_default_order_is_by_partner_and_hides_non_public_agreements(
    world: World, client: Client
) -> None:
    assert offer_ids(client, "") == [
        world.o_delft.pk,
        world.o_berlin.pk,
        world.o_thesis.pk,
        world.o_madrid.pk,
    ]


def test_offers_show_no_required_level_and_an_agreements_network(
    world: World, client: Client
) -> None:
    body = get(client, "/api/offers?network=athens")
    assert [(item["language_level"], item["agreement"]["network"]) for item in body["items"]] == [
        (None, "athens")
    ]


def test_institutions_list_partners_with_public_agreements(world: World, client: Client) -> None:
    assert get(client, "/api/institutions") == {
        "count": 3,
        "items": [
            {
                "id": world.delft.pk,
                "name": "Delft University of Technology",
                "name_en": "",
                "country": "NL",
                "city": "Delft",
                "latitude": 52.002,
                "longitude": 4.373,
                "erasmus_code": "NL DELFT01",
                "schac_code": "tudelft.nl",
                "website": "https://www.tudelft.nl",
                "networks": [{"id": world.idea.pk, "code": "idea-league", "name": "IDEA League"}],
            },
            {
                "id": world.berlin.pk,
                "name": "Technische Universität Berlin",
                "name_en": "Technical University of Berlin",
                "country": "DE",
                "city": "Berlin",
                "latitude": 52.5125,
                "longitude": 13.3269,
                "erasmus_code": "D  BERLIN02",
                "schac_code": "tu-berlin.de",
                "website": "https://www.tu.berlin",
                "networks": [],
            },
            {
                "id": world.madrid.pk,
                "name": "Universidad Politécnica de Madrid",
                "name_en": "",
                "country": "ES",
                "city": "Madrid",
                "latitude": None,
                "longitude": None,
                "erasmus_code": "E  MADRID05",
                "schac_code": "upm.es",
                "website": None,
                "networks": [],
            },
        ],
    }


def test_institutions_filter_by_country_and_free_text(world: World, client: Client) -> None:
    def names(query: str) -> list[str]:
        return [item["name"] for item in get(client, f"/api/institutions?{query}")["items"]]

    assert names("country=DE") == ["Technische Universität Berlin"]
    assert names("q=technical+berlin") == ["Technische Universität Berlin"]
    assert names("q=tudelft") == ["Delft University of Technology"]
    assert names("q=MADRID05") == ["Universidad Politécnica de Madrid"]
    assert names("country=FR") == []
    assert names("country=&q=") == [
        "Delft University of Technology",
        "Technische Universität Berlin",
        "Universidad Politécnica de Madrid",
    ]


def test_institution_detail_lists_only_the_agreements_one_may_see(
    world: World, personas: dict[str, Client]
) -> None:
    url = f"/api/institutions/{world.berlin.pk}"
    public = [
        {
            "id": world.eu_berlin.pk,
            "code": "EU-BERLIN",
            "programme": "erasmus",
            "start_year": 2026,
            "end_year": 2028,
            "status": "active",
        },
        {
            "id": world.net_berlin.pk,
            "code": "NET-BERLIN",
            "programme": "network",
            "start_year": 2026,
            "end_year": 2028,
            "status": "active",
        },
    ]
    assert get(personas["anonymous"], url) == {
        "id": world.berlin.pk,
        "name": "Technische Universität Berlin",
        "name_en": "Technical University of Berlin",
        "country": "DE",
        "city": "Berlin",
        "latitude": 52.5125,
        "longitude": 13.3269,
        "erasmus_code": "D  BERLIN02",
        "schac_code": "tu-berlin.de",
        "website": "https://www.tu.berlin",
        "networks": [],
        "agreements": public,
    }
    assert get(personas["student"], url)["agreements"] == public
    assert [a["code"] for a in get(personas["office"], url)["agreements"]] == [
        "EU-BERLIN",
        "NET-BERLIN",
        "OLD-BERLIN",
    ]


def test_agreements_list_public_agreements_by_partner(world: World, client: Client) -> None:
    body = get(client, "/api/agreements?page_size=2")
    assert body == {
        "count": 4,
        "items": [
            {
                "id": world.eu_delft.pk,
                "code": "EU-DELFT",
                "programme": "erasmus",
                "start_year": 2026,
                "end_year": 2028,
                "status": "active",
                "partner": {
                    "id": world.delft.pk,
                    "name": "Delft University of Technology",
                    "name_en": "",
                    "country": "NL",
                    "city": "Delft",
                },
                "network": None,
                "years": YEARS,
                "offer_count": 1,
                "seats": 4,
                "notes": "",
            },
            {
                "id": world.eu_berlin.pk,
                "code": "EU-BERLIN",
                "programme": "erasmus",
                "start_year": 2026,
                "end_year": 2028,
                "status": "active",
                "partner": {
                    "id": world.berlin.pk,
                    "name": "Technische Universität Berlin",
                    "name_en": "Technical University of Berlin",
                    "country": "DE",
                    "city": "Berlin",
                },
                "network": None,
                "years": YEARS,
                "offer_count": 1,
                "seats": 2,
                "notes": "Apply early.",
            },
        ],
    }
    assert agreement_codes(client) == ["EU-DELFT", "EU-BERLIN", "NET-BERLIN", "DD-MADRID"]


def test_agreement_detail_has_its_partner_promoter_and_offers(
    world: World, client: Client, promoter: Any
) -> None:
    world.net_berlin.promoter = promoter.promoter
    world.net_berlin.save()
    assert get(client, f"/api/agreements/{world.net_berlin.pk}") == {
        "id": world.net_berlin.pk,
        "code": "NET-BERLIN",
        "programme": "network",
        "start_year": 2026,
        "end_year": 2028,
        "status": "active",
        "partner": {
            "id": world.berlin.pk,
            "name": "Technische Universität Berlin",
            "name_en": "Technical University of Berlin",
            "country": "DE",
            "city": "Berlin",
            "latitude": 52.5125,
            "longitude": 13.3269,
            "erasmus_code": "D  BERLIN02",
            "schac_code": "tu-berlin.de",
            "website": "https://www.tu.berlin",
            "networks": [],
        },
        "network": {"id": world.athens.pk, "code": "athens", "name": "ATHENS"},
        "years": YEARS,
        "offer_count": 1,
        "seats": 1,
        "notes": "",
        "promoter": {
            "name": f"Prof. {promoter.get_full_name()}",
            "email": "promoter@example.org",
        },
        "offers": [
            {
                "id": world.o_thesis.pk,
                "mobility_type": "thesis",
                "eqf_levels": [7, 8],
                "isced_code": "0713",
                "isced_name": "Electricity and energy",
                "seats": 1,
                "months": 5,
                "weeks": None,
                "extendable": False,
                "language": "en",
                "language_level": None,
                "language_notes": "",
                "notes": "",
                "courses": ["MEC-B", "MEC-M"],
            }
        ],
    }


def test_courses_list_the_values_of_the_course_filter(world: World, client: Client) -> None:
    assert get(client, "/api/courses") == {
        "count": 3,
        "items": [
            {
                "id": world.arc_msc.pk,
                "code": "ARC-M",
                "name": "Architecture",
                "name_it": "",
                "level": "MSc",
                "eqf": 7,
                "school": "3I",
                "isced_code": "0731",
                "language": "it",
            },
            {
                "id": world.mec_bsc.pk,
                "code": "MEC-B",
                "name": "Mechanical Engineering",
                "name_it": "",
                "level": "BSc",
                "eqf": 6,
                "school": "3I",
                "isced_code": "0715",
                "language": "en",
            },
            {
                "id": world.mec_msc.pk,
                "code": "MEC-M",
                "name": "Mechanical Engineering",
                "name_it": "",
                "level": "MSc",
                "eqf": 7,
                "school": "3I",
                "isced_code": "0715",
                "language": "en",
            },
        ],
    }


def test_networks_list_the_values_of_the_network_filter(world: World, client: Client) -> None:
    assert get(client, "/api/networks") == {
        "count": 2,
        "items": [
            {
                "id": world.athens.pk,
                "code": "athens",
                "name": "ATHENS",
                "description": "",
                "website": None,
                "member_count": 0,
            },
            {
                "id": world.idea.pk,
                "code": "idea-league",
                "name": "IDEA League",
                "description": "",
                "website": None,
                "member_count": 1,
            },
        ],
    }


# -- Offer filters: the catalogue's, one by one ----------------------------------------------


def test_filter_course_needs_the_course_listed_and_its_level(world: World, client: Client) -> None:
    assert offer_ids(client, "course=MEC-M") == [world.o_berlin.pk, world.o_thesis.pk]
    # o_thesis lists MEC-B but is open to Master and Doctorate only.
    assert offer_ids(client, "course=MEC-B") == [world.o_delft.pk, world.o_madrid.pk]


def test_filter_country(world: World, client: Client) -> None:
    assert offer_ids(client, "country=DE") == [world.o_berlin.pk, world.o_thesis.pk]
    assert offer_ids(client, "country=ES") == [world.o_madrid.pk]
    assert offer_ids(client, "country=FR") == []


def test_filter_country_takes_every_code_the_schema_documents(client: Client) -> None:
    """The documented enum is the validation: every code in it is accepted (Åland, `AX`,
    and Kosovo, `XK`, too), every other value refused."""
    schema = client.get("/api/openapi.json").json()
    for path in ("/api/institutions", "/api/agreements", "/api/offers"):
        country = next(
            p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "country"
        )
        codes = country["schema"]["enum"]
        assert {"", "AA", "AX", "DE", "XK"} & set(codes) == {"", "AX", "DE", "XK"}
        for code in codes:
            assert client.get(f"{path}?country={code}").status_code == 200, code


def test_filter_programme(world: World, client: Client) -> None:
    assert offer_ids(client, "programme=network") == [world.o_thesis.pk]
    assert offer_ids(client, "programme=double_degree") == [world.o_madrid.pk]


def test_filter_network_by_agreement_or_partner_membership(world: World, client: Client) -> None:
    assert offer_ids(client, "network=athens") == [world.o_thesis.pk]  # the agreement's
    assert offer_ids(client, "network=idea-league") == [world.o_delft.pk]  # Delft is a member


def test_filter_language(world: World, client: Client) -> None:
    assert offer_ids(client, "language=en") == [world.o_delft.pk, world.o_thesis.pk]
    assert offer_ids(client, "language=de") == [world.o_berlin.pk]


def test_filter_language_level_b1_hides_offers_asking_b2(world: World, client: Client) -> None:
    assert offer_ids(client, "language_level=B1") == [world.o_delft.pk, world.o_thesis.pk]
    assert offer_ids(client, "language_level=B2") == [
        world.o_delft.pk,
        world.o_berlin.pk,
        world.o_thesis.pk,
        world.o_madrid.pk,
    ]


def test_filter_eqf(world: World, client: Client) -> None:
    assert offer_ids(client, "eqf=6") == [world.o_delft.pk, world.o_madrid.pk]
    assert offer_ids(client, "eqf=7") == [world.o_delft.pk, world.o_berlin.pk, world.o_thesis.pk]
    assert offer_ids(client, "eqf=8") == [world.o_thesis.pk]


def test_filter_isced_broader_field_matches_narrower(world: World, client: Client) -> None:
    assert offer_ids(client, "isced=07") == [world.o_delft.pk, world.o_berlin.pk, world.o_thesis.pk]
    assert offer_ids(client, "isced=071") == [world.o_berlin.pk, world.o_thesis.pk]
    assert offer_ids(client, "isced=0715") == [world.o_berlin.pk]
    assert offer_ids(client, "isced=06") == [world.o_madrid.pk]


def test_filter_mobility_type_matches_study_or_thesis_offers(world: World, client: Client) -> None:
    assert offer_ids(client, "mobility_type=study") == [
        world.o_delft.pk,
        world.o_berlin.pk,
        world.o_madrid.pk,
    ]
    assert offer_ids(client, "mobility_type=thesis") == [world.o_delft.pk, world.o_thesis.pk]


def test_filter_q_every_word_in_name_city_code_or_reference(world: World, client: Client) -> None:
    assert offer_ids(client, "q=delft") == [world.o_delft.pk]
    assert offer_ids(client, "q=technical+berlin") == [world.o_berlin.pk, world.o_thesis.pk]
    assert offer_ids(client, "q=NET-BER") == [world.o_thesis.pk]
    assert offer_ids(client, "q=madrid05") == [world.o_madrid.pk]
    assert offer_ids(client, "q=nowhere") == []


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("partner", ["o_delft", "o_berlin", "o_thesis", "o_madrid"]),
        ("country", ["o_berlin", "o_thesis", "o_madrid", "o_delft"]),
        ("city", ["o_berlin", "o_thesis", "o_delft", "o_madrid"]),
        ("seats", ["o_delft", "o_madrid", "o_berlin", "o_thesis"]),
        ("months", ["o_madrid", "o_delft", "o_berlin", "o_thesis"]),
        ("programme", ["o_madrid", "o_delft", "o_berlin", "o_thesis"]),
    ],
)
def test_sort(world: World, client: Client, sort: str, expected: list[str]) -> None:
    assert offer_ids(client, f"sort={sort}") == [getattr(world, name).pk for name in expected]


def test_filters_combine(world: World, client: Client) -> None:
    assert offer_ids(client, "course=MEC-M&language=en&eqf=8") == [world.o_thesis.pk]


def test_empty_values_mean_any_as_in_the_catalogues_address(world: World, client: Client) -> None:
    query = (
        "q=&course=&country=&programme=&network=&eqf=&isced=&language=&language_level="
        "&mobility_type=&sort="
    )
    assert offer_ids(client, query) == offer_ids(client, "")


def test_pagination_pages_and_counts(world: World, client: Client) -> None:
    first = get(client, "/api/offers?page_size=3")
    second = get(client, "/api/offers?page_size=3&page=2")
    assert (first["count"], len(first["items"])) == (4, 3)
    assert (second["count"], [item["id"] for item in second["items"]]) == (4, [world.o_madrid.pk])
    assert get(client, "/api/offers?page=3&page_size=3") == {"count": 4, "items": []}


def test_pages_hold_50_unless_asked_and_at_most_200(client: Client) -> None:
    OfferFactory.create_batch(PAGE_SIZE + 2, agreement__partner__erasmus_code=None)
    assert len(get(client, "/api/offers")["items"]) == 50
    assert len(get(client, f"/api/offers?page_size={MAX_PAGE_SIZE}")["items"]) == 52
    assert get(client, "/api/offers?page=2")["count"] == 52


# -- Invalid filters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("eqf=5", "eqf", "Input should be 6, 7 or 8"),
        ("eqf=seven", "eqf", "Input should be 6, 7 or 8"),
        (
            "language_level=B3",
            "language_level",
            "Input should be 'A1', 'A2', 'B1', 'B2', 'C1' or 'C2'",
        ),
        (
            "sort=price",
            "sort",
            "Value error, sort must be one of: partner, country, city, seats, months, programme",
        ),
        (
            "programme=exchange",
            "programme",
            "Input should be 'erasmus', 'bilateral', 'double_degree' or 'network'",
        ),
        ("mobility_type=study_thesis", "mobility_type", "Input should be 'study' or 'thesis'"),
        (
            "country=AA",
            "country",
            "Value error, 'AA' is not an ISO 3166-1 alpha-2 country code (nor XK)",
        ),
        (
            "country=DEU",
            "country",
            "Value error, 'DEU' is not an ISO 3166-1 alpha-2 country code (nor XK)",
        ),
        ("country=de", "country", "Value error, country codes are in upper case: 'DE'"),
        ("q=a%00b", "q", "Value error, the value holds a NUL character"),
        ("course=a%00b", "course", "Value error, the value holds a NUL character"),
        ("network=a%00b", "network", "Value error, the value holds a NUL character"),
        ("isced=99", "isced", "Value error, '99' is not an ISCED-F field that the catalogue knows"),
        ("course=NOPE", "course", "No course of study has the code 'NOPE'; see /api/courses."),
        ("network=nope", "network", "No network has the code 'nope'; see /api/networks."),
        ("page=0", "page", "Input should be greater than or equal to 1"),
        ("page_size=201", "page_size", "Input should be less than or equal to 200"),
        ("page=10000000000000000000", "page", "Input should be less than or equal to 1000000"),
        ("page=1000001", "page", "Input should be less than or equal to 1000000"),
        ("page=-1", "page", "Input should be greater than or equal to 1"),
        (
            "page_size=99999999999999999999",
            "page_size",
            "Input should be less than or equal to 200",
        ),
    ],
)
def test_invalid_filter_answers_422(
    world: World, client: Client, query: str, field: str, message: str
) -> None:
    body = get(client, f"/api/offers?{query}", status=422)
    assert [(error["loc"], error["msg"]) for error in body["detail"]] == [
        (["query", field], message)
    ]


@pytest.mark.parametrize(
    "url",
    [
        "/api/institutions?page=10000000000000000000",
        "/api/agreements?page=10000000000000000000",
        "/api/courses?page=10000000000000000000",
        "/api/networks?page_size=10000000000000000000",
        "/api/institutions/0",
        "/api/institutions/-1",
        "/api/institutions/9223372036854775808",
        "/api/institutions/99999999999999999999999",
        "/api/institutions/1.5",
        "/api/agreements/0",
        "/api/agreements/9223372036854775808",
        "/api/agreements/abc",
    ],
)
def test_absurd_numbers_answer_422_not_500(world: World, client: Client, url: str) -> None:
    body = get(client, url, status=422)
    assert len(body["detail"]) == 1


def test_the_largest_id_is_just_not_found(world: World, client: Client) -> None:
    assert get(client, "/api/institutions/9223372036854775807", status=404) == {
        "detail": "Not Found"
    }
    assert get(client, "/api/agreements/9223372036854775807", status=404) == {"detail": "Not Found"}


def test_a_page_past_the_last_is_empty(world: World, client: Client) -> None:
    assert get(client, "/api/institutions?page=1000000&page_size=200") == {
        "count": 3,
        "items": [],
    }


def test_invalid_agreement_and_institution_filters_answer_422(world: World, client: Client) -> None:
    agreements = get(client, "/api/agreements?programme=x&country=XX", status=422)
    institutions = get(client, "/api/institutions?country=XX", status=422)
    assert [error["loc"] for error in agreements["detail"]] == [
        ["query", "country"],
        ["query", "programme"],
    ]
    assert [error["loc"] for error in institutions["detail"]] == [["query", "country"]]


# -- Agreement filters: an agreement matches when one of its offers does ---------------------


def test_agreement_filters_mean_what_they_mean_for_offers(world: World, client: Client) -> None:
    assert agreement_codes(client, "country=DE") == ["EU-BERLIN", "NET-BERLIN"]
    assert agreement_codes(client, "programme=double_degree") == ["DD-MADRID"]
    assert agreement_codes(client, "network=athens") == ["NET-BERLIN"]
    assert agreement_codes(client, "network=idea-league") == ["EU-DELFT"]
    assert agreement_codes(client, "q=madrid") == ["DD-MADRID"]
    assert agreement_codes(client, "course=MEC-B") == ["EU-DELFT", "DD-MADRID"]
    assert agreement_codes(client, "course=MEC-M&country=DE") == ["EU-BERLIN", "NET-BERLIN"]


# -- Who sees what --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["anonymous", "student", "other_student", "promoter"])
def test_hidden_agreements_are_404_for_everyone_but_the_office(
    world: World, personas: dict[str, Client], persona: str
) -> None:
    client = personas[persona]
    for agreement in (world.draft, world.suspended):
        assert get(client, f"/api/agreements/{agreement.pk}", status=404) == {"detail": "Not Found"}
    assert get(client, f"/api/institutions/{world.hidden.pk}", status=404) == {
        "detail": "Not Found"
    }
    assert agreement_codes(client) == ["EU-DELFT", "EU-BERLIN", "NET-BERLIN", "DD-MADRID"]
    assert [item["name"] for item in get(client, "/api/institutions")["items"]] == [
        "Delft University of Technology",
        "Technische Universität Berlin",
        "Universidad Politécnica de Madrid",
    ]
    assert world.o_draft.pk not in offer_ids(client, "")


def test_office_sees_every_agreement(world: World, personas: dict[str, Client]) -> None:
    office = personas["office"]
    draft = get(office, f"/api/agreements/{world.draft.pk}")
    assert (draft["code"], draft["status"], [o["id"] for o in draft["offers"]]) == (
        "DRAFT-PARIS",
        "draft",
        [world.o_draft.pk],
    )
    assert get(office, f"/api/agreements/{world.suspended.pk}")["status"] == "suspended"
    assert agreement_codes(office) == [
        "EU-DELFT",
        "DRAFT-PARIS",
        "EU-BERLIN",
        "NET-BERLIN",
        "OLD-BERLIN",
        "DD-MADRID",
    ]
    assert agreement_codes(office, "country=FR") == ["DRAFT-PARIS"]
    assert get(office, f"/api/institutions/{world.hidden.pk}")["agreements"] == [
        {
            "id": world.draft.pk,
            "code": "DRAFT-PARIS",
            "programme": "erasmus",
            "start_year": 2026,
            "end_year": 2028,
            "status": "draft",
        }
    ]


def test_offers_are_the_public_catalogue_for_the_office_too(
    world: World, personas: dict[str, Client]
) -> None:
    assert offer_ids(personas["office"], "") == offer_ids(personas["anonymous"], "")


def test_unknown_ids_are_404(world: World, client: Client) -> None:
    assert get(client, "/api/agreements/999999", status=404) == {"detail": "Not Found"}
    assert get(client, "/api/institutions/999999", status=404) == {"detail": "Not Found"}


# -- Constant number of queries -------------------------------------------------------------


def _catalogue_of(size: int) -> None:
    """``size`` offers, each in its own agreement with its own partner, with two courses of
    study and a network, so that every list has ``size`` rows with relations to fetch."""
    network = NetworkFactory.create(code="idea-league")
    courses = [CourseOfStudyFactory.create(code="QC-1"), CourseOfStudyFactory.create(code="QC-2")]
    for n in range(size):
        partner = InstitutionFactory.create(erasmus_code=None)
        member(network, partner)
        OfferFactory.create(
            agreement=AgreementFactory.create(partner=partner, network=network),
            courses=courses,
        )
        NetworkFactory.create(code=f"network-{n}", name=f"Network {n}")
        CourseOfStudyFactory.create()


# The count query, the page, and one query per prefetched relation; +1 to check a course or
# network code exists, +1 for the course's level inside filter_offers.
QUERIES = [
    ("/api/offers", 3),
    ("/api/offers?course=QC-1&network=idea-league&country=DE&sort=seats", 6),
    ("/api/agreements", 2),
    ("/api/agreements?course=QC-1&country=DE", 4),
    ("/api/institutions", 3),
    ("/api/institutions?country=DE&q=partner", 3),
    ("/api/courses", 2),
    ("/api/networks", 2),
]


@pytest.mark.parametrize(("url", "queries"), QUERIES)
@pytest.mark.parametrize("size", [3, 30])
def test_lists_take_constant_queries(
    client: Client,
    django_assert_num_queries: Any,
    url: str,
    queries: int,
    size: int,
) -> None:
    _catalogue_of(size)
    with django_assert_num_queries(queries):
        body = get(client, url)
    assert len(body["items"]) == body["count"] >= 3


def test_details_take_constant_queries(client: Client, django_assert_num_queries: Any) -> None:
    _catalogue_of(3)
    agreement = AgreementFactory.create()
    for _ in range(5):
        OfferFactory.create(agreement=agreement, courses=[CourseOfStudyFactory.create()])
    with django_assert_num_queries(4):  # agreement, partner's networks, offers, courses
        assert len(get(client, f"/api/agreements/{agreement.pk}")["offers"]) == 5
    with django_assert_num_queries(3):  # institution, networks, agreements
        get(client, f"/api/institutions/{agreement.partner_id}")


def test_logged_in_reader_costs_the_session_and_user_queries_only(
    personas: dict[str, Client], django_assert_num_queries: Any
) -> None:
    _catalogue_of(3)
    with django_assert_num_queries(2 + 2):  # + the session and the user, to ask who it is
        get(personas["office"], "/api/agreements")
