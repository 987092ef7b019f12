"""The EWP rules asked of everybody: the owner student, another student, the approver of the
mobility's learning agreement, a promoter of something else, the office, an anonymous visitor
and a superuser (who is the office)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from abroad.core.permissions import can
from abroad.mobility.models import Mobility
from abroad.people.enums import Role
from abroad.people.models import User
from tests.factories import PromoterFactory, UserFactory
from tests.mobility.factories import MobilityFactory, coordinate

pytestmark = pytest.mark.django_db

PERSONAS = (
    "owner",
    "other_student",
    "approver",
    "stranger",
    "office",
    "school_office",
    "other_school_office",
    "anonymous",
    "superuser",
)
OFFICE = {"office", "superuser"}


@pytest.fixture
def mobility() -> Mobility:
    found: Mobility = MobilityFactory.create()
    coordinate(found, PromoterFactory.create(user__username="approver").user)
    return found


@pytest.fixture
def people(
    mobility: Mobility, school_office: object, other_school_office: object
) -> dict[str, object]:
    course = mobility.student.course_of_study
    assert course is not None
    return {
        "owner": mobility.student,
        "other_student": UserFactory.create(role=Role.STUDENT),
        "approver": course.coordinators.get().user,
        "stranger": PromoterFactory.create().user,
        "office": UserFactory.create(role=Role.OFFICE),
        "school_office": school_office,
        "other_school_office": other_school_office,
        "anonymous": AnonymousUser(),
        "superuser": UserFactory.create(role=Role.STUDENT, is_superuser=True, is_staff=True),
    }


def allowed(people: dict[str, object], perm: str, obj: object = None) -> set[str]:
    return {name for name in PERSONAS if can(people[name], perm, obj)}


def test_download_la(mobility: Mobility, people: dict[str, object]) -> None:
    # A School's office downloads its own School's learning agreements only.
    assert allowed(people, "ewp.download_la", mobility) == {
        "owner",
        "approver",
        "school_office",
        *OFFICE,
    }


def test_download_iia_is_for_the_office_and_the_promoters(people: dict[str, object]) -> None:
    assert allowed(people, "ewp.download_iia") == {
        "approver",
        "stranger",
        "school_office",
        "other_school_office",
        *OFFICE,
    }


@pytest.mark.parametrize("perm", ["ewp.view_agreement", "ewp.exchange"])
def test_the_exchange_is_the_central_offices(people: dict[str, object], perm: str) -> None:
    # The exchange with partners is the university's: no School's office runs it.
    assert allowed(people, perm) == OFFICE


def test_only_the_central_office_has_the_ewp_menu(school_office: User, office: User) -> None:
    for user, shown in ((office, True), (school_office, False)):
        visitor = Client()
        visitor.force_login(user)
        html = visitor.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert ('href="/ewp/inbox/"' in html) is shown
        assert visitor.get("/ewp/inbox/").status_code == (200 if shown else 404)
