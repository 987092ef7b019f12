"""The networks in the admin: the office reads, nobody writes there; reserved session codes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from abroad.networks.models import validate_session_code
from abroad.people.models import User

MODELS = [
    "athenssession",
    "athenscourse",
    "athensapplication",
    "athensallocation",
    "participation",
    "doubledegreeplan",
]


@pytest.mark.parametrize("model", MODELS)
def test_the_office_reads_the_lists_and_cannot_add(
    client: Client, office: User, model: str
) -> None:
    office.is_staff = True
    office.is_superuser = True
    office.save()
    client.force_login(office)
    assert client.get(reverse(f"admin:networks_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:networks_{model}_add")).status_code == 403


@pytest.mark.parametrize("code", ["new", "NEW", "participations"])
def test_codes_that_name_office_pages_are_refused(code: str) -> None:
    with pytest.raises(ValidationError, match="office's pages"):
        validate_session_code(code)


def test_an_ordinary_code_is_accepted() -> None:
    validate_session_code("2027-03")
