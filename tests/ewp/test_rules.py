"""The EWP rules asked of everybody: the owner student, another student, the approver of the
mobility's learning agreement, a promoter of something else, the office, an anonymous visitor
and a superuser (who is the office)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from abroad.core.permissions import can
from abroad.mobility.models import Mobility
from abroad.people.enums import Role
from tests.factories import PromoterFactory, UserFactory
from tests.mobility.factories import MobilityFactory, coordinate

pytestmark = pytest.mark.django_db

PERSONAS = ("owner", "other_student", "approver", "stranger", "office", "anonymous", "superuser")
OFFICE = {"office", "superuser"}


@pytest.fixture
def mobility() -> Mobility:
    found: Mobility = MobilityFactory.create()
    coordinate(found, PromoterFactory.create(user__username="approver").user)
    return found


@pytest.fixture
def people(mobility: Mobility) -> dict[str, object]:
    course = mobility.student.course_of_study
    assert course is not None
    return {
        "owner": mobility.student,
        "other_student": UserFactory.create(role=Role.STUDENT),
        "approver": course.coordinators.get().user,
        "stranger": PromoterFactory.create().user,
        "office": UserFactory.create(role=Role.OFFICE),
        "anonymous": AnonymousUser(),
        "superuser": UserFactory.create(role=Role.STUDENT, is_superuser=True, is_staff=True),
    }


def allowed(people: dict[str, object], perm: str, obj: object = None) -> set[str]:
    return {name for name in PERSONAS if can(people[name], perm, obj)}


def test_download_la(mobility: Mobility, people: dict[str, object]) -> None:
    assert allowed(people, "ewp.download_la", mobility) == {"owner", "approver", *OFFICE}


def test_download_iia_is_for_the_office_and_the_promoters(people: dict[str, object]) -> None:
    assert allowed(people, "ewp.download_iia") == {"approver", "stranger", *OFFICE}


@pytest.mark.parametrize("perm", ["ewp.view_agreement", "ewp.exchange"])
def test_office_only(people: dict[str, object], perm: str) -> None:
    assert allowed(people, perm) == OFFICE
