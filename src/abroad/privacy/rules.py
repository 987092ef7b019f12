"""Who may exercise a person's data rights.

- ``privacy.export_person`` (obj: the person): the person themselves, or the office (a
  School-scoped office user: of the person's School, ``people.rules.is_account_in_scope``).
- ``privacy.manage_people``: the office's privacy pages (find a person, export, erase).
- ``privacy.erase_person`` (obj: the person): the office for students' and promoters'
  accounts, administrators for any account but a superuser's; never one's own.
- ``privacy.apply_retention``: administrators (in practice the nightly command, actor None).
"""

from __future__ import annotations

from typing import Any

import rules

from abroad.people.enums import Role
from abroad.people.rules import is_account_in_scope, is_admin, is_office


@rules.predicate
def is_the_person(user: Any, person: Any) -> bool:
    return bool(user.is_authenticated and person is not None and user.pk == person.pk)


# A School-scoped office user acts on its School's students and promoters only.
office_of_person = is_office & is_account_in_scope
rules.add_perm("privacy.export_person", is_the_person | office_of_person)
rules.add_perm("privacy.manage_people", is_office)


@rules.predicate
def is_managed_person(user: Any, person: Any) -> bool:
    """A student's or a promoter's account, never a privileged one (None: in general)."""
    if person is None:
        return True
    return bool(
        person.role in (Role.STUDENT, Role.PROMOTER)
        and not person.is_staff
        and not person.is_superuser
    )


@rules.predicate
def is_ordinary_person(user: Any, person: Any) -> bool:
    return person is None or not person.is_superuser


rules.add_perm(
    "privacy.erase_person",
    ((office_of_person & is_managed_person) | (is_admin & is_ordinary_person)) & ~is_the_person,
)
rules.add_perm("privacy.apply_retention", is_admin)
