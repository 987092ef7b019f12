"""Fixtures for the catalogue's tests: the real reference data in ``shared/data``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from abroad.catalogue.models import School
from tests.factories import (
    CourseOfStudyFactory,
    InstitutionFactory,
    NetworkFactory,
    PromoterFactory,
    SchoolFactory,
)


def shared_data_dir() -> Path:
    """The project's shared reference data: ``shared/data`` beside the repository (CI clones
    the repository with ``shared/`` beside it; here, /work/main and /work/shared)."""
    return (Path(__file__).resolve().parents[2] / ".." / "shared" / "data").resolve()


def shared_data_file(name: str) -> Path:
    """A file of the shared data, or a clear failure (never a skip) when it is missing."""
    path = shared_data_dir() / name
    if not path.is_file():
        pytest.fail(
            f"{path} is missing: these tests read the real reference data in shared/data, "
            "which must sit beside the repository (clone it with shared/ beside it)",
            pytrace=False,
        )
    return path


@pytest.fixture
def eche_file() -> Path:
    """The European Commission's list of ECHE holders of 8 April 2026, as published."""
    return shared_data_file("eche_20260408.xlsx")


@pytest.fixture
def agreement_refs() -> dict[str, Any]:
    """What the rows refer to: partners, Schools and courses, a network, a promoter."""
    school = SchoolFactory.create(code="3I")
    auic = School.objects.create(code="AUIC", name="School of Architecture")
    arch = School.objects.create(code="AUIC-ARCH", name="Architecture (AUIC)", parent=auic)
    return {
        "delft": InstitutionFactory.create(
            name="TU Delft", country="NL", erasmus_code="NL DELFT01", schac_code="tudelft.nl"
        ),
        "eth": InstitutionFactory.create(
            name="ETH Zurich", country="CH", erasmus_code=None, schac_code="ethz.ch"
        ),
        "mech_msc": CourseOfStudyFactory.create(code="MECH-MSC", level="MSc", school=school),
        "mech_bsc": CourseOfStudyFactory.create(code="MECH-BSC", level="BSc", school=school),
        "arch_msc": CourseOfStudyFactory.create(code="ARCH-MSC", level="MSc", school=arch),
        "network": NetworkFactory.create(code="idea-league"),
        "promoter": PromoterFactory.create(
            user__username="rossi",
            user__email="rossi@polimi.example",
            user__password="!",  # unusable, and no slow hashing in every test
            school=school,
        ),
    }
