"""Schemathesis fuzzes the whole API against its own OpenAPI document, with every check it
has: no 5xx, documented status codes, content types, headers and bodies, valid data
accepted and invalid data refused, methods that no operation has refused with 405.

It calls the Django WSGI application in-process (on the test's database connection, so on
SQLite and PostgreSQL alike), on the small catalogue of tests/api/conftest.py. Hypothesis
is derandomized and the examples per operation are bounded, so a run is deterministic and
takes well under a minute.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckFunction
from schemathesis.specs.openapi.checks import positive_data_acceptance

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


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case: schemathesis.Case, world: World, athens: None) -> None:
    response = case.call()
    excluded: list[CheckFunction] = (
        [positive_data_acceptance] if unknown_codes_only(response) else []
    )
    case.validate_response(response, excluded_checks=excluded)
