import pytest
from django.test import Client

from abroad.catalogue.models import Institution
from abroad.core.models import AuditEvent
from abroad.people.enums import Role
from tests.factories import InstitutionFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_admin_changes_and_deletes_are_audited() -> None:
    office = UserFactory.create(role=Role.OFFICE)
    client = Client()
    client.force_login(office)
    institution = InstitutionFactory.create(name="Old name", country="NL", city="Delft")
    url = f"/office/admin/catalogue/institution/{institution.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"name": "New name", "country": "NL"})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    changed = AuditEvent.objects.get(action="institution.changed")
    assert (changed.actor, changed.object_id, changed.data) == (
        office,
        str(institution.pk),
        {"fields": ["name"], "via": "admin"},
    )

    delete_url = f"/office/admin/catalogue/institution/{institution.pk}/delete/"
    assert client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not Institution.objects.filter(pk=institution.pk).exists()
    deleted = AuditEvent.objects.get(action="institution.deleted")
    assert deleted.object_repr == "New name"
