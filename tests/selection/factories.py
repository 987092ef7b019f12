"""Factories for the selection: calls, their offers, applications, rounds, and what the
registrar knows of a student. Plain and predictable, like tests/factories.py.

A call made by :class:`CallFactory` is open now (opened yesterday, closes in 30 days), for
the 3I School (the School of ``CourseOfStudyFactory``), academic year 2027, 6 preferences.
A round's acceptance deadline is a week from now."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from abroad.people.models import LanguageCertificate, StudentCareer
from abroad.selection.enums import ApplicationState, AssignmentState, RoundState
from abroad.selection.models import (
    Application,
    Assignment,
    Call,
    CallOffer,
    Preference,
    Round,
)
from tests.factories import OfferFactory, SchoolFactory, UserFactory


def _in_days(days: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


class CallFactory(factory.django.DjangoModelFactory[Call]):
    class Meta:
        model = Call
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"call-{n}")
    title = factory.Sequence(lambda n: f"Engineering call {n}")
    academic_year = 2027
    number = 1
    opens_at = factory.LazyFunction(lambda: _in_days(-1))
    closes_at = factory.LazyFunction(lambda: _in_days(30))
    max_preferences = 6

    @factory.post_generation
    def schools(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        """``schools=[...]`` sets them; by default the call is for the 3I School."""
        if create:
            self.schools.set(extracted if extracted is not None else [SchoolFactory.create()])


class CallOfferFactory(factory.django.DjangoModelFactory[CallOffer]):
    class Meta:
        model = CallOffer

    call = factory.SubFactory(CallFactory)
    offer = factory.SubFactory(OfferFactory)
    seats = 2


class StudentCareerFactory(factory.django.DjangoModelFactory[StudentCareer]):
    """An MSc student in good standing: 210 credits, average 27.5, first year completed."""

    class Meta:
        model = StudentCareer

    student = factory.SubFactory(UserFactory)
    first_enrolment_year = 2023
    credits_bachelor = 180
    credits_master = 30
    average_bachelor = Decimal("27.00")
    average_master = Decimal("28.00")
    first_year_completed = True
    previous_exchanges = 0
    months_used = 0


class LanguageCertificateFactory(factory.django.DjangoModelFactory[LanguageCertificate]):
    class Meta:
        model = LanguageCertificate

    student = factory.SubFactory(UserFactory)
    language = "en"
    level = "C1"
    name = "IELTS"


class ApplicationFactory(factory.django.DjangoModelFactory[Application]):
    class Meta:
        model = Application

    call = factory.SubFactory(CallFactory)
    student = factory.SubFactory(UserFactory)
    state = ApplicationState.DRAFT


class PreferenceFactory(factory.django.DjangoModelFactory[Preference]):
    class Meta:
        model = Preference

    application = factory.SubFactory(ApplicationFactory)
    rank = 1
    call_offer = factory.SubFactory(
        CallOfferFactory, call=factory.SelfAttribute("..application.call")
    )


class RoundFactory(factory.django.DjangoModelFactory[Round]):
    class Meta:
        model = Round

    call = factory.SubFactory(CallFactory)
    number = 1
    state = RoundState.DRAFT
    acceptance_deadline = factory.LazyFunction(lambda: _in_days(7))


class AssignmentFactory(factory.django.DjangoModelFactory[Assignment]):
    """A seat offered in a published round, as the student's first choice."""

    class Meta:
        model = Assignment

    round = factory.SubFactory(RoundFactory, state=RoundState.PUBLISHED)
    application = factory.SubFactory(ApplicationFactory, call=factory.SelfAttribute("..round.call"))
    call_offer = factory.SubFactory(CallOfferFactory, call=factory.SelfAttribute("..round.call"))
    choice = 1
    explanation = factory.LazyFunction(
        lambda: {"outcome": "assigned", "choice": 1, "option": None, "skipped": []}
    )
    state = AssignmentState.OFFERED
