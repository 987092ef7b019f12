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


# The office sees people and sets their roles; only administrators create or delete accounts.
rules.add_perm("people.view_user", is_office)
rules.add_perm("people.change_user", is_office)
rules.add_perm("people.add_user", is_admin)
rules.add_perm("people.delete_user", is_admin)
rules.add_perm("core.view_auditevent", is_office)
# The office keeps the registrar's data it imports: careers, certificates, passed courses.
for model in ("studentcareer", "languagecertificate", "passedcourse"):
    rules.add_perm(f"people.view_{model}", is_office)
rules.add_perm("people.change_passedcourse", is_office)
rules.add_perm("people.add_passedcourse", is_office)
rules.add_perm("people.delete_passedcourse", is_office)
