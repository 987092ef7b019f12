"""Entering a transcript by hand: every error arrives in the first answer (issue 18, point 11).
The form's own errors (the header, a number out of range) and the rows' errors the service
finds (a grade not of the scale, a component reported twice) used to come one kind per try."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from abroad.catalogue.models import Institution
from abroad.mobility.models import Mobility
from abroad.people.models import User
from abroad.recognition.models import Transcript
from tests.conftest import logged_in
from tests.factories import InstitutionFactory
from tests.recognition.factories import EndedMobilityFactory, signed_agreement, standard

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

TABLE_A = [("FR101", "Thermodynamique", 6), ("FR102", "Mécanique des fluides", 6)]
TABLE_B = [("052345", "Thermodynamics", 6), ("052346", "Fluid Mechanics", 6)]


@pytest.fixture
def host() -> Institution:
    return InstitutionFactory.create(name="Université Paris-Saclay", country="FR")


@pytest.fixture
def mobility(student: User, host: Institution) -> Mobility:
    found: Mobility = EndedMobilityFactory.create(student=student, offer__agreement__partner=host)
    signed_agreement(found, a=TABLE_A, b=TABLE_B)
    standard("fr")
    return found


def _address(mobility: Mobility) -> str:
    return reverse("recognition:transcript_enter", args=[mobility.pk])


def _data(mobility: Mobility, office: Client, **changes: str) -> dict[str, Any]:
    """The enter form as the page offers it (table A prefilled, empty rows), with changes."""
    page = office.get(_address(mobility))
    formset = page.context["formset"]
    data: dict[str, Any] = {
        "action": "enter",
        "host_scale": str(standard("fr").pk),
        "received_on": "2027-07-01",
        "entries-TOTAL_FORMS": str(len(formset.forms)),
        "entries-INITIAL_FORMS": "0",
    }
    for index, form in enumerate(formset.forms):
        for name in ("component", "code", "title", "ects", "grade"):
            value = form.initial.get(name)
            data[f"entries-{index}-{name}"] = "" if value is None else str(value)
    data.update(changes)
    return data


def _problems(office: Client, mobility: Mobility, data: dict[str, Any]) -> list[str]:
    response = office.post(_address(mobility), data)
    assert response.status_code == 200
    assert not Transcript.objects.exists()
    return [str(problem) for problem in response.context["problems"]]


def test_a_row_error_of_the_form_and_a_bad_grade_arrive_together(
    mobility: Mobility, office: User
) -> None:
    client = logged_in(office)
    data = _data(
        mobility,
        client,
        **{"entries-0-ects": "999", "entries-0-grade": "14", "entries-1-grade": "25"},
    )
    problems = _problems(client, mobility, data)
    assert any(p.startswith("row 1: ECTS:") for p in problems), problems
    assert any(p.startswith("row 2 (FR102), grade: 25 is not a grade of") for p in problems), (
        problems
    )


def test_a_bad_date_a_duplicate_and_a_bad_grade_arrive_together(
    mobility: Mobility, office: User
) -> None:
    client = logged_in(office)
    data = _data(
        mobility,
        client,
        **{
            "received_on": "not a date",
            "entries-0-grade": "x",
            "entries-2-code": "FR101",
            "entries-2-grade": "12",
        },
    )
    problems = _problems(client, mobility, data)
    assert problems[0].startswith("Received on:"), problems
    assert any("row 1 (FR101), grade: 'x' is not a grade of" in p for p in problems), problems
    assert any("row 3 (FR101), code: row 1 already reports FR101" in p for p in problems), problems


def test_without_a_scale_the_rows_errors_still_show(mobility: Mobility, office: User) -> None:
    client = logged_in(office)
    data = _data(mobility, client, **{"host_scale": "", "entries-1-ects": "-3"})
    problems = _problems(client, mobility, data)
    assert (
        problems[0]
        == "Grading scale of the transcript: Choose the grading scale of the transcript."
    )
    assert any(p.startswith("row 2: ECTS:") for p in problems), problems


def test_a_good_transcript_is_still_saved(mobility: Mobility, office: User) -> None:
    client = logged_in(office)
    data = _data(mobility, client, **{"entries-0-grade": "14", "entries-1-grade": "8"})
    response = client.post(_address(mobility), data)
    assert response.status_code == 302
    assert Transcript.objects.get(mobility=mobility).entries.count() == 2
