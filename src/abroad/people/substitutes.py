"""Substitutes: a promoter names another promoter to decide for them over a period.

- :func:`substitution_problems`: THE rule of who may be named and when (the form, the admin and
  :func:`name_substitute` ask it);
- :func:`represented`: the promoters a user stands in for on a day (the rules of
  ``mobility/queries.py`` read it, so the substitute sees the desk and decides as the promoter);
- :func:`record_on_behalf`: a decision taken as a substitute, with both names, in its own table
  and in the audit log; :func:`decisions_on_behalf` reads them back for the pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from abroad.core import audit
from abroad.people.enums import Role
from abroad.people.models import OnBehalfDecision, Substitution, User


class SubstitutionError(Exception):
    pass


def substitution_problems(
    *,
    promoter: User | None,
    substitute: User | None,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
) -> list[str]:
    """Why this substitution may not be named (empty: it may): both are promoters, not the
    same person, and the period runs forwards."""
    problems = []
    if promoter is not None and promoter.role != Role.PROMOTER:
        problems.append(_("Only a promoter names a substitute."))
    if substitute is not None and substitute.role != Role.PROMOTER:
        problems.append(_("The substitute must be a promoter."))
    if promoter is not None and substitute is not None and promoter.pk == substitute.pk:
        problems.append(_("A promoter cannot be their own substitute."))
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        problems.append(_("The period ends before it starts."))
    return problems


@transaction.atomic
def name_substitute(
    *,
    promoter: User,
    substitute: User,
    starts_on: dt.date,
    ends_on: dt.date,
    actor: User | None,
) -> Substitution:
    """Store the substitution (refused with the reasons of :func:`substitution_problems`);
    audited."""
    problems = substitution_problems(
        promoter=promoter, substitute=substitute, starts_on=starts_on, ends_on=ends_on
    )
    if problems:
        raise SubstitutionError(" ".join(problems))
    substitution = Substitution.objects.create(
        promoter=promoter,
        substitute=substitute,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        actor=actor,
        action="substitute.named",
        obj=substitution,
        promoter=promoter.get_username(),
        substitute=substitute.get_username(),
        starts_on=starts_on,
        ends_on=ends_on,
    )
    return substitution


@transaction.atomic
def end_substitution(*, substitution: Substitution, actor: User | None) -> None:
    """Take the substitution back (audited)."""
    audit.record(actor=actor, action="substitute.removed", obj=substitution)
    substitution.delete()


def active_q(on: dt.date) -> models.Q:
    """Substitutions in force on the day ``on`` (both ends included)."""
    return models.Q(starts_on__lte=on, ends_on__gte=on)


def represented(user: Any, on: dt.date | None = None) -> list[User]:
    """The promoters ``user`` (a promoter) stands in for on ``on`` (today); read once per user
    object and day."""
    if not (
        getattr(user, "is_authenticated", False) and getattr(user, "role", None) == Role.PROMOTER
    ):
        return []
    day = on or timezone.localdate()
    cache: dict[dt.date, list[User]] = user.__dict__.setdefault("_represented_cache", {})
    if day not in cache:
        cache[day] = list(
            User.objects.filter(
                role=Role.PROMOTER,
                substitutions_given__in=Substitution.objects.filter(active_q(day), substitute=user),
            ).distinct()
        )
    return cache[day]


def record_on_behalf(
    *, actor: Any, promoters: Iterable[User], obj: models.Model, action: str
) -> list[OnBehalfDecision]:
    """The substitute ``actor`` took the decision ``action`` on ``obj`` for ``promoters``:
    one row each (what the pages show) and one audit event with both names."""
    promoters = list(promoters)
    if not promoters or not getattr(actor, "is_authenticated", False):
        return []
    rows = [
        OnBehalfDecision.objects.create(
            substitute=actor,
            promoter=promoter,
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
        )
        for promoter in promoters
    ]
    audit.record(
        actor=actor,
        action="substitute.decided",
        obj=obj,
        decision=action,
        decided_by=actor.get_username(),
        on_behalf_of=[promoter.get_username() for promoter in promoters],
    )
    return rows


def decisions_on_behalf(obj: models.Model) -> list[OnBehalfDecision]:
    """The decisions substitutes took on ``obj``, with both people, oldest first."""
    return list(
        OnBehalfDecision.objects.filter(
            object_type=obj._meta.label_lower, object_id=str(obj.pk)
        ).select_related("substitute", "promoter")
    )
