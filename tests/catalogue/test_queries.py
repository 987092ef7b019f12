"""The catalogue's filters: each one narrows to exactly the offers it should."""

from __future__ import annotations

import pytest

from abroad.catalogue.enums import AgreementStatus, MobilityType, Programme
from abroad.catalogue.models import Offer
from abroad.catalogue.queries import (
    OfferFilter,
    catalogue_page,
    filter_offers,
    map_points,
    public_offers,
)
from tests.factories import (
    CourseOfStudyFactory,
    InstitutionFactory,
    NetworkFactory,
    OfferFactory,
    member,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def ids(offers: object) -> set[int]:
    return {offer.pk for offer in offers}  # type: ignore[attr-defined]


def run(**wanted: object) -> set[int]:
    return ids(filter_offers(public_offers(), OfferFilter(**wanted)))  # type: ignore[arg-type]


def test_only_active_agreements_are_public() -> None:
    active = OfferFactory.create()
    OfferFactory.create(agreement__status=AgreementStatus.DRAFT)
    OfferFactory.create(agreement__status=AgreementStatus.ENDED)
    assert run() == {active.pk}


def test_course_of_study_shows_what_its_students_can_choose() -> None:
    mechanical_msc = CourseOfStudyFactory.create(level="MSc")
    mechanical_bsc = CourseOfStudyFactory.create(level="BSc")
    for_msc = OfferFactory.create(courses=[mechanical_msc], level_master=True)
    OfferFactory.create(courses=[mechanical_bsc], level_bachelor=True, level_master=False)
    # Listed for the course, but only at Bachelor level: not open to a Master student.
    OfferFactory.create(courses=[mechanical_msc], level_bachelor=True, level_master=False)
    both = OfferFactory.create(courses=[mechanical_msc, mechanical_bsc], level_bachelor=True)
    assert run(course=mechanical_msc.code) == {for_msc.pk, both.pk}
    assert run(course="NO-SUCH-COURSE") == set()


def test_country_programme_language_and_type() -> None:
    french = OfferFactory.create(agreement__partner__country="FR", language="fr")
    bilateral = OfferFactory.create(
        agreement__partner__country="US", agreement__programme=Programme.BILATERAL
    )
    thesis = OfferFactory.create(mobility_type=MobilityType.THESIS)
    either = OfferFactory.create(mobility_type=MobilityType.STUDY_OR_THESIS)
    assert run(country="fr") == {french.pk}
    assert run(programme=Programme.BILATERAL) == {bilateral.pk}
    assert run(language="fr") == {french.pk}
    assert run(mobility_type="thesis") == {thesis.pk, either.pk}


def test_language_level_hides_offers_asking_for_more() -> None:
    b1 = OfferFactory.create(language_level="B1")
    b2 = OfferFactory.create(language_level="B2")
    OfferFactory.create(language_level="C1")
    none = OfferFactory.create(language_level="")
    assert run(language_level="B2") == {b1.pk, b2.pk, none.pk}
    assert run(language_level="A2") == {none.pk}


def test_degree_level_and_isced_prefix() -> None:
    bachelor = OfferFactory.create(level_bachelor=True, level_master=False, isced_code="0731")
    master = OfferFactory.create(isced_code="0715")
    doctorate = OfferFactory.create(level_doctorate=True, level_master=False, isced_code="0613")
    assert run(eqf=6) == {bachelor.pk}
    assert run(eqf=8) == {doctorate.pk}
    assert run(isced="07") == {bachelor.pk, master.pk}
    assert run(isced="073") == {bachelor.pk}
    assert run(isced="0613") == {doctorate.pk}


def test_network_matches_the_agreement_or_the_partner_membership() -> None:
    idea = NetworkFactory.create(code="idea-league", name="IDEA League")
    delft = InstitutionFactory.create(name="Delft University of Technology")
    member(idea, delft)
    via_membership = OfferFactory.create(agreement__partner=delft)
    second_at_delft = OfferFactory.create(agreement__partner=delft)
    via_agreement = OfferFactory.create(
        agreement__programme=Programme.NETWORK, agreement__network=idea
    )
    OfferFactory.create()
    assert run(network="idea-league") == {via_membership.pk, second_at_delft.pk, via_agreement.pk}


def test_free_text_matches_every_word_in_name_city_or_code() -> None:
    delft = OfferFactory.create(
        agreement__partner__name="Technische Universiteit Delft",
        agreement__partner__name_en="Delft University of Technology",
        agreement__partner__city="Delft",
        agreement__partner__erasmus_code="NL DELFT01",
    )
    OfferFactory.create(
        agreement__partner__name="Universität Wien", agreement__partner__city="Wien"
    )
    assert run(q="delft") == {delft.pk}
    assert run(q="Delft technology") == {delft.pk}
    assert run(q="nl delft01") == {delft.pk}
    assert run(q="delft wien") == set()


def test_sorting() -> None:
    b = OfferFactory.create(agreement__partner__name="B", agreement__partner__country="AT", seats=1)
    a = OfferFactory.create(agreement__partner__name="A", agreement__partner__country="SE", seats=5)
    c = OfferFactory.create(agreement__partner__name="C", agreement__partner__country="DE", seats=3)

    def order(sort: str) -> list[int]:
        return [o.pk for o in filter_offers(public_offers(), OfferFilter(sort=sort))]

    assert order("partner") == [a.pk, b.pk, c.pk]
    assert order("country") == [b.pk, c.pk, a.pk]
    assert order("seats") == [a.pk, c.pk, b.pk]
    assert order("nonsense") == [a.pk, b.pk, c.pk]


def test_catalogue_page_counts_courses_without_duplicating_rows() -> None:
    courses = [CourseOfStudyFactory.create(), CourseOfStudyFactory.create()]
    offer = OfferFactory.create(courses=courses)
    rows = list(catalogue_page(OfferFilter(course=courses[0].code)))
    counts = [(row.pk, row.course_count) for row in rows]  # type: ignore[attr-defined]
    assert counts == [(offer.pk, 2)]


def test_map_points_group_offers_by_institution() -> None:
    partner = InstitutionFactory.create(name="Aalto", latitude=60.18, longitude=24.83, country="FI")
    first = OfferFactory.create(agreement__partner=partner, agreement__code="EU-1", seats=2)
    OfferFactory.create(agreement=first.agreement, seats=3)
    OfferFactory.create(agreement__partner__latitude=None, agreement__partner__longitude=None)
    points = map_points(OfferFilter())
    assert points == [
        {
            "id": partner.pk,
            "name": "Aalto",
            "city": "Berlin",
            "country": "Finland",
            "country_code": "FI",
            "lat": 60.18,
            "lon": 24.83,
            "seats": 5,
            "offers": 2,
            "agreements": [{"id": first.agreement.pk, "code": "EU-1", "programme": "erasmus"}],
        }
    ]
    assert Offer.objects.count() == 3
