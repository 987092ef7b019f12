"""EWP tests validate against the official schemas in ../shared/ewp (beside the clone), or
the folder ABROAD_TEST_EWP_SCHEMA_DIR names. They are never copied into the project."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

from abroad.catalogue.models import Agreement, Institution
from abroad.ewp.models import NomineeDetails
from abroad.people.models import User
from tests.factories import AgreementFactory, InstitutionFactory, OfferFactory

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = Path(os.environ.get("ABROAD_TEST_EWP_SCHEMA_DIR", ROOT.parent / "shared" / "ewp"))
HOME = "polimi.it"


def nominee_details(student: User) -> NomineeDetails:
    """What OMobilities v3 requires of a nominee beyond abroad's user (docs/ewp.md)."""
    return NomineeDetails.objects.create(
        student=student, birth_date=dt.date(2003, 4, 5), nationality="IT", gender=2
    )


def official(path: str) -> bytes:
    """An official example or schema file, read from the schema folder."""
    return (SCHEMAS / path).read_bytes()


@pytest.fixture(autouse=True)
def ewp_schemas(settings: Any) -> Path:
    if not (SCHEMAS / "ewp-specs-api-iias").is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the official EWP schemas are missing from {SCHEMAS}")
        pytest.skip(f"no EWP schemas at {SCHEMAS}")
    settings.EWP_SCHEMA_DIR = str(SCHEMAS)
    settings.EWP_HEI_ID = ""
    return SCHEMAS


@pytest.fixture
def home(db: None) -> Institution:
    return InstitutionFactory.create(
        name="Politecnico di Milano",
        country="IT",
        city="Milano",
        erasmus_code="I  MILANO02",
        schac_code=HOME,
        is_home=True,
    )


@pytest.fixture
def agreement(home: Institution) -> Agreement:
    partner = InstitutionFactory.create(name="TU Delft", country="NL", schac_code="tudelft.nl")
    agreement = AgreementFactory.create(
        code="E+ NL DELFT01",
        partner=partner,
        start_year=2026,
        end_year=2028,
        partner_contact="Anna de Vries <a.devries@tudelft.nl>",
    )
    OfferFactory.create(
        agreement=agreement,
        isced_code="0715",
        seats=3,
        months=5,
        language="en",
        language_level="B2",
        level_bachelor=True,
    )
    OfferFactory.create(
        agreement=agreement,
        isced_code="0731",
        seats=2,
        months=10,
        language="nl",
        language_level="",
        level_doctorate=True,
    )
    return agreement
