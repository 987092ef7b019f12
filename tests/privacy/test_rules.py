"""The privacy permissions, for every persona (anonymous included)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from abroad.core.permissions import can
from abroad.people.models import User

pytestmark = pytest.mark.integration

# persona: (export the student's data, manage people, erase the student, apply retention)
EXPECTED = {
    "student": (True, False, False, False),
    "other_student": (False, False, False, False),
    "promoter": (False, False, False, False),
    "office": (True, True, True, False),
    "school_office": (True, True, True, False),
    # another School's office has the pages, never this student
    "other_school_office": (False, True, False, False),
    "anonymous": (False, False, False, False),
}


@pytest.mark.parametrize("persona", EXPECTED)
def test_privacy_permissions(persona: str, student: User, request: pytest.FixtureRequest) -> None:
    user = AnonymousUser() if persona == "anonymous" else request.getfixturevalue(persona)

    assert (
        can(user, "privacy.export_person", student),
        can(user, "privacy.manage_people"),
        can(user, "privacy.erase_person", student),
        can(user, "privacy.apply_retention"),
    ) == EXPECTED[persona]


def test_everybody_may_export_their_own_data_and_nobody_erases_themselves(
    promoter: User, office: User
) -> None:
    for user in (promoter, office):
        assert can(user, "privacy.export_person", user)
        assert not can(user, "privacy.erase_person", user)


def test_the_office_erases_students_and_promoters_only(
    student: User, promoter: User, office: User
) -> None:
    admin = User.objects.create(username="admin", role="admin")
    other_office = User.objects.create(username="office-2", role="office")
    superuser = User.objects.create(username="root", is_superuser=True)

    assert can(office, "privacy.erase_person", student)
    assert can(office, "privacy.erase_person", promoter)
    assert not can(office, "privacy.erase_person", other_office)
    assert not can(office, "privacy.erase_person", admin)
    assert can(admin, "privacy.erase_person", other_office)
    assert not can(admin, "privacy.erase_person", superuser)
