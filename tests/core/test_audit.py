import os

import pytest
from django.db import DatabaseError, connection, transaction

from abroad.core import audit
from abroad.core.models import AuditEvent, AuditLogIsAppendOnly
from tests.factories import InstitutionFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_record_stores_actor_object_and_details() -> None:
    user = UserFactory.create()
    institution = InstitutionFactory.create(name="TU Delft")
    event = audit.record(actor=user, action="institution.updated", obj=institution, city="Delft")
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor == user
    assert stored.action == "institution.updated"
    assert stored.object_type == "catalogue.institution"
    assert stored.object_id == str(institution.pk)
    assert stored.object_repr == "TU Delft"
    assert stored.data == {"city": "Delft"}
    assert list(audit.history(institution)) == [stored]


def test_record_without_user_is_the_system() -> None:
    event = audit.record(actor=None, action="import.finished", rows=3)
    assert event.actor is None
    assert event.data == {"rows": 3}


def test_events_cannot_be_changed() -> None:
    event = audit.record(actor=None, action="x")
    event.action = "y"
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "x"


def test_events_cannot_be_deleted_one_by_one_or_in_bulk() -> None:
    event = audit.record(actor=None, action="x")
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.update(action="z")
    assert AuditEvent.objects.count() == 1


def test_deleting_a_user_keeps_who_acted_on_its_events() -> None:
    user = UserFactory.create(username="ada")
    event = audit.record(actor=user, action="institution.updated")
    user_id = user.pk
    user.delete()
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor_id, stored.actor_name) == (user_id, "ada")
    assert stored.action == "institution.updated"


def test_the_database_refuses_to_change_an_event() -> None:
    event = audit.record(actor=None, action="x")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET action = 'y' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "x"


@pytest.mark.skipif(
    not os.environ.get("ABROAD_DATABASE_URL"), reason="the delete trigger is PostgreSQL's"
)
def test_the_database_refuses_to_delete_an_event_on_postgresql() -> None:
    event = audit.record(actor=None, action="x")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_database_lets_names_be_redacted_and_nothing_else() -> None:
    user = UserFactory.create(username="ada")
    event = audit.record(actor=user, action="x", obj=user)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET actor_name = 'erased-1', object_repr = '' WHERE id = %s",
            [event.pk],
        )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor_name, stored.object_repr, stored.action) == ("erased-1", "", "x")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET actor_name = 'y', action = 'y' WHERE id = %s", [event.pk]
        )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET actor_id = NULL WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).actor_id == user.pk


def test_redact_names_changes_only_the_names() -> None:
    user = UserFactory.create(username="ada")
    other = UserFactory.create(username="grace")
    mine = audit.record(actor=user, action="a", obj=other)
    about = audit.record(actor=other, action="b", obj=user)
    untouched = audit.record(actor=other, action="c", obj=other)
    institution = InstitutionFactory.create(name="Ada's notes")
    owned = audit.record(actor=other, action="d", obj=institution)
    objects = [("catalogue.institution", str(institution.pk))]
    assert audit.redact_names(actor_id=user.pk, pseudonym="erased-1", objects=objects) == 3
    assert AuditEvent.objects.get(pk=mine.pk).actor_name == "erased-1"
    assert AuditEvent.objects.get(pk=mine.pk).object_repr == str(other)
    assert AuditEvent.objects.get(pk=about.pk).object_repr == "erased-1"
    assert AuditEvent.objects.get(pk=owned.pk).object_repr == ""
    assert AuditEvent.objects.get(pk=untouched.pk).object_repr == str(other)
    assert audit.redact_names(actor_id=user.pk, pseudonym="erased-1", objects=objects) == 0
