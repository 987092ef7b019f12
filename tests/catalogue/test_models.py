import importlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation

from abroad.catalogue.enums import Programme
from abroad.catalogue.models import Agreement, Institution, Offer
from tests.factories import (
    AgreementFactory,
    CourseOfStudyFactory,
    InstitutionFactory,
    NetworkFactory,
    OfferFactory,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_erasmus_code_is_stored_padded_and_schac_lower_case() -> None:
    institution = InstitutionFactory.create(erasmus_code="nl delft01", schac_code=" TUDelft.NL ")
    institution.refresh_from_db()
    assert institution.erasmus_code == "NL DELFT01"
    assert institution.schac_code == "tudelft.nl"


def test_blank_codes_are_stored_as_null_so_they_never_clash() -> None:
    first = InstitutionFactory.create(erasmus_code="", schac_code="")
    second = InstitutionFactory.create(erasmus_code="", schac_code="")
    assert Institution.objects.filter(pk__in=[first.pk, second.pk], erasmus_code=None).count() == 2


def test_the_same_erasmus_code_typed_differently_is_a_duplicate() -> None:
    InstitutionFactory.create(erasmus_code="I  MILANO02")
    with pytest.raises(IntegrityError), transaction.atomic():
        InstitutionFactory.create(erasmus_code="I MILANO02")


def test_full_clean_explains_a_bad_erasmus_code() -> None:
    institution = Institution(name="X", country="IT", erasmus_code="MILANO")
    with pytest.raises(ValidationError) as error:
        institution.full_clean()
    assert "like 'I MILANO02'" in str(error.value.message_dict["erasmus_code"])


def test_coordinates_come_in_pairs() -> None:
    institution = Institution(name="X", country="IT", latitude=Decimal("45.1"))
    with pytest.raises(ValidationError, match="both latitude and longitude"):
        institution.full_clean()


def test_only_one_home_institution() -> None:
    InstitutionFactory.create(is_home=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        InstitutionFactory.create(is_home=True)


def test_agreement_years_must_be_in_order() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        AgreementFactory.create(start_year=2027, end_year=2026)


def test_network_agreement_must_name_its_network() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        AgreementFactory.create(programme=Programme.NETWORK, network=None)
    assert Agreement.objects.count() == 0


def test_offer_needs_a_level_and_positive_seats() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        OfferFactory.create(level_master=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        OfferFactory.create(seats=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        OfferFactory.create(months=30)
    assert Offer.objects.count() == 0


def test_offer_facts() -> None:
    offer = OfferFactory.create(
        level_bachelor=True, level_master=True, seats=3, months=5, isced_code="0731"
    )
    assert offer.eqf_levels == [6, 7]
    assert offer.total_months == 15
    assert offer.isced_name == "Architecture and town planning"


def test_years_display() -> None:
    assert AgreementFactory.create(start_year=2026, end_year=2026).years_display == "2026/2027"
    assert (
        AgreementFactory.create(start_year=2025, end_year=2027).years_display
        == "2025/2026 – 2027/2028"
    )


def test_a_course_of_study_is_named_in_the_readers_language() -> None:
    course = CourseOfStudyFactory.create(
        name="Mechanical Engineering", name_it="Ingegneria Meccanica"
    )
    plain = CourseOfStudyFactory.create(name="Design", name_it="")
    with translation.override("it"):
        assert course.display_name == "Ingegneria Meccanica"
        assert str(course).startswith("Ingegneria Meccanica (")
        assert plain.display_name == "Design"
    with translation.override("en"):
        assert course.display_name == "Mechanical Engineering"
        assert str(course).startswith("Mechanical Engineering (")


def test_the_agreement_page_names_its_courses_in_the_readers_language(client: Client) -> None:
    course = CourseOfStudyFactory.create(
        name="Mechanical Engineering", name_it="Ingegneria Meccanica"
    )
    offer = OfferFactory.create()
    offer.courses.add(course)
    with translation.override("en"):  # the request activates Italian: not past this test
        page = client.get(
            reverse("catalogue:agreement", args=[offer.agreement.pk]),
            HTTP_ACCEPT_LANGUAGE="it",
        ).content.decode()
    assert "Ingegneria Meccanica (" in page
    assert "(MSc)" not in page


def test_a_short_stay_is_named_by_its_weeks_not_as_a_month() -> None:
    athens = NetworkFactory.create(code="athens", name="ATHENS")
    week = OfferFactory.create(
        months=1,
        weeks=1,
        agreement__programme=Programme.NETWORK,
        agreement__network=athens,
        agreement__partner__name="TU Munich",
    )
    semester = OfferFactory.create(months=5, agreement__partner__name="TU Munich")
    with translation.override("en"):
        assert week.duration_label == "1 week"
        assert week.label == "TU Munich – ATHENS network, 1 week"
        assert semester.label == "TU Munich – Erasmus+, 5 months"


def test_the_demo_says_an_athens_offer_lasts_one_week() -> None:
    from abroad.site.demo.catalogue import load_demo

    load_demo()
    athens = Offer.objects.filter(agreement__network__code="athens")
    assert athens.exists()
    assert set(athens.values_list("weeks", flat=True)) == {1}
    assert not Offer.objects.exclude(agreement__network__code="athens").filter(weeks__isnull=False)


def test_the_migration_says_the_existing_athens_offers_last_a_week() -> None:
    from django.apps import apps

    migration = importlib.import_module("abroad.catalogue.migrations.0006_offer_weeks")
    athens = OfferFactory.create(
        months=1,
        agreement__programme=Programme.NETWORK,
        agreement__network=NetworkFactory.create(code="athens", name="ATHENS"),
    )
    idea = OfferFactory.create(
        months=1,
        agreement__programme=Programme.NETWORK,
        agreement__network=NetworkFactory.create(code="idea-league"),
    )
    migration.athens_weeks(apps, None)
    athens.refresh_from_db()
    idea.refresh_from_db()
    assert (athens.weeks, idea.weeks) == (1, None)
