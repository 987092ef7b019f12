"""The ATHENS read API: sessions and a session's courses with the page's filters, public,
paginated, in a constant number of queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from abroad.networks.models import AthensSession
from tests.factories import InstitutionFactory
from tests.networks.factories import CourseFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def session() -> AthensSession:
    session = SessionFactory.create(code="athens-2027-03")
    delft = InstitutionFactory.create(name="TU Delft", country="NL")
    madrid = InstitutionFactory.create(name="UPM", country="ES")
    CourseFactory.create(session=session, code="NL01", host=delft, isced_code="0714", language="en")
    CourseFactory.create(
        session=session, code="ES02", host=madrid, isced_code="0613", language="es"
    )
    CourseFactory.create(
        session=session, code="ES03", host=madrid, isced_code="0715", language="en"
    )
    return session


def test_the_sessions_are_listed_with_their_courses(client: Client, session: AthensSession) -> None:
    SessionFactory.create(code="athens-2026-11")
    body = client.get("/api/athens/sessions").json()
    assert body["count"] == 2
    first = next(item for item in body["items"] if item["code"] == "athens-2027-03")
    assert first["course_count"] == 3
    assert first["network"] == session.network.code
    assert first["url"] == "/networks/athens/athens-2027-03/"


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("", ["NL01", "ES02", "ES03"]),  # by host (TU Delft, UPM), then code
        ("?language=en", ["NL01", "ES03"]),
        ("?field=071", ["NL01", "ES03"]),
        ("?field=0613&language=es", ["ES02"]),
    ],
)
def test_the_courses_follow_the_pages_filters(
    client: Client, session: AthensSession, query: str, codes: list[str]
) -> None:
    body = client.get(f"/api/athens/sessions/{session.code}/courses{query}").json()
    assert [course["code"] for course in body] == codes
    assert {course["host"]["name"] for course in body} <= {"TU Delft", "UPM"}


def test_a_host_filter_and_the_errors(client: Client, session: AthensSession) -> None:
    delft = session.courses.get(code="NL01").host
    body = client.get(f"/api/athens/sessions/{session.code}/courses?host={delft.pk}").json()
    assert [course["code"] for course in body] == ["NL01"]
    assert client.get("/api/athens/sessions/nope/courses").status_code == 404
    assert client.get(f"/api/athens/sessions/{session.code}/courses?field=7x").status_code == 422


def test_the_courses_cost_the_same_for_more_courses(
    client: Client, session: AthensSession, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    url = f"/api/athens/sessions/{session.code}/courses"
    with django_assert_max_num_queries(3):
        client.get(url)
    for n in range(10):
        CourseFactory.create(session=session, code=f"X{n:02d}")
    with django_assert_max_num_queries(3):
        assert len(client.get(url).json()) == 13


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/athens/sessions/{code}/courses?host=0", "host"),
        ("/api/athens/sessions/{code}/courses?host=99999999999999999999", "host"),
        ("/api/athens/sessions/{code}/courses?host=x", "host"),
        ("/api/athens/sessions/{code}/courses?language=xx", "language"),
        ("/api/athens/sessions/{code}/courses?field=0%00", "field"),
        ("/api/athens/sessions/not%20a%20slug/courses", "code"),
        ("/api/athens/sessions?page=10000000000000000000", "page"),
    ],
)
def test_bad_parameters_answer_422_naming_the_parameter(
    client: Client, session: AthensSession, url: str, field: str
) -> None:
    response = client.get(url.format(code=session.code))
    assert response.status_code == 422, response.content
    assert [error["loc"][-1] for error in response.json()["detail"]] == [field]


def test_empty_filters_mean_any_as_in_the_pages_address(
    client: Client, session: AthensSession
) -> None:
    url = f"/api/athens/sessions/{session.code}/courses"
    assert client.get(f"{url}?host=&field=&language=").json() == client.get(url).json()
