"""Signing a person in from what an identity provider vouches for: the linking rule, the
just-in-time account, and the attributes updated at each log-in (never the role)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from abroad.core import audit
from abroad.identity.attributes import Identity
from abroad.identity.models import FederatedIdentity, Protocol
from abroad.identity.spid_attributes import ItalianIdentity
from abroad.people.models import User


class Refused(Exception):
    """A verified assertion that still does not sign anybody in; the message says why to the
    person (shown on the refusal page)."""


def _student_number_free(number: str, user: User | None) -> bool:
    others = User.objects.filter(student_number=number)
    if user is not None:
        others = others.exclude(pk=user.pk)
    return not others.exists()


def _update(user: User, identity: Identity) -> list[str]:
    """Copy the provider's names, e-mail and student number onto the account (what it sends,
    never a blank over a value); the role stays the office's. The fields changed."""
    changed = []
    for field in ("email", "first_name", "last_name", "student_number"):
        value = getattr(identity, field)
        if value and getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    return changed


@transaction.atomic
def sign_in(issuer: str, identity: Identity, protocol: str = Protocol.SAML) -> User:
    """The account for ``identity`` as ``issuer`` vouches for it, created at the first log-in
    (``protocol``: how the provider spoke, SAML 2 or OpenID Connect; the same rule for both).

    The linking rule: the account already linked to this name at this provider; else, when no
    account has this username, a new one (its role from the affiliation, student or promoter,
    never more; no password, so it cannot log in locally). An existing account with the same
    username, or one holding the same student number, is never taken over: the log-in is
    refused until the office links them (docs/operator-guide.md)."""
    link = (
        FederatedIdentity.objects.select_for_update()
        .select_related("user")
        .filter(issuer=issuer, subject=identity.username)
        .first()
    )
    if link is None:
        if User.objects.filter(username__iexact=identity.username).exists():
            raise Refused(
                _(
                    "An account named %(username)s already exists here and is not linked to "
                    "your identity provider. Ask the mobility office to link it."
                )
                % {"username": identity.username}
            )
        if identity.student_number and not _student_number_free(identity.student_number, None):
            raise Refused(
                _(
                    "Another account already holds the student number %(number)s. Ask the "
                    "mobility office to link it to your identity provider."
                )
                % {"number": identity.student_number}
            )
        user = User(username=identity.username, role=identity.role)
        _update(user, identity)
        user.set_unusable_password()
        user.save()
        link = FederatedIdentity.objects.create(
            user=user, issuer=issuer, subject=identity.username, protocol=protocol
        )
        audit.record(
            actor=None,
            action="identity.account_created",
            obj=user,
            issuer=issuer,
            protocol=protocol,
            role=user.role,
        )
    else:
        user = link.user
        if identity.student_number and not _student_number_free(identity.student_number, user):
            raise Refused(
                _(
                    "Another account already holds the student number %(number)s. Ask the "
                    "mobility office to link it to your identity provider."
                )
                % {"number": identity.student_number}
            )
        changed = _update(user, identity)
        if changed:
            user.save(update_fields=changed)
            audit.record(actor=None, action="identity.attributes_updated", obj=user, fields=changed)
    if not user.is_active:
        raise Refused(_("Your account here is disabled. Ask the mobility office."))
    link.last_login = timezone.now()
    link.save(update_fields=["last_login"])
    return user


@transaction.atomic
def sign_in_by_fiscal_code(issuer: str, person: ItalianIdentity, protocol: str) -> User:
    """The account for a person a SPID or CIE identity provider (``issuer``) vouches for.

    The linking rule: the fiscal code is the person (SPID's providers are many, all vouching
    for the same code). The account holding this fiscal code (set by the office or the
    student records) is hers, and is linked at her first log-in; else a new account, named by
    the fiscal code, a student's, with no password. An account of that name without the
    fiscal code is never taken over: the log-in is refused until the office sets the code."""
    code = person.fiscal_code
    user = User.objects.select_for_update().filter(fiscal_code__iexact=code).first()
    if user is None:
        username = code.lower()
        if User.objects.filter(username__iexact=username).exists():
            raise Refused(
                _(
                    "An account named %(username)s already exists here and does not hold your "
                    "fiscal code. Ask the mobility office to link it."
                )
                % {"username": username}
            )
        user = User(username=username, fiscal_code=code)
        user.set_unusable_password()
        _update_italian(user, person)
        user.save()
        audit.record(
            actor=None,
            action="identity.account_created",
            obj=user,
            issuer=issuer,
            protocol=protocol,
            role=user.role,
        )
    else:
        changed = _update_italian(user, person)
        if changed:
            user.save(update_fields=changed)
            audit.record(actor=None, action="identity.attributes_updated", obj=user, fields=changed)
    if not user.is_active:
        raise Refused(_("Your account here is disabled. Ask the mobility office."))
    link, created = FederatedIdentity.objects.get_or_create(
        issuer=issuer, subject=code, defaults={"user": user, "protocol": protocol}
    )
    moved = link.user_id != user.pk
    if moved:
        # the fiscal code moved to another account (the office corrected it): follow it
        link.user = user
    if created or moved:
        audit.record(
            actor=None,
            action="identity.linked_by_fiscal_code",
            obj=user,
            issuer=issuer,
            protocol=protocol,
        )
    link.last_login = timezone.now()
    link.save()
    return user


def _update_italian(user: User, person: ItalianIdentity) -> list[str]:
    changed = []
    for field in ("email", "first_name", "last_name"):
        value = getattr(person, field)
        if value and getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    return changed
