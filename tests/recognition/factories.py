"""Factories of the recognition app. Scales are the standard ones (created once per test by
``ensure_standard_scales``); a rule converts French grades to Italian ones by the linear
formula, rounding half up, for everybody, unless told otherwise."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import factory

from abroad.mobility.enums import LearningAgreementState, MobilityState, Table
from abroad.mobility.models import Component, LearningAgreement, Mobility
from abroad.recognition.enums import Cycle, Method
from abroad.recognition.models import ConversionRule, GradingScale, GradingTable
from abroad.recognition.services import ensure_standard_scales
from tests.factories import InstitutionFactory
from tests.mobility.factories import LearningAgreementFactory, MobilityFactory


def standard(key: str) -> GradingScale:
    """A standard scale by its key: "it", "fr", "de", "ects" ..."""
    return ensure_standard_scales()[key]


class ConversionRuleFactory(factory.django.DjangoModelFactory[ConversionRule]):
    class Meta:
        model = ConversionRule

    name = factory.Sequence(lambda n: f"Rule {n}")
    host_scale = factory.LazyFunction(lambda: standard("fr"))
    home_scale = factory.LazyFunction(lambda: standard("it"))
    method = Method.LINEAR
    parameters = factory.LazyFunction(lambda: {"rounding": "half up"})


class GradingTableFactory(factory.django.DjangoModelFactory[GradingTable]):
    class Meta:
        model = GradingTable

    institution = factory.SubFactory(InstitutionFactory)
    scale = factory.LazyFunction(lambda: standard("it"))
    isced_code = "0715"
    cycle = Cycle.SECOND
    first_year = 2022
    last_year = 2023
    percentages = factory.LazyFunction(lambda: {"30": "50", "27": "50"})
    source = "test"


Row = tuple[str, str, int | str]  # code, title, ECTS


def signed_agreement(
    mobility: Mobility, *, a: Sequence[Row], b: Sequence[Row], number: int = 1
) -> LearningAgreement:
    """A learning agreement signed by all three, with exactly these rows in tables A and B."""
    agreement = LearningAgreementFactory.create(
        mobility=mobility, number=number, state=LearningAgreementState.SIGNED
    )
    Component.objects.bulk_create(
        Component(
            agreement=agreement,
            table=table,
            position=position,
            code=code,
            title=title,
            ects=Decimal(ects),
        )
        for table, rows in ((Table.A, a), (Table.B, b))
        for position, (code, title, ects) in enumerate(rows, start=1)
    )
    return agreement


class EndedMobilityFactory(MobilityFactory):
    """A mobility whose departure the office recorded: its transcript can be entered."""

    state = MobilityState.COMPLETED
    actual_end = factory.LazyFunction(lambda: dt.date.today() - dt.timedelta(days=1))
