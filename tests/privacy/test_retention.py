"""The retention rules and ``apply-retention``: replaced documents, expired records,
inactive students; a dry run changes nothing; every step audited."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from abroad.core.models import AuditEvent
from abroad.mobility.models import Document, Mobility
from abroad.networks.models import AthensApplication
from abroad.people.models import User
from abroad.privacy.erasure import is_erased
from abroad.privacy.retention import apply_retention, months_before
from abroad.selection.models import Application
from tests.mobility.factories import DocumentFactory
from tests.privacy.conftest import Record

pytestmark = pytest.mark.integration


@pytest.fixture
def old(owner: Record) -> Record:
    """The owner's mobility ended twelve years ago, their last activity eleven years ago; one
    of its documents was replaced a year ago."""
    long_ago = timezone.now() - dt.timedelta(days=365 * 11)
    Mobility.objects.filter(pk=owner.mobility.pk).update(
        actual_end=(timezone.now() - dt.timedelta(days=365 * 12)).date()
    )
    User.objects.filter(pk=owner.person.pk).update(date_joined=long_ago, last_login=long_ago)
    Application.objects.filter(student=owner.person).update(updated_at=long_ago)
    AthensApplication.objects.filter(student=owner.person).update(updated_at=long_ago)
    owner.person.refresh_from_db()
    return owner


@pytest.fixture
def replaced(others: Record) -> Document:
    document = DocumentFactory.create(mobility=others.mobility)
    Document.objects.filter(pk=document.pk).update(
        replaced_at=timezone.now() - dt.timedelta(days=365)
    )
    return document


def run(*args: str) -> str:
    out = StringIO()
    call_command("apply-retention", *args, stdout=out)
    return out.getvalue()


def snapshot() -> tuple[Any, ...]:
    return (
        sorted(Document.objects.values_list("pk", "file")),
        sorted(User.objects.values_list("pk", "username", "email", "is_active")),
        AuditEvent.objects.count(),
    )


def test_dry_run_reports_and_changes_nothing(old: Record, replaced: Document) -> None:
    before = snapshot()

    output = run("--dry-run")

    assert snapshot() == before
    assert f"would delete document {replaced.pk}" in output
    assert f"would delete document {old.document.pk}" in output
    assert f"would pseudonymise user {old.person.pk}" in output
    assert default_storage.exists(replaced.file.name)


def test_retention_deletes_expired_documents_and_erases_inactive_students(
    old: Record, replaced: Document, others: Record, django_capture_on_commit_callbacks: Any
) -> None:
    names = [old.document.file.name, replaced.file.name]

    with django_capture_on_commit_callbacks(execute=True):
        output = run()

    assert f"did delete document {replaced.pk}" in output
    assert f"did pseudonymise user {old.person.pk}" in output
    assert not any(default_storage.exists(name) for name in names)
    old.person.refresh_from_db()
    assert is_erased(old.person)
    others.person.refresh_from_db()
    assert not is_erased(others.person)
    assert default_storage.exists(others.document.file.name)
    deleted = AuditEvent.objects.filter(action="privacy.document_deleted")
    assert {event.data["rule"] for event in deleted} == {"replaced", "records"}
    assert deleted.count() == 2
    assert AuditEvent.objects.filter(action="privacy.erased", actor=None).count() == 1


def test_retention_again_does_nothing(old: Record, replaced: Document) -> None:
    run()
    events = AuditEvent.objects.count()

    output = run()

    assert AuditEvent.objects.count() == events
    assert "Deleted 0 replaced and 0 expired documents" in output


def test_a_rule_set_to_zero_is_off(old: Record, replaced: Document, settings: Any) -> None:
    settings.RETENTION_RECORDS_YEARS = 0
    settings.RETENTION_REPLACED_DOCUMENTS_MONTHS = 0
    settings.RETENTION_INACTIVE_YEARS = 0

    report = apply_retention(dry_run=True)

    assert report.lines == []


def test_recent_students_are_kept(owner: Record, others: Record) -> None:
    report = apply_retention(dry_run=True)

    assert report.erased == []
    assert report.record_documents == []


@pytest.mark.parametrize("actor", ["student", "other_student", "promoter", "office"])
def test_only_administrators_apply_retention(actor: str, request: pytest.FixtureRequest) -> None:
    user: User = request.getfixturevalue(actor)
    with pytest.raises(PermissionDenied):
        apply_retention(actor=user, dry_run=True)


def test_an_administrator_may_apply_retention(db: None) -> None:
    admin = User.objects.create(username="admin", role="admin")

    assert apply_retention(actor=admin, dry_run=True).lines == []


@pytest.mark.unit
def test_months_before_keeps_the_day_or_the_month_end() -> None:
    moment = dt.datetime(2026, 3, 31, 12, tzinfo=dt.UTC)
    assert months_before(moment, 1) == dt.datetime(2026, 2, 28, 12, tzinfo=dt.UTC)
    assert months_before(moment, 12) == dt.datetime(2025, 3, 31, 12, tzinfo=dt.UTC)
    assert months_before(moment, 3) == dt.datetime(2025, 12, 31, 12, tzinfo=dt.UTC)
