"""Role predicates that every app's rules build on."""

from __future__ import annotations

from typing import Any

import rules

from abroad.people.enums import Role


@rules.predicate
def is_student(user: Any) -> bool:
    return bool(user.is_authenticated and user.role == Role.STUDENT)


@rules.predicate
def is_promoter(user: Any) -> bool:
    return bool(user.is_authenticated and user.role == Role.PROMOTER)


@rules.predicate
def is_office(user: Any) -> bool:
    """The mobility office, administrators included."""
    return bool(
        user.is_authenticated and (user.role in (Role.OFFICE, Role.ADMIN) or user.is_superuser)
    )


@rules.predicate
def is_admin(user: Any) -> bool:
    return bool(user.is_authenticated and (user.role == Role.ADMIN or user.is_superuser))


@rules.predicate
def is_superuser(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_superuser)


# The roles the office gives and takes; the others (office, admin) only administrators give.
MANAGED_ROLES = (Role.STUDENT, Role.PROMOTER)


@rules.predicate
def is_managed_account(user: Any, target: Any) -> bool:
    """A student's or a promoter's account (None: accounts in general), never a privileged
    one: what the office may change."""
    if target is None:
        return True
    return bool(target.role in MANAGED_ROLES and not target.is_superuser and not target.is_staff)


@rules.predicate
def is_ordinary_account(user: Any, target: Any) -> bool:
    """Any account but a superuser's (None: accounts in general)."""
    return target is None or not target.is_superuser


# The office sees people and sets students' and promoters' roles within those two; it never
# touches privileges, passwords or staff accounts. Administrators manage every account but a
# superuser's; only superusers grant superuser status, groups and permissions.
rules.add_perm("people.view_user", is_office)
rules.add_perm(
    "people.change_user",
    is_superuser | (is_admin & is_ordinary_account) | (is_office & is_managed_account),
)
rules.add_perm("people.set_password", is_superuser | (is_admin & is_ordinary_account))
rules.add_perm("people.give_staff_roles", is_admin)
rules.add_perm("people.change_privileges", is_superuser)
rules.add_perm("people.add_user", is_admin)
rules.add_perm("people.delete_user", is_admin & is_ordinary_account)
rules.add_perm("core.view_auditevent", is_office)
# The office keeps the registrar's data it imports: careers, certificates, passed courses.
for model in ("studentcareer", "languagecertificate", "passedcourse"):
    rules.add_perm(f"people.view_{model}", is_office)
rules.add_perm("people.change_passedcourse", is_office)
rules.add_perm("people.add_passedcourse", is_office)
rules.add_perm("people.delete_passedcourse", is_office)
