"""What the grants' tests share: the demo's rate table of 2025/26, the home institution and a
semester in Helsinki (group 1) for the student persona."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from abroad.catalogue.models import Institution
from abroad.grants import services
from abroad.mobility.enums import MobilityKind
from abroad.mobility.models import Mobility
from abroad.people.models import User
from tests.factories import InstitutionFactory
from tests.mobility.factories import MobilityFactory

DEMO_RATES = Path(__file__).parents[2] / "src/abroad/site/demo/data/rates-2025.csv"


@pytest.fixture
def rates_2025(office: User) -> None:
    assert services.import_rates(DEMO_RATES, academic_year=2025, actor=office).ok


@pytest.fixture
def home(db: None) -> Institution:
    return InstitutionFactory.create(
        name="Politecnico di Milano",
        country="IT",
        latitude=45.4781,
        longitude=9.2272,
        is_home=True,
    )


@pytest.fixture
def mobility(student: User, home: Institution) -> Mobility:
    """A semester in Helsinki (group 1), 1 September to 31 January."""
    helsinki = InstitutionFactory.create(
        name="Aalto University", country="FI", latitude=60.1867, longitude=24.8277
    )
    found: Mobility = MobilityFactory.create(
        student=student,
        offer__agreement__partner=helsinki,
        academic_year=2026,
        kind=MobilityKind.SEMESTER,
        planned_start=dt.date(2026, 9, 1),
        planned_end=dt.date(2027, 1, 31),
        actual_start=None,
    )
    return found
