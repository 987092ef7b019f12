"""Factories for the networks: an ATHENS session open now (opened yesterday, closes in 30
days, at most 3 courses, first year completed and 60 credits required), its courses, and
applications. Plain and predictable, like tests/factories.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from abroad.networks.enums import ApplicationState, Season
from abroad.networks.models import AthensApplication, AthensChoice, AthensCourse, AthensSession
from abroad.people.models import StudentCareer
from tests.factories import InstitutionFactory, NetworkFactory, UserFactory


def in_days(days: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


class SessionFactory(factory.django.DjangoModelFactory[AthensSession]):
    class Meta:
        model = AthensSession

    code = factory.Sequence(lambda n: f"athens-{n}")
    network = factory.SubFactory(NetworkFactory, code="athens", name="ATHENS")
    season = Season.MARCH
    year = factory.Sequence(lambda n: 2027 + n)
    starts_on = dt.date(2027, 3, 13)
    ends_on = dt.date(2027, 3, 20)
    applications_open_at = factory.LazyFunction(lambda: in_days(-1))
    applications_close_at = factory.LazyFunction(lambda: in_days(30))
    max_choices = 3
    require_first_year_completed = True
    min_credits = 60


class CourseFactory(factory.django.DjangoModelFactory[AthensCourse]):
    class Meta:
        model = AthensCourse

    session = factory.SubFactory(SessionFactory)
    code = factory.Sequence(lambda n: f"C{n:02d}")
    host = factory.SubFactory(InstitutionFactory)
    title = factory.Sequence(lambda n: f"Course {n}")
    isced_code = "0715"
    language = "en"
    starts_on = dt.date(2027, 3, 13)
    ends_on = dt.date(2027, 3, 20)
    capacity = 1
    fee = Decimal(0)


class CareerFactory(factory.django.DjangoModelFactory[StudentCareer]):
    """210 credits, average 27.5, first year completed."""

    class Meta:
        model = StudentCareer

    student = factory.SubFactory(UserFactory)
    first_enrolment_year = 2023
    credits_bachelor = 180
    credits_master = 30
    average_bachelor = Decimal("27.00")
    average_master = Decimal("28.00")
    first_year_completed = True


class ApplicationFactory(factory.django.DjangoModelFactory[AthensApplication]):
    class Meta:
        model = AthensApplication

    session = factory.SubFactory(SessionFactory)
    student = factory.SubFactory(UserFactory)
    state = ApplicationState.DRAFT
    motivation = "I want to learn."


class ChoiceFactory(factory.django.DjangoModelFactory[AthensChoice]):
    class Meta:
        model = AthensChoice

    application = factory.SubFactory(ApplicationFactory)
    rank = 1
    course = factory.SubFactory(
        CourseFactory, session=factory.SelfAttribute("..application.session")
    )
