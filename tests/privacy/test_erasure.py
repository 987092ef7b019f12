"""Erasure by pseudonymisation: identity gone, free text blanked, files deleted except legal
records, statistics unchanged; refused while something is in progress; idempotent; audited;
only the office."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db.models import Count

from abroad.core.audit import record
from abroad.core.models import AuditEvent
from abroad.mobility.enums import MobilityState
from abroad.mobility.models import Document, ExtensionRequest, Mobility
from abroad.networks.models import AthensApplication
from abroad.people.models import User
from abroad.privacy.erasure import PrivacyError, erase_person, is_erased
from abroad.selection.enums import AssignmentState
from abroad.selection.models import Application
from tests.mobility.factories import DocumentFactory, MobilityFactory
from tests.networks.factories import in_days
from tests.privacy.conftest import Record
from tests.selection.factories import ApplicationFactory, AssignmentFactory, CallFactory

pytestmark = pytest.mark.integration


def statistics() -> list[dict[str, Any]]:
    return list(
        Mobility.objects.values("student__course_of_study", "host__country", "academic_year")
        .annotate(count=Count("id"))
        .order_by("student__course_of_study", "host__country", "academic_year")
    )


def test_erasure_replaces_every_identifying_field(owner: Record, office: User) -> None:
    person = owner.person
    course = person.course_of_study

    report = erase_person(actor=office, person=person)

    person.refresh_from_db()
    assert report.changed
    assert person.username == f"erased-{person.pk}"
    assert (person.first_name, person.last_name, person.email) == ("", "", "")
    assert person.student_number == ""
    assert person.last_login is None
    assert not person.is_active
    assert not person.has_usable_password()
    assert person.course_of_study == course
    assert str(person) == f"erased-{person.pk}"
    assert is_erased(person)


def test_erasure_blanks_the_free_text_the_person_wrote(
    owner: Record, others: Record, office: User
) -> None:
    document = DocumentFactory.create(mobility=owner.mobility)
    end = owner.mobility.planned_end
    assert end is not None
    ExtensionRequest.objects.create(
        mobility=owner.mobility,
        current_end=end,
        requested_end=end + dt.timedelta(days=30),
        months_before=6,
        months_after=7,
        reason="My personal reasons",
        form=document,
    )

    report = erase_person(actor=office, person=owner.person)

    assert report.texts == 2
    assert AthensApplication.objects.get(pk=owner.athens.pk).motivation == ""
    assert ExtensionRequest.objects.get(mobility=owner.mobility).reason == ""
    assert AthensApplication.objects.get(pk=others.athens.pk).motivation != ""


def test_erasure_keeps_legal_records_and_deletes_other_files(
    owner: Record, others: Record, office: User, django_capture_on_commit_callbacks: Any
) -> None:
    kept = owner.document.file.name
    with django_capture_on_commit_callbacks(execute=True):
        erase_person(actor=office, person=owner.person)
    assert default_storage.exists(kept)

    # The other student's mobility has neither a signed agreement nor a validated recognition.
    removed = others.document.file.name
    with django_capture_on_commit_callbacks(execute=True):
        report = erase_person(actor=office, person=others.person)

    assert report.files_deleted == 1
    assert not default_storage.exists(removed)
    assert not Document.objects.filter(mobility=others.mobility).exclude(file="").exists()


def test_erasure_keeps_the_statistics(owner: Record, others: Record, office: User) -> None:
    before = statistics()
    applications = Application.objects.count()

    erase_person(actor=office, person=owner.person)
    erase_person(actor=office, person=others.person)

    assert statistics() == before
    assert Application.objects.count() == applications


def test_erasure_is_audited_and_idempotent(owner: Record, office: User) -> None:
    erase_person(actor=office, person=owner.person)
    again = erase_person(actor=office, person=owner.person)

    assert not again.changed
    events = AuditEvent.objects.filter(action="privacy.erased")
    assert events.count() == 1
    event = events.get()
    assert event.actor == office
    assert event.object_repr == f"erased-{owner.person.pk}"


def test_erasure_is_refused_during_a_mobility(owner: Record, office: User) -> None:
    MobilityFactory.create(student=owner.person, state=MobilityState.IN_MOBILITY)

    with pytest.raises(PrivacyError, match="mobility in progress"):
        erase_person(actor=office, person=owner.person)

    owner.person.refresh_from_db()
    assert owner.person.username == "student"
    assert not AuditEvent.objects.filter(action="privacy.erased").exists()


def test_erasure_is_refused_with_an_open_application(owner: Record, office: User) -> None:
    ApplicationFactory.create(student=owner.person, call=CallFactory.create(closes_at=in_days(5)))

    with pytest.raises(PrivacyError, match="open application"):
        erase_person(actor=office, person=owner.person)


def test_erasure_is_refused_while_a_seat_waits_for_an_answer(owner: Record, office: User) -> None:
    call = CallFactory.create(opens_at=in_days(-60), closes_at=in_days(-30))
    AssignmentFactory.create(
        application=ApplicationFactory.create(student=owner.person, call=call),
        round__call=call,
        round__acceptance_deadline=in_days(3),
        call_offer__call=call,
        state=AssignmentState.OFFERED,
    )

    with pytest.raises(PrivacyError, match="offered a seat"):
        erase_person(actor=office, person=owner.person)


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [
        ("student", False),
        ("other_student", False),
        ("promoter", False),
        ("office", True),
        (None, True),
    ],
)
def test_erasure_service_actors(
    actor: str | None, allowed: bool, owner: Record, request: pytest.FixtureRequest
) -> None:
    user: User | None = request.getfixturevalue(actor) if actor else None
    if allowed:
        assert erase_person(actor=user, person=owner.person).changed
    else:
        with pytest.raises(PermissionDenied):
            erase_person(actor=user, person=owner.person)
        owner.person.refresh_from_db()
        assert not is_erased(owner.person)


def test_the_office_cannot_erase_itself(office: User) -> None:
    with pytest.raises(PermissionDenied):
        erase_person(actor=office, person=office)


def test_erasure_redacts_the_names_in_the_audit_log_and_keeps_what_happened(
    owner: Record, office: User
) -> None:
    person = owner.person
    old_username, old_name = person.username, person.get_full_name()
    record(actor=person, action="mobility.document_uploaded", obj=owner.mobility)
    record(actor=office, action="mobility.approved", obj=owner.mobility)
    record(actor=office, action="user.changed", obj=person)
    before = list(
        AuditEvent.objects.order_by("id").values_list(
            "id", "created_at", "action", "actor_id", "object_type", "object_id", "data"
        )
    )

    erase_person(actor=office, person=person)

    pseudonym = f"erased-{person.pk}"
    by_person = AuditEvent.objects.filter(actor_id=person.pk)
    assert set(by_person.values_list("actor_name", flat=True)) == {pseudonym}
    about_mobility = AuditEvent.objects.filter(
        object_type="mobility.mobility", object_id=str(owner.mobility.pk)
    )
    assert set(about_mobility.values_list("object_repr", flat=True)) == {""}
    about_account = AuditEvent.objects.filter(object_type="people.user", object_id=str(person.pk))
    assert set(about_account.values_list("object_repr", flat=True)) == {pseudonym}
    for event in AuditEvent.objects.all():
        assert old_username not in (event.actor_name, event.object_repr)
        assert not old_name or old_name not in event.object_repr
    # what happened is as it was (the erasure's own event added)
    after = list(
        AuditEvent.objects.order_by("id").values_list(
            "id", "created_at", "action", "actor_id", "object_type", "object_id", "data"
        )
    )
    assert after[: len(before)] == before
    assert [row[2] for row in after[len(before) :]] == ["privacy.erased"]
    # and a second erasure has nothing left to do
    assert not erase_person(actor=office, person=person).changed
