"""The office manages students' and promoters' accounts, never privileges, other people's
passwords or staff accounts (issue 13, item 1: an office user could make itself superuser)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client, RequestFactory

from abroad.core.models import AuditEvent
from abroad.people.admin import PRIVILEGED_FIELDS
from abroad.people.enums import Role
from abroad.people.models import User
from tests.factories import UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def root() -> User:
    return UserFactory.create(username="root", is_superuser=True, is_staff=True, role=Role.ADMIN)


def _change(client: Client, user: User, **fields: Any) -> Any:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "student_number": user.student_number,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        **fields,
    }
    return client.post(f"/office/admin/people/user/{user.pk}/change/", data)


def test_the_office_cannot_make_itself_superuser(office: User) -> None:
    client = Client()
    client.force_login(office)
    response = _change(client, office, is_superuser="on", is_staff="on", role=Role.ADMIN)
    # its own account is a staff account: not one the office changes
    assert response.status_code == 403
    office.refresh_from_db()
    assert (office.is_superuser, office.role) == (False, Role.OFFICE)


def test_the_office_changes_a_students_role_within_student_and_promoter(
    office: User, student: User
) -> None:
    client = Client()
    client.force_login(office)
    refused = _change(client, student, role=Role.ADMIN, is_superuser="on", groups="1")
    assert refused.status_code == 200  # the form again: "admin" is not a choice
    student.refresh_from_db()
    assert (student.role, student.is_superuser, student.is_staff) == (Role.STUDENT, False, False)

    assert _change(client, student, role=Role.PROMOTER, is_superuser="on").status_code == 302
    student.refresh_from_db()
    assert (student.role, student.is_superuser, student.is_staff) == (Role.PROMOTER, False, False)
    assert AuditEvent.objects.filter(actor=office, object_id=str(student.pk)).exists()


def test_the_office_cannot_set_anybodys_password_or_change_staff(
    office: User, student: User, root: User
) -> None:
    client = Client()
    client.force_login(office)
    for target in (student, root):
        url = f"/office/admin/people/user/{target.pk}/password/"
        assert client.get(url).status_code == 403
        posted = client.post(url, {"password1": "taken-over-12!", "password2": "taken-over-12!"})
        assert posted.status_code == 403
    root.refresh_from_db()
    assert root.check_password("taken-over-12!") is False
    assert _change(client, root, email="office@example.org").status_code == 403
    root.refresh_from_db()
    assert root.email != "office@example.org"
    # the superuser's page reads without the password or the privileges
    page = client.get(f"/office/admin/people/user/{root.pk}/change/")
    assert page.status_code == 200
    assert "is_superuser" not in page.content.decode()
    assert "password/" not in page.content.decode()


def test_an_administrator_manages_staff_but_not_superusers(root: User, office: User) -> None:
    boss = UserFactory.create(username="boss", role=Role.ADMIN)
    client = Client()
    client.force_login(boss)
    assert _change(client, office, role=Role.ADMIN, is_superuser="on").status_code == 302
    office.refresh_from_db()
    assert (office.role, office.is_superuser) == (Role.ADMIN, False)  # not a privilege it has
    assert client.get(f"/office/admin/people/user/{office.pk}/password/").status_code == 200
    assert client.get(f"/office/admin/people/user/{root.pk}/password/").status_code == 403
    assert _change(client, root, email="boss@example.org").status_code == 403


def test_a_superuser_still_manages_everything(root: User, office: User) -> None:
    client = Client()
    client.force_login(root)
    page = client.get(f"/office/admin/people/user/{office.pk}/change/")
    assert "is_superuser" in page.content.decode()
    assert client.get(f"/office/admin/people/user/{office.pk}/password/").status_code == 200


def test_no_admin_lets_the_office_change_a_privilege(office: User, student: User) -> None:
    """Every ModelAdmin of every app, asked as the office: no privileged field in any form it
    may open, and no auth group or permission it may change."""
    request = RequestFactory().get("/office/admin/")
    request.user = office
    checked = 0
    for model, model_admin in admin.site._registry.items():
        obj = model._default_manager.first() if model is not User else student
        for instance in (None, obj):
            allowed = (
                model_admin.has_add_permission(request)
                if instance is None
                else model_admin.has_change_permission(request, instance)
            )
            if not allowed:
                continue
            form = model_admin.get_form(request, instance)
            assert not set(form.base_fields) & set(PRIVILEGED_FIELDS), model
            role: Any = form.base_fields.get("role")
            if role is not None and model is User:
                assert {value for value, _ in role.choices} <= {Role.STUDENT, Role.PROMOTER}
            checked += 1
    assert checked > 10  # the office does use the admin: catalogue, careers...
    assert not admin.site._registry[Group].has_change_permission(request)
    assert not admin.site._registry[Group].has_add_permission(request)


# ------------------------------------------------------------------------ the School scope


def test_the_office_never_sets_an_office_scope(
    office: User, school_office: User, other_school_office: User, student: User
) -> None:
    """An office user cannot widen its own scope (its account is staff) nor give anybody one
    (the field is read-only for it); an administrator sets it."""
    client = Client()
    client.force_login(school_office)
    assert _change(client, school_office, office_school="").status_code == 403
    school_office.refresh_from_db()
    assert school_office.office_school is not None
    assert other_school_office.office_school is not None
    other = other_school_office.office_school
    assert _change(client, student, office_school=str(other.pk)).status_code == 302
    student.refresh_from_db()
    assert student.office_school is None
    admin_user = UserFactory.create(username="an-admin", role=Role.ADMIN)
    client.force_login(admin_user)
    assert _change(client, office, office_school=str(other.pk)).status_code == 302
    office.refresh_from_db()
    assert office.office_school == other


def test_a_schools_office_changes_its_own_schools_accounts_only(
    school_office: User, other_school_office: User, student: User, other_student: User
) -> None:
    from abroad.core.permissions import can

    assert can(school_office, "people.change_user", student)  # a 3I student
    assert not can(other_school_office, "people.change_user", student)
    assert not can(school_office, "people.change_user", other_student)  # no course: nobody's
    client = Client()
    client.force_login(other_school_office)
    # not in its list: the admin answers as for a missing account (back to the index)
    assert _change(client, student, first_name="Changed").status_code == 302
    student.refresh_from_db()
    assert student.first_name != "Changed"


def test_a_schools_office_lists_its_own_schools_people_only(
    office: User, school_office: User, other_school_office: User, student: User
) -> None:
    listed = {}
    for user in (office, school_office, other_school_office):
        client = Client()
        client.force_login(user)
        page = client.get("/office/admin/people/user/")
        listed[user.username] = {u.username for u in page.context["cl"].result_list}
    assert "student" in listed["office"]
    assert "student" in listed["school-office"]
    assert listed["other-school-office"] == {"other-school-office"}
