"""The public pages: what each persona sees, filters in the URL, constant query counts."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from abroad.catalogue.enums import AgreementStatus
from tests.factories import (
    AgreementFactory,
    CourseOfStudyFactory,
    InstitutionFactory,
    NetworkFactory,
    OfferFactory,
    PromoterFactory,
    member,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PERSONAS = ["student", "other_student", "promoter", "office", "anonymous"]


def test_catalogue_lists_public_offers_for_everyone(personas: dict[str, Client]) -> None:
    OfferFactory.create(agreement__partner__name="Aalto University")
    OfferFactory.create(
        agreement__partner__name="Hidden Draft U", agreement__status=AgreementStatus.DRAFT
    )
    for name in PERSONAS:
        response = personas[name].get(reverse("catalogue:offers"))
        assert response.status_code == 200, name
        assert "Aalto University" in response.text, name
        assert "Hidden Draft U" not in response.text, name


@pytest.mark.parametrize(
    ("persona", "public", "draft"),
    [
        ("anonymous", 200, 404),
        ("student", 200, 404),
        ("other_student", 200, 404),
        ("promoter", 200, 404),
        ("office", 200, 200),
    ],
)
def test_agreement_detail_permissions(
    personas: dict[str, Client], persona: str, public: int, draft: int
) -> None:
    visible = AgreementFactory.create()
    hidden = AgreementFactory.create(status=AgreementStatus.DRAFT)
    client = personas[persona]
    assert client.get(visible.get_absolute_url()).status_code == public
    assert client.get(hidden.get_absolute_url()).status_code == draft


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 404), ("student", 404), ("promoter", 404), ("office", 200)],
)
def test_institution_with_only_a_draft_agreement_is_not_public(
    personas: dict[str, Client], persona: str, status: int
) -> None:
    agreement = AgreementFactory.create(status=AgreementStatus.DRAFT)
    assert personas[persona].get(agreement.partner.get_absolute_url()).status_code == status


def test_agreement_detail_shows_offers_courses_and_promoter(client: Client) -> None:
    course = CourseOfStudyFactory.create(name="Mechanical Engineering", level="MSc")
    promoter = PromoterFactory.create(user__first_name="Anna", user__last_name="Bianchi")
    offer = OfferFactory.create(
        courses=[course],
        agreement__promoter=promoter,
        agreement__partner__name="KTH Royal Institute of Technology",
        seats=4,
        months=5,
        extendable=True,
    )
    page = client.get(offer.agreement.get_absolute_url()).text
    assert "KTH Royal Institute of Technology" in page
    assert "Mechanical Engineering (Master (Laurea Magistrale))" in page
    assert "Prof. Anna Bianchi" in page
    assert "extendable by one semester" in page


def test_filters_live_in_the_url_and_select_the_rows(client: Client) -> None:
    course = CourseOfStudyFactory.create(code="MECH-MSC")
    OfferFactory.create(
        courses=[course], agreement__partner__name="Chalmers", agreement__partner__country="SE"
    )
    OfferFactory.create(agreement__partner__name="Sorbonne", agreement__partner__country="FR")
    response = client.get(reverse("catalogue:offers"), {"course": "MECH-MSC"})
    assert "Chalmers" in response.text
    assert "Sorbonne" not in response.text
    assert "1 offer" in response.text
    # The form keeps the choice, and the map link carries the same filters.
    assert '<option value="MECH-MSC" selected>' in response.text
    assert reverse("catalogue:map") + "?course=MECH-MSC" in response.text


def test_an_invalid_filter_is_reported_and_ignored(client: Client) -> None:
    OfferFactory.create(agreement__partner__name="Chalmers")
    response = client.get(reverse("catalogue:offers"), {"eqf": "9", "country": "SE"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert "Chalmers" in response.text


def test_htmx_request_gets_only_the_results(client: Client) -> None:
    OfferFactory.create(agreement__partner__name="Chalmers")
    response = client.get(reverse("catalogue:offers"), HTTP_HX_REQUEST="true")
    assert response.text.lstrip().startswith('<section id="results"')
    assert "Chalmers" in response.text
    assert "<html" not in response.text


def test_pagination_keeps_the_filters(client: Client) -> None:
    for _ in range(30):
        OfferFactory.create(language="de")
    response = client.get(reverse("catalogue:offers"), {"language": "de", "page": "2"})
    assert "Page 2 of 2" in response.text
    assert "?language=de&amp;page=1" in response.text
    assert response.context["page"].object_list.__len__() == 5


def test_csv_export_has_the_filtered_rows(client: Client) -> None:
    OfferFactory.create(agreement__code="EU-1", agreement__partner__country="SE", seats=3)
    OfferFactory.create(agreement__code="EU-2", agreement__partner__country="FR")
    response = client.get(reverse("catalogue:offers-export"), {"country": "SE"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())  # Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["EU-1"]
    assert rows[1][9] == "3"
    assert rows[1][4] == "Sweden"  # labels, not codes
    italian = client.get(
        reverse("catalogue:offers-export"), {"country": "SE"}, headers={"accept-language": "it"}
    )
    italian_rows = list(csv.reader(io.StringIO(italian.content.decode("utf-8-sig"))))
    assert italian_rows[1][4] == "Svezia"
    translation.activate("en")


def test_map_data_follows_the_filters(client: Client) -> None:
    partner = InstitutionFactory.create(name="Aalto", country="FI", latitude=60.18, longitude=24.83)
    offer = OfferFactory.create(agreement__partner=partner)
    OfferFactory.create(agreement__partner__country="FR")
    payload = client.get(reverse("catalogue:map-data"), {"country": "FI"}).json()
    assert payload["count"] == 1
    assert payload["points"][0]["url"] == partner.get_absolute_url()
    assert payload["points"][0]["agreements"][0]["url"] == offer.agreement.get_absolute_url()


def test_map_page_passes_the_filters_to_its_data(client: Client) -> None:
    response = client.get(reverse("catalogue:map"), {"country": "FI"})
    assert 'data-points-url="/map/points.json?country=FI"' in response.text


@pytest.mark.parametrize(
    ("slug", "heading"),
    [
        ("short-mobility", "Short mobility"),
        ("double-degree", "Double Degree"),
        ("networks", "International networks"),
        ("erasmus", "Erasmus+"),
        ("athens", "The ATHENS programme"),
    ],
)
def test_information_pages(client: Client, slug: str, heading: str) -> None:
    response = client.get(reverse("catalogue:info", args=[slug]))
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.text
    assert 'aria-current="page"' in response.text


def test_networks_page_lists_the_members(client: Client) -> None:
    idea = NetworkFactory.create(code="idea-league", name="IDEA League")
    member(idea, InstitutionFactory.create(name="Chalmers University of Technology"))
    page = client.get(reverse("catalogue:info", args=["networks"])).text
    assert "Chalmers University of Technology" in page
    assert "?network=idea-league" in page


def test_unknown_information_page_is_404(client: Client) -> None:
    assert client.get(reverse("catalogue:info", args=["nothing"])).status_code == 404


def test_contacts_lists_promoters_per_course_and_partner_site(client: Client) -> None:
    promoter = PromoterFactory.create(user__first_name="Anna", user__last_name="Bianchi")
    course = CourseOfStudyFactory.create(name="Aerospace Engineering")
    course.coordinators.add(promoter)
    AgreementFactory.create(promoter=promoter, partner__name="ISAE-SUPAERO")
    AgreementFactory.create(
        promoter=promoter, partner__name="Secret Draft", status=AgreementStatus.DRAFT
    )
    page = client.get(reverse("catalogue:contacts")).text
    assert "Aerospace Engineering" in page
    assert page.count("Prof. Anna Bianchi") == 2
    assert "ISAE-SUPAERO" in page
    assert "Secret Draft" not in page


def test_pages_send_a_strict_content_security_policy(client: Client) -> None:
    policy = client.get(reverse("catalogue:offers"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "default-src 'self'" in policy


def test_italian_is_served_when_asked(client: Client) -> None:
    client.post(reverse("set_language"), {"language": "it", "next": "/"})
    page = client.get(reverse("catalogue:offers")).text
    assert '<html lang="it">' in page
    assert "Destinazioni" in page


def _count_queries(
    django_assert_max_num_queries: Any, client: Client, url: str, make: Callable[[int], None]
) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for rows in (3, 30):
        make(rows)
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        counts.append(len(context.captured_queries))
    assert counts[0] == counts[1], f"{url}: {counts[0]} queries for few rows, {counts[1]} for many"
    return counts[0]


def test_catalogue_query_count_is_constant(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    course = CourseOfStudyFactory.create()

    def make(rows: int) -> None:
        for _ in range(rows):
            OfferFactory.create(courses=[course])

    assert (
        _count_queries(django_assert_max_num_queries, client, reverse("catalogue:offers"), make)
        <= 10
    )
    url = reverse("catalogue:offers") + f"?course={course.code}"
    assert _count_queries(django_assert_max_num_queries, client, url, make) <= 10


def test_map_data_query_count_is_constant(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    def make(rows: int) -> None:
        for _ in range(rows):
            OfferFactory.create()

    assert (
        _count_queries(django_assert_max_num_queries, client, reverse("catalogue:map-data"), make)
        <= 6  # the points, and the filter form's four lists (read once per generation)
    )


def test_contacts_query_count_is_constant(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    def make(rows: int) -> None:
        for _ in range(rows):
            promoter = PromoterFactory.create()
            CourseOfStudyFactory.create().coordinators.add(promoter)
            AgreementFactory.create(promoter=promoter)

    assert (
        _count_queries(django_assert_max_num_queries, client, reverse("catalogue:contacts"), make)
        <= 10
    )


def test_agreement_detail_query_count_is_constant(client: Client) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for offers in (1, 12):
        agreement = AgreementFactory.create()
        for _ in range(offers):
            OfferFactory.create(
                agreement=agreement,
                courses=[CourseOfStudyFactory.create(), CourseOfStudyFactory.create()],
            )
        with CaptureQueriesContext(connection) as context:
            client.get(agreement.get_absolute_url())
        counts.append(len(context.captured_queries))
    assert counts[0] == counts[1]
