"""Schemathesis fuzzes the whole API against its own OpenAPI document, with every check it
has: no 5xx, documented status codes, content types, headers and bodies, valid data
accepted and invalid data refused, methods that no operation has refused with 405.

It calls the Django WSGI application in-process (on the test's database connection, so on
SQLite and PostgreSQL alike), on the small catalogue of tests/api/conftest.py and an
ATHENS session: anonymously on every operation, then as the office on the ones whose
answers depend on who asks. Hypothesis is derandomized and the examples per operation are
bounded (25, 10 for the office), so a run is deterministic and takes under a minute.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckFunction
from schemathesis.specs.openapi.checks import positive_data_acceptance

from abroad.people.models import User
from tests.api.conftest import World
from tests.networks.factories import CourseFactory, SessionFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())

# Filters whose values are codes the database knows (documented as such): a code that is
# well formed but unknown answers 422, which the schema cannot say.
DATABASE_CODES = {"course", "network"}


@pytest.fixture
def athens(world: World) -> None:
    """An ATHENS session (the code the schema gives as its example) with courses at two of
    the catalogue's partners."""
    session = SessionFactory.create(code="athens-2027-03", network=world.athens)
    CourseFactory.create(session=session, code="DE01", host=world.berlin, isced_code="0715")
    CourseFactory.create(
        session=session, code="NL01", host=world.delft, isced_code="0731", language="en"
    )


def unknown_codes_only(response: Any) -> bool:
    """Whether a 422 is only about course or network codes that do not exist."""
    if response.status_code != 422:
        return False
    problems = response.json()["detail"]
    return all(
        problem["loc"][0] == "query" and problem["loc"][1] in DATABASE_CODES for problem in problems
    )


def call_and_validate(case: schemathesis.Case, headers: dict[str, str] | None = None) -> None:
    # As Django's test client does: the start or end of a request must not close the test's database
    # connection (on PostgreSQL, with CONN_MAX_AGE, it would, inside the test's transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = case.call(headers=headers)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    excluded: list[CheckFunction] = (
        [positive_data_acceptance] if unknown_codes_only(response) else []
    )
    case.validate_response(response, headers=headers, excluded_checks=excluded)


FUZZ = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@schema.parametrize()
@FUZZ
def test_api_conforms_to_its_schema(case: schemathesis.Case, world: World, athens: None) -> None:
    call_and_validate(case)


@pytest.fixture
def office_cookie(office: User) -> dict[str, str]:
    """The Cookie header of a logged-in session of the office."""
    client = Client()
    client.force_login(office)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    return {"Cookie": f"{cookie.key}={cookie.value}"}


@schema.include(path_regex="^/api/(institutions|agreements)").parametrize()
@settings(FUZZ, max_examples=10)
def test_api_conforms_to_its_schema_for_the_office(
    case: schemathesis.Case, world: World, office_cookie: dict[str, str]
) -> None:
    """The office reads the agreements that are not public yet: the same checks, logged
    in, on the operations whose answers depend on who asks."""
    call_and_validate(case, headers=office_cookie)


def test_the_office_session_sees_what_the_office_sees(
    world: World, office_cookie: dict[str, str]
) -> None:
    """The cookie the office's fuzzing sends is a real session: drafts are there."""
    response = Client(headers=office_cookie).get("/api/agreements?page_size=200")
    assert "DRAFT-PARIS" in [item["code"] for item in response.json()["items"]]
