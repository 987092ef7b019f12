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
