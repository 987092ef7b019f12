"""The jobs facility (abroad.core.jobs) with the real database worker: a job that crashes is
tried again later and then marked failed; an export's file is kept privately and given only
to the person who asked and to their School's office; finished jobs and their files are
pruned by the scheduler."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from abroad.core import jobs, scheduled
from abroad.core.importing import Progress
from abroad.core.models import Job, JobState
from abroad.people.enums import Role
from abroad.people.models import User
from abroad.privacy.collect import collect
from tests.conftest import logged_in
from tests.core.test_mail_delivery import run_worker
from tests.factories import UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CRASHES: list[int] = []


def _export(job: Job, progress: Progress) -> jobs.Done:
    """A test export: crashes as many times as ``CRASHES`` says, then writes a file."""
    list(progress(range(10), total=10, desc="rows"))
    if len(CRASHES) < job.params.get("crashes", 0):
        CRASHES.append(1)
        raise ConnectionError("the database went away")
    return jobs.Done(file_name="list.csv", content=b"name\r\n'=1+1\r\n", rows=1)


@pytest.fixture(autouse=True)
def test_kind(settings: Any) -> Iterator[None]:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.JOBS_RETRY_SECONDS = 0
    settings.JOBS_MAX_ATTEMPTS = 3
    CRASHES.clear()
    jobs.register(jobs.Kind(name="tests.export", label="A list", run=_export))
    yield
    jobs.KINDS.pop("tests.export")


def test_a_crash_is_tried_again_and_the_file_is_kept_privately(office: User) -> None:
    job = jobs.submit("tests.export", requested_by=office, params={"crashes": 1})

    run_worker(max_tasks=1)
    job.refresh_from_db()
    assert job.state == JobState.QUEUED  # tried again later (JOBS_RETRY_SECONDS)
    assert job.attempts == 1
    assert "ConnectionError: the database went away" in job.error

    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert job.attempts == 2
    assert job.report == {"rows": 1}
    assert job.result_name == "list.csv"
    stored = Path(job.result.path)
    assert stored.is_relative_to(Path(settings.JOBS_ROOT))
    assert not stored.is_relative_to(Path(settings.MEDIA_ROOT))
    with pytest.raises(ValueError, match="no URL"):
        job.result.url  # noqa: B018 (a job's files are given through its page only)


def test_a_job_that_keeps_crashing_is_marked_failed(office: User) -> None:
    job = jobs.submit("tests.export", requested_by=office, params={"crashes": 5})
    run_worker()
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.attempts == 3
    assert job.finished_at is not None
    page = logged_in(office).get(reverse("job", args=[job.pk])).content.decode()
    assert 'data-state="failed"' in page
    assert "The job failed and nothing was changed." in page
    assert "ConnectionError" not in page  # the error is the operator's, in the log


def test_who_sees_the_job_and_downloads_its_file(
    personas: dict[str, Client], school_office: User
) -> None:
    """The person who asked and the office of their School (and the whole university's
    office); another School's office, students, promoters: 404; anonymous: the log-in."""
    job = jobs.submit("tests.export", requested_by=school_office)
    assert job.school_id == school_office.office_school_id
    run_worker()
    colleague = UserFactory.create(
        username="colleague", role=Role.OFFICE, office_school=school_office.office_school
    )
    clients = {**personas, "same_school_colleague": logged_in(colleague)}
    page = reverse("job", args=[job.pk])
    download = reverse("job_file", args=[job.pk])
    seen = {name: client.get(page).status_code for name, client in clients.items()}
    files = {name: client.get(download) for name, client in clients.items()}
    expected = {
        "student": 404,
        "other_student": 404,
        "promoter": 404,
        "office": 200,
        "school_office": 200,  # who asked
        "same_school_colleague": 200,
        "other_school_office": 404,
        "anonymous": 302,
    }
    assert seen == expected
    assert {name: response.status_code for name, response in files.items()} == expected
    assert files["anonymous"]["Location"].startswith("/accounts/login/")
    assert files["school_office"]["Content-Disposition"] == 'attachment; filename="list.csv"'
    assert files["school_office"].getvalue() == b"name\r\n'=1+1\r\n"
    assert download in clients["school_office"].get(page).content.decode()


