"""The student's call page with many destinations (issue 18, points 4 and 6): the catalogue's
search and filters over the call's destinations, a page at a time, the ones not open to the
student grouped by reason (the reason once), a bounded page weight and a constant number of
queries with 2,000 destinations, and offers of one partner told apart by their label."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from abroad.catalogue.enums import Programme
from abroad.catalogue.models import Agreement, CourseOfStudy, Institution, Offer
from abroad.people.models import User
from abroad.selection.enums import RoundState
from abroad.selection.models import Call, CallOffer
from tests.factories import NetworkFactory, OfferFactory
from tests.selection.factories import (
    AssignmentFactory,
    CallFactory,
    CallOfferFactory,
    LanguageCertificateFactory,
    RoundFactory,
    StudentCareerFactory,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}
COUNTRIES = ("DE", "FR", "ES", "NL", "SE")
GERMAN = "Needs German B2; you have no certificate."


@pytest.fixture
def call() -> Call:
    return CallFactory.create(code="engineering-2027-1", title="Engineering call 2027/2028")


@pytest.fixture
def course(student: User) -> CourseOfStudy:
    assert student.course_of_study is not None
    return student.course_of_study


@pytest.fixture
def eligible(student: User) -> User:
    StudentCareerFactory.create(student=student)
    LanguageCertificateFactory.create(student=student, language="en", level="C1")
    return student


def build(call: Call, course: CourseOfStudy, count: int, *, start: int = 0) -> None:
    """``count`` destinations in the call, made in bulk: partners in five countries, each
    fourth one taught in German at B2 (not open to a student with English only), each tenth a
    Double Degree of 24 months."""
    institutions = Institution.objects.bulk_create(
        Institution(
            name=f"Partner {number:04d}",
            country=COUNTRIES[number % len(COUNTRIES)],
            city=f"City {number % 7}",
        )
        for number in range(start, start + count)
    )
    agreements = Agreement.objects.bulk_create(
        Agreement(
            code=f"BULK-{institution.name[-4:]}",
            partner=institution,
            programme=Programme.DOUBLE_DEGREE if index % 10 == 9 else Programme.ERASMUS,
            start_year=2026,
            end_year=2028,
            status="active",
        )
        for index, institution in enumerate(institutions)
    )
    offers = Offer.objects.bulk_create(
        Offer(
            agreement=agreement,
            level_master=True,
            isced_code="0715" if index % 3 else "0731",
            seats=2,
            months=24 if index % 10 == 9 else 5,
            language="de" if index % 4 == 3 else "en",
            language_level="B2",
        )
        for index, agreement in enumerate(agreements)
    )
    Offer.courses.through.objects.bulk_create(
        Offer.courses.through(offer_id=offer.pk, courseofstudy_id=course.pk) for offer in offers
    )
    CallOffer.objects.bulk_create(CallOffer(call=call, offer=offer, seats=2) for offer in offers)


def _queries(client: Client, url: str) -> tuple[int, int]:
    """The number of queries and the size of the page in bytes."""
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), len(response.content)


def _choices(text: str) -> list[str]:
    return re.findall(r'<li id="choice-(\d+)"', text)


# ------------------------------------------------------------------------------- search


def test_search_finds_destinations_by_name_or_city(
    personas: dict[str, Client], call: Call, course: CourseOfStudy, eligible: User
) -> None:
    build(call, course, 40)
    url = call.get_absolute_url()
    text = personas["student"].get(url, {"q": "Partner 0012"}).text
    assert len(_choices(text)) == 1
    assert "Partner 0012 – Erasmus+, 5 months" in text
    assert "1 matches your search." in text
    by_city = personas["student"].get(url, {"q": "City 3"}).text
    # City 3: partners 3, 10, 17, 24, 31, 38; 3, 31 are German (not open), 10... open.
    assert "match your search" in by_city
    assert "Partner 0010" in by_city
    assert "Partner 0005" not in by_city


def test_filters_by_country_programme_and_subject_area(
    personas: dict[str, Client], call: Call, course: CourseOfStudy, eligible: User
) -> None:
    build(call, course, 40)
    url = call.get_absolute_url()
    text = personas["student"].get(url, {"country": "FR"}).text
    names = re.findall(r"Partner (\d{4}) –", text.split('id="destinations"')[1])
    assert names
    assert all(int(n) % 5 == 1 for n in names)
    double = personas["student"].get(url, {"programme": Programme.DOUBLE_DEGREE}).text
    listed = double.split('id="destinations"')[1]
    assert "Double Degree, 24 months" in listed
    assert "Erasmus+, 5 months" not in listed
    architecture = personas["student"].get(url, {"isced": "0731"}).text
    assert all(
        int(n) % 3 == 0
        for n in re.findall(r"Partner (\d{4}) –", architecture.split('id="destinations"')[1])
    )


def test_a_bad_filter_value_is_dropped_not_an_error(
    personas: dict[str, Client], call: Call, course: CourseOfStudy, eligible: User
) -> None:
    build(call, course, 5)
    response = personas["student"].get(call.get_absolute_url(), {"country": "XX"})
    assert response.status_code == 200
    assert len(_choices(response.text)) == 4  # every open one: the filter is dropped


def test_the_filter_form_is_the_catalogues(
    personas: dict[str, Client], call: Call, course: CourseOfStudy, eligible: User
) -> None:
    build(call, course, 10)
    text = personas["student"].get(call.get_absolute_url()).text
    form = text.split('id="filters"')[1].split("</form>")[0]
    assert 'hx-target="#destinations"' in text
    for name in ("q", "country", "programme", "eqf", "isced", "language", "mobility_type"):
        assert f'name="{name}"' in form, name
    # Only the call's countries are offered.
    countries = re.findall(r'<option value="([A-Z]{2})"', form.split('name="country"')[1])
    assert set(countries[: len(COUNTRIES)]) == set(COUNTRIES)


# --------------------------------------------------------------------- not open to you


def test_destinations_not_open_are_grouped_by_reason_with_the_reason_once(
    personas: dict[str, Client], call: Call, course: CourseOfStudy, eligible: User
) -> None:
    build(call, course, 40)  # 10 in German
    text = personas["student"].get(call.get_absolute_url()).text
    assert "Not open to you (10)" in text
    assert text.count(GERMAN) == 1
    group = text.split(GERMAN)[1].split("</details>")[0]
    assert "10 destinations" in group
    assert group.count("<li>") == 5  # the first few, then how many more
    assert "And 5 more: search by name, city or country to find one." in group


def test_the_search_narrows_the_destinations_not_open_too(
    personas: dict[str, Client], call: Call, course: CourseOfStudy, eligible: User
) -> None:
    build(call, course, 40)
    text = personas["student"].get(call.get_absolute_url(), {"q": "Partner 0003"}).text
    assert "Not open to you: 1 more matches your search" in text
    assert "Partner 0003 – Erasmus+, 5 months" in text
    assert "1 destination" in text.split(GERMAN)[1]


# ------------------------------------------------------------------------------- pages


def test_the_destinations_come_a_page_at_a_time_keeping_the_search(
    personas: dict[str, Client], call: Call, course: CourseOfStudy, eligible: User
) -> None:
    build(call, course, 80)  # 60 open to the student
    url = call.get_absolute_url()
    first = personas["student"].get(url).text
    assert "The 60 destinations you can choose" in first
    assert len(_choices(first)) == 25
    assert "Page 1 of 3" in first
    third = personas["student"].get(url, {"page": 3}).text
    assert len(_choices(third)) == 10
    searched = personas["student"].get(url, {"q": "Partner", "country": "DE"}).text
    assert 'href="?q=Partner&amp;country=DE&amp;page=' not in searched  # 12 open: one page
    many = personas["student"].get(url, {"q": "Partner"}).text
    assert 'href="?q=Partner&amp;page=2#choices"' in many


def test_ranking_from_a_searched_page_comes_back_to_it(
    personas: dict[str, Client], call: Call, course: CourseOfStudy, eligible: User
) -> None:
    build(call, course, 40)
    url = call.get_absolute_url()
    text = personas["student"].get(url, {"q": "Partner 0012"}).text
    (pk,) = _choices(text)
    # The add button posts to the ranking with the search, so both answers keep it.
    action = reverse("selection:ranking", kwargs={"code": call.code}) + "?q=Partner+0012"
    assert f'action="{action}"' in text
    response = personas["student"].post(action, {"offer": [pk], "moved": pk})
    assert response["Location"] == f"{url}?q=Partner+0012#ranking"
    panel = personas["student"].post(action, {"offer": [pk], "moved": pk}, **HTMX).text
    assert _choices(panel) == [pk]
    assert "Partner 0012 – Erasmus+, 5 months is now your choice number 1." in panel or (
        "Your ranking is saved." in panel
    )


# ----------------------------------------------------------------------------- public


def test_the_public_page_is_searched_and_paginated_too(
    personas: dict[str, Client], call: Call, course: CourseOfStudy
) -> None:
    build(call, course, 60)
    url = call.get_absolute_url()
    for persona in ("anonymous", "office", "promoter"):
        text = personas[persona].get(url).text
        assert "60 destinations" in text, persona
        assert text.count('<div class="choice-offer">') == 25, persona
        searched = personas[persona].get(url, {"q": "Partner 0042"}).text
        assert searched.count('<div class="choice-offer">') == 1, persona


# ------------------------------------------------------------------------- at 10x


def test_call_page_with_2000_destinations_is_small_and_its_queries_constant(
    personas: dict[str, Client], call: Call, course: CourseOfStudy, eligible: User
) -> None:
    """The page that weighed 264 KB with 462 destinations stays under 120 KB with 2,000, and
    its queries do not grow with the destinations (for the student and everybody else)."""
    url = call.get_absolute_url()
    build(call, course, 20)
    ids = list(call.call_offers.filter(offer__language="en").values_list("pk", flat=True))
    personas["student"].post(
        reverse("selection:ranking", kwargs={"code": call.code}), {"offer": ids[:6]}
    )
    few, _ = _queries(personas["student"], url)
    few_public, _ = _queries(personas["anonymous"], url)
    build(call, course, 1980, start=20)
    assert call.call_offers.count() == 2000
    many, size = _queries(personas["student"], url)
    many_public, public_size = _queries(personas["anonymous"], url)
    assert few == many, f"{few} queries with 20 destinations, {many} with 2,000"
    # One read of the call's offers answers their order, countries and openness (it was four).
    assert many <= 16, f"{many} queries"
    assert few_public == many_public
    print(f"student page: {size} bytes, {many} queries; public page: {public_size} bytes")
    assert size < 120_000, f"{size} bytes"
    assert public_size < 120_000, f"{public_size} bytes"
    searched, searched_size = _queries(personas["student"], url + "?q=Partner&country=DE")
    assert searched == many + 1  # the filter's own query
    assert searched_size < 120_000


def test_adding_a_destination_at_2000_answers_with_only_what_changes(
    personas: dict[str, Client], call: Call, course: CourseOfStudy, eligible: User
) -> None:
    """The "Add to my ranking" answer (HTMX) weighed 444 KB with 2,000 destinations before the
    page came a page at a time: now it is the ranking, the application and the 25 choices,
    without the filters or the destinations not open, in a constant number of queries."""
    build(call, course, 2000)
    ids = list(call.call_offers.filter(offer__language="en").values_list("pk", flat=True))
    action = reverse("selection:ranking", kwargs={"code": call.code})
    personas["student"].post(action, {"offer": ids[:5]})
    with CaptureQueriesContext(connection) as context:
        response = personas["student"].post(action, {"offer": ids[:6], "moved": ids[5]}, **HTMX)
    assert response.status_code == 200
    text = response.text
    print(f"add answer: {len(response.content)} bytes, {len(context.captured_queries)} queries")
    assert len(response.content) < 32_000, f"{len(response.content)} bytes"
    assert text.lstrip().startswith('<div id="ranking-panel">')
    assert text.count('hx-swap-oob="true"') == 1
    assert len(_choices(text)) == 25
    assert "destination-filters" not in text  # the filters did not change
    assert "reason-group" not in text  # nor the destinations not open
    assert GERMAN not in text
    assert len(re.findall(r'<li id="ranked-(\d+)"', text)) == 6
    assert len(context.captured_queries) <= 30


# ------------------------------------------------------------------- the offer's label


@pytest.fixture
def delft(call: Call, course: CourseOfStudy) -> list[CallOffer]:
    """Two offers of one partner: an Erasmus semester and a Double Degree."""
    semester = OfferFactory.create(courses=[course], agreement__partner__name="TU Delft", months=5)
    double = OfferFactory.create(
        courses=[course],
        agreement__partner=semester.agreement.partner,
        agreement__programme=Programme.DOUBLE_DEGREE,
        months=24,
    )
    return [
        CallOfferFactory.create(call=call, offer=semester),
        CallOfferFactory.create(call=call, offer=double),
    ]


def test_two_offers_of_one_partner_are_told_apart_everywhere(
    personas: dict[str, Client], call: Call, delft: list[CallOffer], eligible: User
) -> None:
    semester, double = delft
    labels = ("TU Delft – Erasmus+, 5 months", "TU Delft – Double Degree, 24 months")
    url = call.get_absolute_url()
    page = personas["student"].get(url).text
    for label in labels:
        assert label in page
        assert f'<span class="visually-hidden">: {label}</span>' in page  # the add buttons
    ranking = reverse("selection:ranking", kwargs={"code": call.code})
    response = personas["student"].post(
        ranking, {"offer": [double.pk, semester.pk], "moved": double.pk}
    )
    assert response.status_code == 302
    ranked = personas["student"].get(url).text.split('id="choices"')[0]
    assert f'Up<span class="visually-hidden">: {labels[0]}</span>' in ranked
    assert f'Down<span class="visually-hidden">: {labels[1]}</span>' in ranked
    application = call.applications.get()
    detail = (
        personas["office"]
        .get(reverse("selection:application", kwargs={"code": call.code, "pk": application.pk}))
        .text
    )
    assert detail.index(labels[1]) < detail.index(labels[0])
    round_ = RoundFactory.create(call=call, state=RoundState.PUBLISHED)
    AssignmentFactory.create(
        round=round_,
        application=application,
        call_offer=semester,
        choice=2,
        explanation={
            "outcome": "assigned",
            "choice": 2,
            "option": semester.pk,
            "skipped": [{"choice": 1, "option": double.pk, "reason": "filled", "cutoff": 27.4}],
        },
    )
    results = personas["student"].get(url).text
    assert f"A seat at <strong>{labels[0]}</strong>" in results
    assert f"Choice 1, {labels[1]}:" in results


def test_a_network_offer_names_its_network(
    personas: dict[str, Client], call: Call, course: CourseOfStudy, eligible: User
) -> None:
    athens = NetworkFactory.create(code="athens", name="ATHENS")
    CallOfferFactory.create(
        call=call,
        offer=OfferFactory.create(
            courses=[course],
            agreement__partner__name="TU Munich",
            agreement__programme=Programme.NETWORK,
            agreement__network=athens,
            months=1,
        ),
    )
    text = personas["student"].get(call.get_absolute_url()).text
    assert "TU Munich – ATHENS network, 1 month" in text
    assert "Network programme" not in text.split('id="destinations"')[1]


def test_the_label_is_one_property_of_the_offer() -> None:
    offer = OfferFactory.create(
        agreement__partner__name="Aalto", agreement__programme=Programme.BILATERAL, months=1
    )
    assert offer.label == "Aalto – Bilateral, 1 month"
    assert offer.duration_label == "1 month"
    offer.months = 10
    assert offer.label == "Aalto – Bilateral, 10 months"


def test_destinations_are_listed_by_the_partners_shown_name(
    personas: dict[str, Client], call: Call, course: CourseOfStudy, eligible: User
) -> None:
    """The call's pages sort as the catalogue does: by the name shown (the English one, else
    the official one), whatever the case, not by the official name."""
    for official, english in (
        ("Sveučilište u Zagrebu", "University of Zagreb"),
        ("AARHUS UNIVERSITET", "Aarhus University"),
        ("Mälardalens universitet", ""),
        ("Universität Bern", "bern university"),
    ):
        CallOfferFactory.create(
            call=call,
            offer=OfferFactory.create(
                courses=[course],
                agreement__partner__name=official,
                agreement__partner__name_en=english,
                language="en",
                language_level="",
            ),
        )
    shown = [
        "Aarhus University",
        "bern university",
        "Mälardalens universitet",
        "University of Zagreb",
    ]
    url = call.get_absolute_url()
    for client in (personas["student"], personas["anonymous"]):
        page = client.get(url).text
        positions = [page.index(f"{name} – ") for name in shown]
        assert positions == sorted(positions), client
