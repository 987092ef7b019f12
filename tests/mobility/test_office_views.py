"""The office's mobility pages, under /mobility/office/: who may see what, the list with its
filters, pagination and CSV export, state changes, the host's signature, and constant query
counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from abroad.core.models import AuditEvent, Job
from abroad.mobility import views_office
from abroad.mobility.enums import DocumentKind, LearningAgreementState, MobilityKind, MobilityState
from abroad.mobility.models import Document, LearningAgreement, Mobility
from abroad.people.models import User
from tests.conftest import logged_in
from tests.factories import CourseOfStudyFactory, InstitutionFactory, PromoterFactory
from tests.jobs import exported, run_queued_jobs
from tests.mobility.factories import (
    PNG_BYTES,
    MobilityFactory,
    agreement_with_rows,
    coordinate,
    pdf_upload,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def mobility(student: User, promoter: User) -> Mobility:
    """The student's mobility, nominated; the promoter persona approves its agreements."""
    found: Mobility = MobilityFactory.create(
        student=student,
        state=MobilityState.NOMINATED,
        actual_start=None,
        planned_start=dt.date(2026, 9, 1),
        planned_end=dt.date(2027, 2, 28),
    )
    coordinate(found, promoter)
    return found


@pytest.fixture
def office_client(office: User) -> Client:
    return logged_in(office)


def url(name: str, *args: Any) -> str:
    return reverse(f"mobility:{name}", args=args)


def post(client: Client, address: str, data: dict[str, Any]) -> list[str]:
    """POST, follow the redirect, return the messages shown."""
    response = client.post(address, data, follow=True)
    assert response.status_code == 200
    return [str(message) for message in response.context["messages"]]


def statuses(
    personas: dict[str, Client], method: str, address: str, data: dict[str, Any] | None = None
) -> dict[str, int]:
    found = {}
    for name, client in personas.items():
        response: HttpResponse = getattr(client, method)(address, data or {})
        found[name] = response.status_code
    return found


# ---------------------------------------------------------------------------- who may see