def test_a_scoped_office_never_sees_a_job_of_the_whole_university(
    personas: dict[str, Client], office: User
) -> None:
    job = jobs.submit("tests.export", requested_by=office)
    assert job.school_id is None
    run_worker()
    page = reverse("job", args=[job.pk])
    assert personas["office"].get(page).status_code == 200
    assert personas["school_office"].get(page).status_code == 404
    assert personas["other_school_office"].get(page).status_code == 404


def test_the_scheduler_prunes_finished_jobs_and_their_files(office: User) -> None:
    old = jobs.submit(
        "tests.export", requested_by=office, upload=SimpleUploadedFile("in.csv", b"a\n")
    )
    run_worker()
    waiting = jobs.submit("tests.export", requested_by=office)
    old.refresh_from_db()
    files = [Path(old.upload.path), Path(old.result.path)]
    assert all(path.exists() for path in files)
    Job.objects.filter(pk=old.pk).update(finished_at=timezone.now() - dt.timedelta(days=8))

    run = scheduled.run()

    assert run.report["core.jobs_prune"] == 1
    assert list(Job.objects.values_list("pk", flat=True)) == [waiting.pk]
    assert not any(path.exists() for path in files)


def test_an_unknown_kind_is_refused_when_asked(office: User) -> None:
    with pytest.raises(KeyError):
        jobs.submit("tests.nothing", requested_by=office)


def test_a_job_is_not_in_the_askers_personal_data(office: User) -> None:
    """What a job holds is the office's work (here an export of other people's records), not
    data about the person who asked: their privacy export leaves it out."""
    jobs.submit("tests.export", requested_by=office)
    run_worker()
    assert Job not in collect(office).rows


def test_a_job_whose_task_was_lost_is_handed_to_the_worker_again(office: User) -> None:
    """A job still waiting with no task for it (the process stopped between the commit and
    the enqueueing) is enqueued again by run-scheduled; one with its task waiting is not."""
    lost = Job.objects.create(kind="tests.export", requested_by=office, language="en")
    waiting = jobs.submit("tests.export", requested_by=office)
    long_ago = timezone.now() - dt.timedelta(minutes=settings.MAIL_STRANDED_MINUTES + 1)
    Job.objects.update(updated_at=long_ago)

    run = scheduled.run()

    assert run.report["core.jobs"] == 1
    run_worker()
    states = dict(Job.objects.values_list("pk", "state"))
    assert states == {lost.pk: JobState.DONE, waiting.pk: JobState.DONE}
    assert scheduled.run().report["core.jobs"] == 0


def test_a_job_left_running_by_a_stopped_worker_is_run_again_then_failed(office: User) -> None:
    """A job "running" that nothing touched for JOBS_STALE_MINUTES lost its worker: the
    scheduler hands it to the worker again while it has attempts left, and marks it failed
    after its last one; a job running recently is left alone."""
    stale_at = timezone.now() - dt.timedelta(minutes=settings.JOBS_STALE_MINUTES + 1)
    lost = Job.objects.create(
        kind="tests.export",
        requested_by=office,
        language="en",
        state=JobState.RUNNING,
        attempts=1,
    )
    spent = Job.objects.create(
        kind="tests.export",
        requested_by=office,
        language="en",
        state=JobState.RUNNING,
        attempts=settings.JOBS_MAX_ATTEMPTS,
    )
    Job.objects.update(updated_at=stale_at)
    busy = Job.objects.create(
        kind="tests.export",
        requested_by=office,
        language="en",
        state=JobState.RUNNING,
        attempts=1,
    )

    assert scheduled.run().report["core.jobs_stale"] == 2
    run_worker()

    lost.refresh_from_db()
    spent.refresh_from_db()
    busy.refresh_from_db()
    assert (lost.state, lost.attempts, lost.result_name) == (JobState.DONE, 2, "list.csv")
    assert spent.state == JobState.FAILED
    assert spent.error == "The worker stopped while it ran this job."
    assert spent.finished_at is not None
    assert busy.state == JobState.RUNNING  # its worker may well be at it
    assert scheduled.run().report["core.jobs_stale"] == 0
