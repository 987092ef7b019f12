"""Error pages (issue 18, point 8): the site's header, the reader's language, what happened
and the way back, instead of Django's bare text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client, RequestFactory
from django.utils import translation
from django.views import defaults

from abroad.people.models import User

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    translation.activate(settings.LANGUAGE_CODE)


def test_a_missing_page_has_the_site_around_it(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "<h1>Page not found</h1>" in text
    assert 'aria-label="Main"' in text  # the site's navigation
    assert 'href="/"' in text
    assert "Back to the home page" in text
    assert "/accounts/login/?next=/no-such-page/" in text


def test_a_missing_page_speaks_italian_to_an_italian_reader(client: Client) -> None:
    response = client.get("/no-such-page/", headers={"accept-language": "it"})
    text = response.content.decode()
    assert response.status_code == 404
    assert 'lang="it"' in text
    assert "Page not found" not in text


def test_a_refusal_says_why(rf: RequestFactory, student: User) -> None:
    request = rf.get("/")
    request.user = student
    response = defaults.permission_denied(request, PermissionDenied("Only the office does this."))
    text = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in text
    assert "Only the office does this." in text
    assert "Log in" not in text  # a signed-in reader is not sent to log in


def test_a_bad_request_says_nothing_was_saved(rf: RequestFactory) -> None:
    request = rf.get("/")
    response = defaults.bad_request(request, SuspiciousOperation("too many fields"))
    text = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was saved" in text
    assert "too many fields" not in text  # the cause stays in the log


def test_a_server_error_page_needs_nothing_that_may_have_failed(rf: RequestFactory) -> None:
    response = defaults.server_error(rf.get("/"))
    text = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in text
    assert 'href="/"' in text
