"""Role predicates that every app's rules build on."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import rules
from django.db.models import Q

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


# ------------------------------------------------------------------- the office's School scope


def office_scope(user: Any) -> frozenset[int] | None:
    """The Schools an office user is limited to: their ``office_school``, its sections and
    the School it is a section of (as a promoter's School reaches its calls). None: the whole
    university (an office user without a scope, an administrator, a superuser) and anybody who
    is not office (their own rules limit them). Read once per user object."""
    if not getattr(user, "is_authenticated", False):
        return None
    if hasattr(user, "_office_scope_cache"):
        cached: frozenset[int] | None = user._office_scope_cache
        return cached
    scope: frozenset[int] | None = None
    school_id = getattr(user, "office_school_id", None)
    if (
        school_id is not None
        and getattr(user, "role", None) == Role.OFFICE
        and not getattr(user, "is_superuser", False)
    ):
        school = user.office_school
        sections = set(school.sections.values_list("pk", flat=True))
        scope = frozenset({school.pk, *sections} | ({school.parent_id} - {None}))
    user._office_scope_cache = scope
    return scope


def in_office_scope(user: Any, school_ids: Iterable[int | None]) -> bool:
    """An object belonging to ``school_ids`` is within the user's office scope (always, for
    an unscoped user)."""
    scope = office_scope(user)
    return scope is None or any(pk in scope for pk in school_ids)


def office_scope_q(user: Any, school_path: str) -> Q:
    """:func:`in_office_scope` as a filter: ``school_path`` reaches a School's key from the
    listed model (e.g. ``"student__course_of_study__school"``). Everything when unscoped."""
    scope = office_scope(user)
    if scope is None:
        return Q()
    return Q(**{f"{school_path}__in": sorted(scope)})


@rules.predicate
def is_scoped_office(user: Any) -> bool:
    """An office user limited to a School (``office_school``)."""
    return office_scope(user) is not None


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
def is_account_in_scope(user: Any, target: Any) -> bool:
    """A student's (by their course of study) or a promoter's (by their School) account within
    the user's office scope (None: accounts in general; an unscoped user: every account)."""
    if target is None or office_scope(user) is None:
        return True
    course = getattr(target, "course_of_study", None)
    promoter = getattr(target, "promoter", None)
    school_ids = [
        course.school_id if course is not None else None,
        promoter.school_id if promoter is not None else None,
    ]
    return in_office_scope(user, school_ids)


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
    is_superuser
    | (is_admin & is_ordinary_account)
    | (is_office & is_managed_account & is_account_in_scope),
)
rules.add_perm("people.set_password", is_superuser | (is_admin & is_ordinary_account))
rules.add_perm("people.give_staff_roles", is_admin)
rules.add_perm("people.change_privileges", is_superuser)
rules.add_perm("people.add_user", is_admin)
rules.add_perm("people.delete_user", is_admin & is_ordinary_account)
rules.add_perm("core.view_auditevent", is_office)
# A promoter names a substitute from their desk; the office may do it in the admin.
rules.add_perm("people.name_substitute", is_promoter)
for action in ("view", "add", "change", "delete"):
    rules.add_perm(f"people.{action}_substitution", is_office)
rules.add_perm("people.view_onbehalfdecision", is_office)
# The office keeps the registrar's data it imports: careers, certificates, passed courses.
for model in ("studentcareer", "languagecertificate", "passedcourse"):
    rules.add_perm(f"people.view_{model}", is_office)
rules.add_perm("people.change_passedcourse", is_office)
rules.add_perm("people.add_passedcourse", is_office)
rules.add_perm("people.delete_passedcourse", is_office)


# ------------------------------------------------------------------ background jobs (core.jobs)


@rules.predicate
def asked_for_job(user: Any, job: Any) -> bool:
    """The person who asked for the job (an import or an export)."""
    return bool(user.is_authenticated and job is not None and job.requested_by_id == user.pk)


@rules.predicate
def is_job_in_scope(user: Any, job: Any) -> bool:
    """A job of the user's own School (asked by somebody of the same office scope: what it
    holds is what that scope shows), or any job for an office user of the whole university."""
    if job is None:
        return False
    if office_scope(user) is None:
        return True
    return job.school_id is not None and job.school_id == user.office_school_id


rules.add_perm("core.view_job", asked_for_job | (is_office & is_job_in_scope))
