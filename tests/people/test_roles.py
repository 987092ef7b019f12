import pytest
from django.test import Client

from abroad.people.enums import Role
from tests.factories import UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_office_role_opens_the_admin_with_catalogue_permissions() -> None:
    office = UserFactory.create(role=Role.OFFICE)
    assert office.is_staff
    assert office.has_perm("catalogue.change_agreement")
    assert office.has_perm("catalogue.add_institution")
    assert office.has_perm("people.change_user")
    assert not office.has_perm("people.delete_user")
    client = Client()
    client.force_login(office)
    assert client.get("/office/admin/catalogue/agreement/").status_code == 200
    assert client.get("/office/admin/catalogue/institution/add/").status_code == 200


@pytest.mark.parametrize("role", [Role.STUDENT, Role.PROMOTER])
def test_students_and_promoters_have_no_admin(role: Role) -> None:
    user = UserFactory.create(role=role)
    assert not user.is_staff
    assert not user.has_perm("catalogue.change_agreement")
    client = Client()
    client.force_login(user)
    response = client.get("/office/admin/catalogue/agreement/")
    assert response.status_code == 302
    assert response["Location"].startswith("/office/admin/login/")


def test_admin_role_may_delete_users() -> None:
    assert UserFactory.create(role=Role.ADMIN).has_perm("people.delete_user")
