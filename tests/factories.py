"""Factories without surprises: every value is plain and predictable."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth.hashers import make_password

from abroad.catalogue.enums import AgreementStatus, MobilityType, Programme
from abroad.catalogue.models import (
    Agreement,
    CourseOfStudy,
    Institution,
    Network,
    NetworkMembership,
    Offer,
    Promoter,
    School,
)
from abroad.people.enums import Role
from abroad.people.models import User

PASSWORD = "a-long-test-password"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.LazyFunction(lambda: make_password(PASSWORD))
    role = Role.STUDENT


class InstitutionFactory(factory.django.DjangoModelFactory[Institution]):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"Partner University {n}")
    country = "DE"
    city = "Berlin"
    latitude = factory.Sequence(lambda n: 52 + (n % 50) / 100)
    longitude = factory.Sequence(lambda n: 13 + (n % 50) / 100)
    erasmus_code = factory.Sequence(lambda n: f"D  BERLIN{n % 100:02d}" if n < 100 else None)
    schac_code = factory.Sequence(lambda n: f"partner{n}.example.org")


class SchoolFactory(factory.django.DjangoModelFactory[School]):
    class Meta:
        model = School
        django_get_or_create = ("code",)

    code = "3I"
    name = "School of Industrial and Information Engineering"


class CourseOfStudyFactory(factory.django.DjangoModelFactory[CourseOfStudy]):
    class Meta:
        model = CourseOfStudy

    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.Sequence(lambda n: f"Engineering {n}")
    level = "MSc"
    school = factory.SubFactory(SchoolFactory)
    isced_code = "0715"
    language = "en"


class PromoterFactory(factory.django.DjangoModelFactory[Promoter]):
    class Meta:
        model = Promoter

    user = factory.SubFactory(UserFactory, role=Role.PROMOTER)
    title = "Prof."
    school = factory.SubFactory(SchoolFactory)
    email = factory.LazyAttribute(lambda promoter: promoter.user.email)


class NetworkFactory(factory.django.DjangoModelFactory[Network]):
    class Meta:
        model = Network
        django_get_or_create = ("code",)

    code = "idea-league"
    name = "IDEA League"


class AgreementFactory(factory.django.DjangoModelFactory[Agreement]):
    class Meta:
        model = Agreement

    code = factory.Sequence(lambda n: f"AGR-{n:04d}")
    partner = factory.SubFactory(InstitutionFactory)
    programme = Programme.ERASMUS
    start_year = 2026
    end_year = 2028
    status = AgreementStatus.ACTIVE


class OfferFactory(factory.django.DjangoModelFactory[Offer]):
    class Meta:
        model = Offer
        skip_postgeneration_save = True

    agreement = factory.SubFactory(AgreementFactory)
    mobility_type = MobilityType.STUDY
    level_master = True
    isced_code = "0715"
    seats = 2
    months = 6
    language = "en"
    language_level = "B2"

    @factory.post_generation
    def courses(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.courses.set(extracted)


def member(network: Network, institution: Institution) -> NetworkMembership:
    return NetworkMembership.objects.create(network=network, institution=institution)
