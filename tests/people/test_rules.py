"""The people rules asked of everybody: a student, another student, a promoter, the office, an
administrator, an anonymous visitor and a superuser (an administrator, never a student or a
promoter)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from abroad.core.permissions import can
from abroad.people.enums import Role
from abroad.people.rules import is_admin, is_office, is_promoter, is_student
from tests.factories import PromoterFactory, UserFactory

pytestmark = pytest.mark.django_db

PERSONAS = ("student", "other_student", "promoter", "office", "admin", "anonymous", "superuser")
OFFICE = {"office", "admin", "superuser"}
ADMIN = {"admin", "superuser"}


@pytest.fixture
def people() -> dict[str, object]:
    return {
        "student": UserFactory.create(role=Role.STUDENT),
        "other_student": UserFactory.create(role=Role.STUDENT),
        "promoter": PromoterFactory.create(user__username="promoter").user,
        "office": UserFactory.create(role=Role.OFFICE),
        "admin": UserFactory.create(role=Role.ADMIN),
        "anonymous": AnonymousUser(),
        "superuser": UserFactory.create(role=Role.STUDENT, is_superuser=True, is_staff=True),
    }


def allowed(people: dict[str, object], perm: str, obj: object = None) -> set[str]:
    return {name for name in PERSONAS if can(people[name], perm, obj)}


def test_role_predicates(people: dict[str, object]) -> None:
    assert {n for n in PERSONAS if is_student(people[n])} == {
        "student",
        "other_student",
        "superuser",  # the role of the account; it acts as the office through is_office
    }
    assert {n for n in PERSONAS if is_promoter(people[n])} == {"promoter"}
    assert {n for n in PERSONAS if is_office(people[n])} == OFFICE
    assert {n for n in PERSONAS if is_admin(people[n])} == ADMIN


@pytest.mark.parametrize(
    ("perm", "who"),
    [
        ("people.view_user", OFFICE),
        ("people.change_user", OFFICE),
        ("people.add_user", ADMIN),
        ("people.delete_user", ADMIN),
        ("core.view_auditevent", OFFICE),
        ("people.view_studentcareer", OFFICE),
        ("people.view_languagecertificate", OFFICE),
        ("people.view_passedcourse", OFFICE),
        ("people.change_passedcourse", OFFICE),
        ("people.add_passedcourse", OFFICE),
        ("people.delete_passedcourse", OFFICE),
    ],
)
def test_people_rules(people: dict[str, object], perm: str, who: set[str]) -> None:
    assert allowed(people, perm) == who
    # asked about one's own account, too
    for name in ("student", "promoter"):
        assert not can(people[name], perm, people[name]) or name in who