def test_list_and_export_are_for_the_office(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    assert statuses(personas, "get", url("office_list")) == {
        "student": 404,
        "other_student": 404,
        "promoter": 404,
        "office": 200,
        "school_office": 200,
        "other_school_office": 200,  # the page, without the other School's mobilities
        "anonymous": 302,
    }
    # the export posts and makes a job, for the office only (its file: the next test)
    assert statuses(personas, "post", url("office_export")) == {
        "student": 404,
        "other_student": 404,
        "promoter": 404,
        "office": 302,
        "school_office": 302,
        "other_school_office": 302,  # a file without the other School's mobilities
        "anonymous": 302,
    }
    asked = Job.objects.values_list("requested_by__username", flat=True)
    assert sorted(asked) == ["office", "other-school-office", "school-office"]
    # a GET of the export makes nothing
    assert personas["office"].get(url("office_export")).status_code == 405
    assert Job.objects.count() == 3


def test_list_and_export_hold_the_offices_school_only(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    elsewhere = MobilityFactory.create(student__course_of_study=CourseOfStudyFactory.create())
    for name, expected in (
        ("office", {mobility.pk, elsewhere.pk}),
        ("school_office", {mobility.pk, elsewhere.pk}),
        ("other_school_office", set()),
    ):
        page = personas[name].get(url("office_list")).context["page"]
        assert {m.pk for m in page.object_list} == expected, name
        # made by the worker for who asked: within their School
        made = exported(personas[name], url("office_export")).getvalue().decode()
        assert (mobility.student.last_name in made) == bool(expected), name
    assert mobility.student.last_name


def test_mobility_page_permissions(personas: dict[str, Client], mobility: Mobility) -> None:
    bystander = logged_in(PromoterFactory.create().user)
    address = url("office_mobility", mobility.pk)
    assert statuses(personas, "get", address) == {
        "student": 404,  # sees the mobility, on the student's pages only
        "other_student": 404,
        "promoter": 404,  # approves its agreements, on the desk only
        "office": 200,
        "school_office": 200,
        "other_school_office": 404,  # another School's mobility: as if missing
        "anonymous": 302,
    }
    assert bystander.get(address).status_code == 404
    assert personas["office"].get(url("office_mobility", mobility.pk + 100)).status_code == 404


def test_actions_are_for_the_office(personas: dict[str, Client], mobility: Mobility) -> None:
    agreement = agreement_with_rows(mobility, state=LearningAgreementState.APPROVED)
    offices = ("office", "school_office")
    state = statuses(
        {k: v for k, v in personas.items() if k not in offices},
        "post",
        url("office_state", mobility.pk),
        {"state": MobilityState.APPLIED},
    )
    assert state == {
        "student": 404,
        "other_student": 404,
        "promoter": 404,
        "other_school_office": 404,
        "anonymous": 302,
    }
    signature = {
        name: client.post(
            url("host_signature", agreement.pk), {"signer": "Dr Smith", "file": pdf_upload()}
        ).status_code
        for name, client in personas.items()
        if name not in offices
    }
    assert signature == {
        "student": 404,
        "other_student": 404,
        "promoter": 404,
        "other_school_office": 404,
        "anonymous": 302,
    }
    mobility.refresh_from_db()
    agreement.refresh_from_db()
    assert (mobility.state, agreement.state) == (
        MobilityState.NOMINATED,
        LearningAgreementState.APPROVED,
    )
    assert Document.objects.count() == 0


# ---------------------------------------------------------------------------------- list


def test_list_filters(office_client: Client, mobility: Mobility) -> None:
    course = CourseOfStudyFactory.create(name="Architecture")
    french = MobilityFactory.create(
        student__last_name="Zanetti",
        student__student_number="Z77",
        student__course_of_study=course,
        host=InstitutionFactory.create(country="FR", name="Université Paris"),
        academic_year=2027,
        kind=MobilityKind.THESIS,
        state=MobilityState.ACCEPTED,
    )

    def rows(query: str) -> list[int]:
        response = office_client.get(url("office_list") + "?" + query)
        return [m.pk for m in response.context["page"].object_list]

    assert rows("") == [french.pk, mobility.pk]  # the latest academic year first
    assert rows("state=accepted") == [french.pk]
    assert rows("kind=semester") == [mobility.pk]
    assert rows("year=2026") == [mobility.pk]
    assert rows(f"course={course.pk}") == [french.pk]
    assert rows("country=FR") == [french.pk]
    assert rows("country=DE") == [mobility.pk]
    assert rows("q=zanet") == [french.pk]
    assert rows("q=Z77") == [french.pk]
    assert rows("year=1999") == [french.pk, mobility.pk]  # not a choice: no filter applied


def test_list_shows_latest_agreement_and_waiting_extension(
    office_client: Client, mobility: Mobility
) -> None:
    agreement_with_rows(mobility, state=LearningAgreementState.SIGNED)
    agreement_with_rows(mobility, number=2, state=LearningAgreementState.SUBMITTED)
    response = office_client.get(url("office_list"))
    (row,) = response.context["page"].object_list
    assert (row.la_number, row.la_state, row.extension_waiting) == (
        2,
        LearningAgreementState.SUBMITTED,
        False,
    )
    assert "v2: Signed by the student, waiting for the promoter" in response.content.decode()


def test_list_pagination(office_client: Client, settings: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(views_office, "PAGE_SIZE", 2)
    for _ in range(5):
        MobilityFactory.create(student__password="!")
    response = office_client.get(url("office_list") + "?page=3")
    page = response.context["page"]
    assert (page.number, page.paginator.num_pages, len(page.object_list)) == (3, 3, 1)


def test_export_is_the_filtered_list(office_client: Client, mobility: Mobility) -> None:
    agreement_with_rows(mobility, state=LearningAgreementState.APPROVED)
    MobilityFactory.create(state=MobilityState.COMPLETED)
    # the list's download posts its filters to the export, whose job makes the file
    export = url("office_export") + "?state=nominated"
    page = office_client.get(url("office_list") + "?state=nominated")
    assert f'action="{export}"' in page.content.decode()
    response = exported(office_client, export)
    event = AuditEvent.objects.get(action="mobilities.exported")
    assert (event.data["rows"], event.data["filters"]) == (1, {"state": "nominated"})
    assert event.actor_name == "office"
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="mobilities.csv"'
    text = response.getvalue().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    student = mobility.student
    assert rows == [
        {
            "Student": f"{student.last_name} {student.first_name}",
            "Student number": student.student_number,
            "E-mail": student.email,
            "Course of study": student.course_of_study.name,  # type: ignore[union-attr]
            "Host institution": mobility.host.name,
            "Host's Erasmus code": mobility.host.erasmus_code or "",
            "Host country": "Germany",
            "Academic year": "2026/2027",
            "Kind": "One semester",
            "State": "Nominated to the host",
            "Months": "6",
            "Planned start": "2026-09-01",
            "Planned end": "2027-02-28",
            "Arrival": "",
            "Departure": "",
            "Learning agreement version": "1",
            "Learning agreement state": "Approved by the promoter, waiting for the host",
            "Extension waiting": "no",
            "Origin": "test",
        }
    ]


# --------------------------------------------------------------------------- one mobility


def test_mobility_page_shows_state_buttons_and_signature_form(
    office_client: Client, mobility: Mobility
) -> None:
    approved = agreement_with_rows(mobility, state=LearningAgreementState.APPROVED)
    response = office_client.get(url("office_mobility", mobility.pk))
    context = response.context
    assert (context["next_state"], context["previous_state"], context["withdrawable"]) == (
        MobilityState.APPLIED,
        None,
        True,
    )
    page = response.content.decode()
    assert "Move to “Applied to the host”" in page
    assert url("host_signature", approved.pk) in page


def test_state_moves_one_step(office_client: Client, mobility: Mobility) -> None:
    assert post(office_client, url("office_state", mobility.pk), {"state": "applied"}) == [
        f"{mobility.student}'s mobility is now “Applied to the host”."
    ]
    mobility.refresh_from_db()
    assert mobility.state == MobilityState.APPLIED


def test_state_jump_is_refused(office_client: Client, mobility: Mobility) -> None:
    shown = post(
        office_client,
        url("office_state", mobility.pk),
        {"state": "completed", "left_on": "2027-02-20"},
    )
    assert shown == [
        "A mobility moves one step at a time: from “Nominated to the host” it can go to the "
        "next or the previous state only."
    ]
    mobility.refresh_from_db()
    assert (mobility.state, mobility.actual_end) == (MobilityState.NOMINATED, None)


def test_arrival_needs_its_date(office_client: Client, mobility: Mobility) -> None:
    Mobility.objects.filter(pk=mobility.pk).update(state=MobilityState.ACCEPTED)
    address = url("office_state", mobility.pk)
    assert post(office_client, address, {"state": "in_mobility"}) == ["Give the arrival date."]
    post(office_client, address, {"state": "in_mobility", "arrived_on": "2026-09-03"})
    mobility.refresh_from_db()
    assert (mobility.state, mobility.actual_start) == (
        MobilityState.IN_MOBILITY,
        dt.date(2026, 9, 3),
    )


def test_state_form_errors_name_the_field(office_client: Client, mobility: Mobility) -> None:
    shown = post(
        office_client,
        url("office_state", mobility.pk),
        {"state": "applied", "arrived_on": "yesterday"},
    )
    assert shown == ["Arrived on: Enter a valid date."]
    mobility.refresh_from_db()
    assert mobility.state == MobilityState.NOMINATED


def test_withdraw(office_client: Client, mobility: Mobility) -> None:
    post(office_client, url("office_state", mobility.pk), {"state": "withdrawn"})
    mobility.refresh_from_db()
    assert mobility.state == MobilityState.WITHDRAWN
    assert post(office_client, url("office_state", mobility.pk), {"state": "applied"}) == [
        "This mobility was withdrawn; it cannot change any more."
    ]


# -------------------------------------------------------------------------- host signature


def test_host_signature_signs_and_stores_the_document(
    office_client: Client, office: User, mobility: Mobility
) -> None:
    agreement = agreement_with_rows(mobility, state=LearningAgreementState.APPROVED)
    shown = post(
        office_client,
        url("host_signature", agreement.pk),
        {"signer": " Dr Jane Smith ", "file": pdf_upload("la-signed.pdf")},
    )
    assert shown == ["Version 1 is signed by all three; it is now the one in force."]
    agreement.refresh_from_db()
    document = Document.objects.get()
    assert (agreement.state, agreement.host_signer, agreement.host_document) == (
        LearningAgreementState.SIGNED,
        "Dr Jane Smith",
        document,
    )
    assert (document.mobility, document.kind, document.original_name, document.uploaded_by) == (
        mobility,
        DocumentKind.SIGNED_LA,
        "la-signed.pdf",
        office,
    )


def test_host_signature_only_for_an_approved_version(
    office_client: Client, mobility: Mobility
) -> None:
    agreement = agreement_with_rows(mobility, state=LearningAgreementState.SUBMITTED)
    shown = post(
        office_client,
        url("host_signature", agreement.pk),
        {"signer": "Dr Smith", "file": pdf_upload()},
    )
    assert shown == [
        "Version 1 is “Signed by the student, waiting for the promoter”: only a version approved "
        "by the promoter waits for the host's signature."
    ]
    agreement.refresh_from_db()
    assert agreement.state == LearningAgreementState.SUBMITTED
    assert Document.objects.count() == 0


def test_host_signature_refuses_a_wrong_file_and_a_missing_signer(
    office_client: Client, mobility: Mobility
) -> None:
    agreement = agreement_with_rows(mobility, state=LearningAgreementState.APPROVED)
    address = url("host_signature", agreement.pk)
    text = io.BytesIO(b"just text")
    text.name = "notes.txt"
    assert post(office_client, address, {"signer": "Dr Smith", "file": text}) == [
        "Only PDF, JPEG and PNG files are accepted."
    ]
    assert post(office_client, address, {"signer": "", "file": pdf_upload()}) == [
        "Signed at the host by: This field is required."
    ]
    agreement.refresh_from_db()
    assert agreement.state == LearningAgreementState.APPROVED
    assert Document.objects.count() == 0
    png = io.BytesIO(PNG_BYTES)
    png.name = "scan.png"
    post(office_client, address, {"signer": "Dr Smith", "file": png})
    agreement.refresh_from_db()
    assert agreement.state == LearningAgreementState.SIGNED


def test_host_signature_of_a_missing_version(office_client: Client) -> None:
    response = office_client.post(url("host_signature", 999), {"signer": "Dr Smith"})
    assert response.status_code == 404
    assert LearningAgreement.objects.count() == 0


# ---------------------------------------------------------------------------- query count


def fill(count: int) -> None:
    for index in range(count):
        found = MobilityFactory.create(student__password="!", academic_year=2026 + index % 2)
        agreement_with_rows(found, a=1, b=1, state=LearningAgreementState.SUBMITTED)


def list_queries(client: Client, address: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
    assert response.status_code == 200
    return response.context["page"].paginator.count, len(queries)


@pytest.mark.parametrize("query", ["", "?state=in_mobility&country=DE&q=Last"])
def test_list_query_count_does_not_grow(office_client: Client, query: str) -> None:
    fill(2)
    count, few = list_queries(office_client, url("office_list") + query)
    fill(6)
    more, many = list_queries(office_client, url("office_list") + query)
    assert (count, more, many) == (2, 8, few)


def test_export_query_count_does_not_grow(office_client: Client) -> None:
    """The worker's queries (the job's own bookkeeping included) do not grow with the rows."""
    fill(2)
    office_client.post(url("office_export"))
    with CaptureQueriesContext(connection) as few:
        run_queued_jobs()
    fill(6)
    office_client.post(url("office_export"))
    with CaptureQueriesContext(connection) as many:
        run_queued_jobs()
    job = Job.objects.order_by("created_at").last()
    assert job is not None
    response = office_client.get(reverse("job_file", args=[job.pk]))
    assert len(response.getvalue().decode("utf-8-sig").splitlines()) == 9
    assert len(many) == len(few)


def test_the_admin_lists_the_offices_school_only(
    personas: dict[str, Client], mobility: Mobility
) -> None:
    agreement_with_rows(mobility, state=LearningAgreementState.SUBMITTED)
    for model in ("mobility", "learningagreement"):
        address = f"/office/admin/mobility/{model}/"
        counts = {
            name: personas[name].get(address).context["cl"].result_count
            for name in ("office", "school_office", "other_school_office")
        }
        assert counts == {"office": 1, "school_office": 1, "other_school_office": 0}, model
    hidden = personas["other_school_office"].get(
        f"/office/admin/mobility/mobility/{mobility.pk}/change/"
    )
    assert hidden.status_code == 302  # the admin's "does not exist": back to its index
