"""The student's timeline and learning agreement page ask a fixed number of queries, whatever
the number of versions, rows, documents and extension requests (issue 19: personal pages at
32 clients), and fewer than they did: the coordinators come with their users in one query, the
planned dates' rules read the prefetched learning agreements instead of asking twice, and the
upload form's "replaces" choices are the documents the page has already read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from abroad.mobility.enums import DocumentKind, ExtensionState, LearningAgreementState
from abroad.mobility.models import ExtensionRequest, Mobility
from abroad.people.models import User
from tests.conftest import logged_in
from tests.factories import PromoterFactory
from tests.mobility.factories import (
    DocumentFactory,
    MobilityFactory,
    agreement_with_rows,
    coordinate,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

# The counts, session and user included; they were 14 and 9 before (issue 19), then 11 and 8;
# the timeline's upload form now offers the documents the page has read (core/formfields.py).
TIMELINE_QUERIES = 10
AGREEMENT_PAGE_QUERIES = 8


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def fill(mobility: Mobility, versions: int, rows: int) -> None:
    """``versions`` signed learning agreements of ``rows`` rows a table, as many documents,
    extension requests and coordinators."""
    for number in range(1, versions + 1):
        agreement_with_rows(
            mobility,
            number=number,
            a=rows,
            b=rows,
            state=LearningAgreementState.SIGNED,
            student_signed_at=timezone.now(),
        )
    for _ in range(versions):
        form = DocumentFactory.create(mobility=mobility, kind=DocumentKind.EXTENSION_FORM)
        DocumentFactory.create(mobility=mobility)
        ExtensionRequest.objects.create(
            mobility=mobility,
            state=ExtensionState.REFUSED,
            current_end=dt.date(2027, 1, 31),
            requested_end=dt.date(2027, 6, 30),
            months_before=5,
            months_after=10,
            reason="A research project.",
            form=form,
            requested_by=mobility.student,
        )
        coordinate(mobility, PromoterFactory.create(user__password="!").user)


def count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("view", "most"), [("detail", TIMELINE_QUERIES), ("la", AGREEMENT_PAGE_QUERIES)]
)
def test_the_students_pages_ask_a_fixed_number_of_queries(
    student: User, view: str, most: int
) -> None:
    few = MobilityFactory.create(student=student)
    many = MobilityFactory.create(student=student)
    fill(few, versions=1, rows=1)
    fill(many, versions=6, rows=12)
    client = logged_in(student)
    url = "mobility:" + view
    at_few = count(client, reverse(url, kwargs={"pk": few.pk}))
    at_many = count(client, reverse(url, kwargs={"pk": many.pk}))
    assert at_many == at_few
    assert at_many <= most
