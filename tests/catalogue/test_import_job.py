"""The agreements import as a background job, for real: the page stores the upload and
enqueues the job in django-tasks' database queue, the database worker (``db_worker``, run here
in the test) imports the file, and the job's page shows the report the page used to show. A
bad row leaves nothing written and is named; a rolled-back request enqueues nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from abroad.catalogue.jobs import AGREEMENTS_IMPORT
from abroad.catalogue.models import Agreement, Offer
from abroad.core import jobs
from abroad.core.models import Job, JobState
from abroad.people.enums import Role
from abroad.people.models import User
from tests.catalogue.test_import_agreements import GOOD_ROWS, with_cell, write_csv
from tests.conftest import logged_in
from tests.core.test_mail_delivery import run_worker
from tests.factories import UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

IMPORT_URL = "admin:catalogue_agreement_import"


@pytest.fixture
def queue(settings: Any) -> None:
    """The queue of a real installation: django-tasks' database backend."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.JOBS_RETRY_SECONDS = 0


@pytest.fixture
def office_staff() -> tuple[User, Client]:
    user: User = UserFactory.create(username="imu", role=Role.OFFICE, is_staff=True, password="!")
    return user, logged_in(user)


def post(client: Client, path: Path) -> Any:
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    return client.post(reverse(IMPORT_URL), {"file": upload})


def test_the_upload_enqueues_the_worker_imports_and_the_page_shows_the_report(
    queue: None,
    office_staff: tuple[User, Client],
    agreement_refs: dict[str, Any],
    tmp_path: Path,
) -> None:
    user, client = office_staff
    response = post(client, write_csv(tmp_path / "agreements.csv", GOOD_ROWS))

    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("job", args=[job.pk])
    assert job.state == JobState.QUEUED
    assert job.requested_by == user
    assert job.upload_name == "agreements.csv"
    assert not Agreement.objects.exists()  # the request only enqueued
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    waiting = client.get(response["Location"]).content.decode()
    assert 'data-state="queued"' in waiting
    assert '<meta http-equiv="refresh"' in waiting  # the page reloads itself, no script

    run_worker()

    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert job.attempts == 1
    assert job.progress == 100
    assert job.report["counts"]["agreements_created"] == 2
    assert Agreement.objects.count() == 2
    assert Agreement.objects.get(code="DELFT-1").offers.count() == 2
    page = client.get(response["Location"]).content.decode()
    assert 'data-state="done"' in page
    assert '<meta http-equiv="refresh"' not in page
    assert "Imported:" in page
    assert "DELFT-1" in page
    assert "ETH-IDEA" in page


def test_a_bad_row_leaves_nothing_written_and_the_report_names_it(
    queue: None,
    office_staff: tuple[User, Client],
    agreement_refs: dict[str, Any],
    tmp_path: Path,
) -> None:
    _user, client = office_staff
    rows = with_cell("seats", "three", row=2)
    response = post(client, write_csv(tmp_path / "agreements.csv", rows))

    run_worker()

    job = Job.objects.get()
    assert job.state == JobState.DONE  # the job ran; the file was refused
    assert not job.report["imported"]
    assert job.report["errors"] == [
        {
            "line": 4,
            "column": "seats",
            "message": "'three' is not a whole number between 1 and 200",
        }
    ]
    assert not Agreement.objects.exists()
    assert not Offer.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "Nothing was imported: the file has 1 problem." in page
    assert "&#x27;three&#x27; is not a whole number between 1 and 200" in page


def test_a_rolled_back_request_enqueues_nothing(
    queue: None, office_staff: tuple[User, Client], tmp_path: Path
) -> None:
    user, _client = office_staff
    upload = SimpleUploadedFile("agreements.csv", b"agreement_code\n")

    def ask_then_fail() -> None:
        with transaction.atomic():
            jobs.submit(AGREEMENTS_IMPORT, requested_by=user, upload=upload)
            raise RuntimeError("the request failed after asking")

    with pytest.raises(RuntimeError):
        ask_then_fail()
    assert not Job.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_a_check_stays_in_the_request_and_enqueues_nothing(
    queue: None,
    office_staff: tuple[User, Client],
    agreement_refs: dict[str, Any],
    tmp_path: Path,
) -> None:
    _user, client = office_staff
    path = write_csv(tmp_path / "agreements.csv", GOOD_ROWS)
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    response = client.post(reverse(IMPORT_URL), {"file": upload, "dry_run": "on"})
    assert response.status_code == 200
    assert "The file is correct. Importing it would do this:" in response.content.decode()
    assert not Job.objects.exists()
    assert not DBTaskResult.objects.exists()
    assert not Agreement.objects.exists()


def test_the_report_is_in_the_language_of_who_asked(
    queue: None,
    office_staff: tuple[User, Client],
    agreement_refs: dict[str, Any],
    tmp_path: Path,
) -> None:
    """The worker renders the report in the language the request was in (Italian here),
    whatever language the worker runs in."""
    _user, client = office_staff
    path = write_csv(tmp_path / "agreements.csv", with_cell("seats", "three"))
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    response = client.post(reverse(IMPORT_URL), {"file": upload}, HTTP_ACCEPT_LANGUAGE="it")
    assert Job.objects.get().language == "it"

    run_worker()

    html = Job.objects.get().report["html"]
    assert "Non è stato importato nulla: il file ha 1 problema." in html
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "Non è stato importato nulla: il file ha 1 problema." in page
