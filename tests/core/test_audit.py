import pytest

from abroad.core import audit
from abroad.core.models import AuditEvent, AuditLogIsAppendOnly
from tests.factories import InstitutionFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_record_stores_actor_object_and_details() -> None:
    user = UserFactory()
    institution = InstitutionFactory(name="TU Delft")
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
