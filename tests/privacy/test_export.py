"""The export: every app's rows of the person and their files, nothing of anybody else;
bounded; audited; only the person or the office."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from abroad.core.models import AuditEvent
from abroad.people.models import User
from abroad.privacy.collect import collect
from abroad.privacy.export import export_person
from tests.privacy.conftest import Record, full_record

pytestmark = pytest.mark.integration


def archive_of(person: User, actor: User | None = None) -> zipfile.ZipFile:
    out = io.BytesIO()
    export_person(actor=actor if actor is not None else person, person=person, out=out)
    out.seek(0)
    return zipfile.ZipFile(out)


def data_of(archive: zipfile.ZipFile) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(archive.read("data.json"))
    return data


def rows_by_model(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {group["model"]: group["rows"] for group in data["records"]}


def test_export_holds_the_rows_of_every_app_and_the_files(owner: Record, others: Record) -> None:
    archive = archive_of(owner.person)
    data = data_of(archive)
    rows = rows_by_model(data)

    for model in (
        "people.user",
        "people.studentcareer",
        "people.languagecertificate",
        "people.passedcourse",
        "selection.application",
        "selection.preference",
        "selection.assignment",
        "networks.athensapplication",
        "mobility.mobility",
        "mobility.document",
        "mobility.learningagreement",
        "mobility.component",
        "recognition.transcript",
        "recognition.transcriptentry",
    ):
        assert rows.get(model), model
    assert rows["people.user"][0]["fields"]["student_number"] == "100234"
    assert "password" not in rows["people.user"][0]["fields"]
    assert [row["pk"] for row in rows["mobility.mobility"]] == [owner.mobility.pk]
    assert rows["networks.athensapplication"][0]["fields"]["motivation"] == "Motivation of student"
    groups = {group["model"]: group for group in data["records"]}
    assert groups["mobility.mobility"]["verbose_name"] == "mobility"
    assert groups["mobility.mobility"]["labels"]["host"] == "host institution"
    assert data["truncated"] is False
    assert {event["action"] for event in data["audit_events"]} >= {"test.did_something"}

    document_files = [name for name in archive.namelist() if name.startswith("documents/")]
    assert len(document_files) == 1
    assert archive.read(document_files[0]) == owner.document.file.open("rb").read()
    assert data["files"] == document_files

    index = archive.read("index.html").decode()
    assert "Mobilities" in index
    assert "Host institution" in index
    assert "Motivation of student" in index
    assert owner.mobility.actual_end is not None
    assert owner.mobility.actual_end.strftime("%Y") in index
    assert "+00:00" not in index
    assert "<link" not in index
    assert "<script" not in index


def test_export_holds_nothing_of_another_student(owner: Record, others: Record) -> None:
    archive = archive_of(owner.person)
    text = archive.read("data.json").decode() + archive.read("index.html").decode()
    data = data_of(archive)

    assert "other-student" not in text
    assert "100999" not in text
    assert "Motivation of other-student" not in text
    for group in data["records"]:
        for row in group["rows"]:
            fields = row["fields"]
            assert fields.get("student") in (None, owner.person.pk), group["model"]
    mobility_ids = {row["pk"] for row in rows_by_model(data)["mobility.mobility"]}
    assert others.mobility.pk not in mobility_ids


def test_export_is_audited(owner: Record) -> None:
    archive_of(owner.person)

    event = AuditEvent.objects.get(action="privacy.exported")
    assert event.actor == owner.person
    assert event.object_id == str(owner.person.pk)
    assert event.data["files"] == 1
    assert event.data["truncated"] is False


def test_export_is_capped(owner: Record) -> None:
    holding = collect(owner.person, limit=5)

    assert holding.truncated
    assert holding.count <= 5


def test_export_of_an_office_user_holds_none_of_the_students_it_handled(
    owner: Record, office: User
) -> None:
    owner.document.uploaded_by = office
    owner.document.save()

    holding = collect(office)

    assert holding.rows == {}


def test_collect_queries_do_not_grow_with_the_rows(student: User, other_student: User) -> None:
    full_record(student)
    with CaptureQueriesContext(connection) as one:
        collect(student)
    full_record(other_student)
    extra = full_record(User.objects.create(username="third"))
    # The same person with two more mobilities: same number of queries.
    extra.mobility.student = student
    extra.mobility.save()
    with CaptureQueriesContext(connection) as more:
        collect(student)
    assert len(more) == len(one)


def test_export_queries_are_bounded(student: User) -> None:
    full_record(student)
    with CaptureQueriesContext(connection) as one:
        archive_of(student)
    extra = full_record(User.objects.create(username="third"))
    extra.mobility.student = student
    extra.mobility.save()
    with CaptureQueriesContext(connection) as more:
        archive_of(student)
    assert len(more) == len(one)


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [("student", True), ("other_student", False), ("promoter", False), ("office", True)],
)
def test_export_service_actors(
    actor: str, allowed: bool, owner: Record, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(actor)
    if allowed:
        archive_of(owner.person, actor=user)
    else:
        with pytest.raises(PermissionDenied):
            archive_of(owner.person, actor=user)
        assert not AuditEvent.objects.filter(action="privacy.exported").exists()
