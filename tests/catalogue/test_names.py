"""Names as people read them (issue 18, points 7 and 10): institutions sorted by the name
shown, names in capitals cased, Schools named in the reader's language."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from abroad.catalogue.models import Institution, School
from abroad.catalogue.names import cased
from abroad.catalogue.queries import OfferFilter, catalogue_page, map_points
from tests.factories import InstitutionFactory, OfferFactory


@pytest.mark.parametrize(
    ("official", "shown"),
    [
        ("UNIVERSIDAD DE GRANADA", "Universidad de Granada"),
        ("UNIVERSITÀ DEGLI STUDI DI PADOVA", "Università degli Studi di Padova"),
        (
            "HOCHSCHULE FÜR TECHNIK UND WIRTSCHAFT BERLIN",
            "Hochschule für Technik und Wirtschaft Berlin",
        ),
        ("KUNGLIGA TEKNISKA HOGSKOLAN KTH", "Kungliga Tekniska Hogskolan KTH"),
        (
            "ECOLE NATIONALE SUPERIEURE D'ARCHITECTURE DE NANTES",
            "Ecole Nationale Superieure d'Architecture de Nantes",
        ),
        ("BAUHAUS-UNIVERSITAET WEIMAR", "Bauhaus-Universitaet Weimar"),
        ("THE UNIVERSITY OF EDINBURGH", "The University of Edinburgh"),
        ("ISAE-SUPAERO", "ISAE-SUPAERO"),
        ("BUDAPESTI MUSZAKI EGYETEM (BME)", "Budapesti Muszaki Egyetem (BME)"),
        ("CHALMERS TEKNISKA HOGSKOLA AB", "Chalmers Tekniska Hogskola AB"),
        # a name a person cased is left as it is
        ("CentraleSupélec", "CentraleSupélec"),
        ("TU Delft", "TU Delft"),
    ],
)
def test_names_in_capitals_are_cased(official: str, shown: str) -> None:
    assert cased(official) == shown


@pytest.mark.django_db
def test_the_shown_name_is_the_english_one_else_the_official_one_cased() -> None:
    english = InstitutionFactory.create(name="AALBORG UNIVERSITET", name_en="Aalborg University")
    local = InstitutionFactory.create(name="UNIVERSIDAD DE GRANADA", name_en="")
    assert english.display_name == "Aalborg University"
    assert local.display_name == "Universidad de Granada"
    assert local.name == "UNIVERSIDAD DE GRANADA"  # the official name, for the office and EWP


@pytest.mark.django_db
def test_sort_by_institution_follows_the_name_shown(client: Client) -> None:
    """The official names sort Zurich first ("EIDGENOSSISCHE...") and Aalborg last
    ("UNIVERSITET AALBORG"); the names shown sort Aalborg, Granada, Zurich."""
    for name, name_en in (
        ("UNIVERSITET AALBORG", "Aalborg University"),
        ("EIDGENOSSISCHE TECHNISCHE HOCHSCHULE ZURICH", "ETH Zurich"),
        ("universidad de granada", ""),
        ("BAUHAUS-UNIVERSITAET WEIMAR", ""),
    ):
        OfferFactory.create(agreement__partner__name=name, agreement__partner__name_en=name_en)
    shown = [o.agreement.partner.display_name for o in catalogue_page(OfferFilter())]
    expected = ["Aalborg University", "Bauhaus-Universitaet Weimar", "ETH Zurich"]
    assert shown == [*expected, "universidad de granada"]
    page = client.get(reverse("catalogue:offers"), {"sort": "partner"}).content.decode()
    positions = [page.index(name) for name in [*expected, "universidad de granada"]]
    assert positions == sorted(positions)
    assert [i.display_name for i in Institution.objects.all()] == [
        *expected,
        "universidad de granada",
    ]
    assert [p["name"] for p in map_points(OfferFilter())] == [
        *expected,
        "universidad de granada",
    ]


@pytest.mark.django_db
def test_a_school_is_named_in_the_readers_language(client: Client) -> None:
    school = School.objects.create(code="DES", name="School of Design", name_it="Scuola del Design")
    bare = School.objects.create(code="X", name="School X")
    assert school.display_name == "School of Design"
    with translation.override("it"):
        assert school.display_name == "Scuola del Design"
        assert str(school) == "DES – Scuola del Design"
        assert bare.display_name == "School X"
    client.cookies["django_language"] = "it"
    with translation.override("en"):  # the request's language is undone after it
        page = client.get(reverse("catalogue:contacts")).content.decode()
    assert "Scuola del Design" in page
    assert "School of Design" not in page


def test_italian_month_and_day_names_are_lower_case() -> None:
    """Issue 18, point 7: "1 settembre 2026", "lunedì". Needs the lead's merge of
    /work/po/wp-words.po (the lower-case names override Django's capitalised ones)."""
    import datetime as dt

    from django.utils.formats import date_format

    day = dt.date(2026, 9, 7)  # a Monday
    with translation.override("it"):
        assert date_format(day) == "7 settembre 2026"  # abroad/formats/it: no leading zero
        assert date_format(day, "j F Y") == "7 settembre 2026"
        assert date_format(day, "l j F") == "lunedì 7 settembre"
        assert date_format(day, "j E Y") == "7 settembre 2026"
    with translation.override("en"):
        assert date_format(day, "l j F Y") == "Monday 7 September 2026"


@pytest.mark.django_db
def test_the_maps_points_name_the_country_and_say_their_facts(client: Client) -> None:
    """Point 14: "Delhi, India", not "Delhi, IN"; "1 offer · 1 seat", not "1 offers"."""
    OfferFactory.create(
        agreement__partner__name="Indian Institute of Technology Delhi",
        agreement__partner__city="Delhi",
        agreement__partner__country="IN",
        agreement__partner__latitude=28.65,
        agreement__partner__longitude=77.23,
        seats=1,
    )
    OfferFactory.create(
        agreement__partner__name="Technische Universität München",
        agreement__partner__country="DE",
        agreement__partner__latitude=48.15,
        agreement__partner__longitude=11.57,
        seats=3,
    )
    with translation.override("en"):
        points = client.get(reverse("catalogue:map-data")).json()["points"]
    assert [(p["country"], p["country_code"], p["facts"]) for p in points] == [
        ("India", "IN", "1 offer · 1 seat"),
        ("Germany", "DE", "1 offer · 3 seats"),
    ]
    client.cookies["django_language"] = "it"
    with translation.override("en"):
        points = client.get(reverse("catalogue:map-data")).json()["points"]
    assert [p["country"] for p in points] == ["India", "Germania"]
    # needs the lead's merge of /work/po/wp-words.po
    assert [p["facts"] for p in points] == ["1 offerta · 1 posto", "1 offerta · 3 posti"]
