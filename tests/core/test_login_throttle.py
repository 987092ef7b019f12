"""Log-in throttling (issue 13, item 8): after too many wrong passwords for one user name from
one address, even the right password is refused for a while; other people are not affected."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from abroad.people.models import User
from tests.factories import UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PASSWORD = "a-long-enough-password"


def _log_in(client: Client, username: str, password: str) -> int:
    return client.post("/accounts/login/", {"username": username, "password": password}).status_code


@pytest.fixture
def owner() -> User:
    user = UserFactory.create(username="ada")
    user.set_password(PASSWORD)
    user.save()
    return user


def test_wrong_passwords_lock_the_user_name_out_even_for_the_right_password(
    client: Client, owner: User
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _log_in(client, "ada", "wrong-password") == 200  # the form again, with an error
    assert _log_in(client, "ada", "wrong-password") == 429  # the last one allowed locks
    response = client.post("/accounts/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # somebody else, from the same address, still logs in
    other = UserFactory.create(username="grace")
    other.set_password(PASSWORD)
    other.save()
    assert _log_in(Client(), "grace", PASSWORD) == 302


def test_the_lock_ends_after_the_cool_off(client: Client, owner: User) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, "ada", "wrong-password")
    assert _log_in(client, "ada", PASSWORD) == 429
    past = timezone.now() - dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES + 1)
    AccessAttempt.objects.update(attempt_time=past)
    assert _log_in(client, "ada", PASSWORD) == 302


def test_a_success_resets_the_count(client: Client, owner: User) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _log_in(client, "ada", "wrong-password")
    assert _log_in(client, "ada", PASSWORD) == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _log_in(client, "ada", "wrong-password")
    assert _log_in(client, "ada", PASSWORD) == 302


@pytest.fixture
def english_afterwards() -> Iterator[None]:
    """An Italian request leaves Italian active in this thread: back to English after."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def test_the_lock_out_page_is_in_italian_for_an_italian_reader(
    client: Client, owner: User, english_afterwards: None
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, "ada", "wrong-password")
    response = client.post(
        "/accounts/login/",
        {"username": "ada", "password": PASSWORD},
        headers={"accept-language": "it"},
    )
    assert response.status_code == 429
    assert 'lang="it"' in response.content.decode()
    assert "Too many failed log-ins" not in response.content.decode()
