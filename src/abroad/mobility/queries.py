"""Reads about mobilities shared by views, services, e-mails, the PDF, EWP and the other
apps: each rule written once.

- :func:`in_force`: the learning agreement in force, the last version signed by all three.
- :func:`in_force_or_latest`: the one in force, or the last version not withdrawn while none
  is signed yet (what the student plans to study).
- :func:`live_components`: a version's rows as the agreement stands, the rows a change deletes
  left out (:func:`abroad.mobility.checks.is_live` is the predicate on one row).
- Who approves a mobility's learning agreements (the exchange coordinators of the student's
  course of study; the partner site's promoter when the course has none) and who decides its
  extensions (the partner site's promoter; the approvers when the site has none): the rule is
  :func:`_approvers`/:func:`_deciders`, read as promoters (:func:`approvers`, :func:`deciders`:
  e-mails, the student's page), as a predicate (:func:`approves`, :func:`decides_extensions`:
  the rules) and as a filter (:func:`approver_q`, :func:`decider_q`: desks and lists).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

from django.db.models import Q, QuerySet
from django.utils import timezone

from abroad.catalogue.models import CourseOfStudy
from abroad.mobility.checks import is_live
from abroad.mobility.enums import (
    ExtensionState,
    LearningAgreementState,
    MobilityKind,
    MobilityState,
)
from abroad.people.rules import office_scope_q
from abroad.people.substitutes import represented

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from abroad.catalogue.models import Promoter
    from abroad.mobility.models import Component, ExtensionRequest, LearningAgreement, Mobility
    from abroad.people.models import User

R = TypeVar("R")
P = TypeVar("P")


def in_force(mobility: Mobility) -> LearningAgreement | None:
    """The version in force: the last one signed by all three, or None."""
    return (
        mobility.learning_agreements.filter(state=LearningAgreementState.SIGNED)
        .order_by("-number")
        .first()
    )


def in_force_or_latest(mobility: Mobility) -> LearningAgreement | None:
    """The version in force, or the last one not withdrawn while none is signed yet."""
    return (
        in_force(mobility)
        or mobility.learning_agreements.exclude(state=LearningAgreementState.WITHDRAWN)
        .order_by("-number")
        .first()
    )


def live_components(agreement: LearningAgreement, table: str | None = None) -> list[Component]:
    """The rows of ``agreement`` (of one table when given) as it stands: a change's deleted
    rows left out. Reads ``agreement.components.all()``, so a prefetch is used."""
    return live(agreement.components.all(), table)


def live(rows: Iterable[R], table: str | None = None) -> list[R]:
    """The rows (stored components or :class:`abroad.mobility.checks.Row`) that count, of one
    table when given."""
    return [
        row
        for row in rows
        if is_live(row) and (table is None or row.table == table)  # type: ignore[attr-defined]
    ]


# ------------------------------------------------------------------------- dates, extensions


def agreement_submitted(mobility: Mobility) -> bool:
    """The student signed (submitted) a version of the learning agreement: its planned dates
    are now the office's to change. From the learning agreements when a page prefetched them
    (the timeline asks this twice a request)."""
    prefetched = getattr(mobility, "_prefetched_objects_cache", {}).get("learning_agreements")
    if prefetched is not None:
        return any(agreement.student_signed_at is not None for agreement in prefetched)
    return mobility.learning_agreements.filter(student_signed_at__isnull=False).exists()


def before_departure(mobility: Mobility) -> bool:
    """Still to come or under way: not withdrawn, and the departure not recorded."""
    return mobility.state != MobilityState.WITHDRAWN and mobility.actual_end is None


def extensions_apply(mobility: Mobility) -> bool:
    """THE rule of whether a mobility may ever be extended: its offer allows it, and it is not
    a double degree (which lasts as its agreement says). The student's page offers "Ask to
    stay longer" on it and :func:`abroad.mobility.services.extension_problem` refuses on it."""
    offer = mobility.offer
    return bool(
        offer is not None and offer.extendable and mobility.kind != MobilityKind.DOUBLE_DEGREE
    )


# ------------------------------------------------------------------ who approves, who decides


def _approvers(coordinators: list[P], site: P | None) -> list[P]:
    """THE rule of who approves: the course's coordinators, else the site's promoter."""
    if coordinators:
        return coordinators
    return [site] if site is not None else []


def _deciders(coordinators: list[P], site: P | None) -> list[P]:
    """THE rule of who decides extensions: the site's promoter, else the approvers."""
    return [site] if site is not None else _approvers(coordinators, site)


def _coordinators(mobility: Mobility) -> list[Promoter]:
    course = mobility.student.course_of_study
    return list(course.coordinators.all()) if course is not None else []


def _site_promoter_id(mobility: Mobility) -> int | None:
    offer = mobility.offer
    return offer.agreement.promoter_id if offer is not None else None


def _site_promoter(mobility: Mobility) -> Promoter | None:
    offer = mobility.offer
    return offer.agreement.promoter if offer is not None else None


def approvers(mobility: Mobility) -> list[Promoter]:
    """The promoters who approve ``mobility``'s learning agreements."""
    return _approvers(_coordinators(mobility), _site_promoter(mobility))


def deciders(mobility: Mobility) -> list[Promoter]:
    """The promoters who decide ``mobility``'s extensions."""
    return _deciders(_coordinators(mobility), _site_promoter(mobility))


def promoter_id(user: User | AnonymousUser) -> int | None:
    """The user's promoter record's key, for a promoter; None for anybody else."""
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_promoter", False)):
        return None
    promoter = getattr(user, "promoter", None)
    return promoter.pk if promoter is not None else None


def substituted_promoters(user: User | AnonymousUser) -> list[Promoter]:
    """The promoter records of the promoters ``user`` stands in for today
    (:func:`abroad.people.substitutes.represented`); read once per user object."""
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_promoter", False)):
        return []
    day = timezone.localdate()
    cache: dict[dt.date, list[Promoter]] = user.__dict__.setdefault("_substituted_cache", {})
    if day not in cache:
        from abroad.catalogue.models import Promoter

        users = represented(user, day)
        cache[day] = list(Promoter.objects.filter(user__in=users)) if users else []
    return cache[day]


def _acting_ids(user: User | AnonymousUser) -> tuple[int | None, list[int]]:
    """The user's own promoter key, and those of the promoters they stand in for today."""
    return promoter_id(user), [p.pk for p in substituted_promoters(user)]


def approves(user: User | AnonymousUser, mobility: Mobility | None) -> bool:
    """The user approves this mobility's learning agreements (the predicate of
    :func:`approver_q`), in their own right or as a substitute of an approver today. Reads
    ``course.coordinators.all()``, so a prefetch is used."""
    own, standing_for = _acting_ids(user)
    if (own is None and not standing_for) or mobility is None:
        return False
    ids = [p.pk for p in _coordinators(mobility)]
    approving = _approvers(ids, _site_promoter_id(mobility))
    return any(pk in approving for pk in [own, *standing_for] if pk is not None)


def decides_extensions(user: User | AnonymousUser, mobility: Mobility | None) -> bool:
    """The user decides this mobility's extensions (the predicate of :func:`decider_q`), in
    their own right or as a substitute of a decider today."""
    own, standing_for = _acting_ids(user)
    if (own is None and not standing_for) or mobility is None:
        return False
    ids = [p.pk for p in _coordinators(mobility)]
    deciding = _deciders(ids, _site_promoter_id(mobility))
    return any(pk in deciding for pk in [own, *standing_for] if pk is not None)


def acting_for(
    user: User | AnonymousUser, mobility: Mobility, *, extensions: bool = False
) -> list[User]:
    """On whose behalf ``user`` decides on ``mobility`` (its learning agreements; its
    extensions with ``extensions``): nobody when they decide in their own right, else the
    approvers (deciders) they stand in for today. What the services record beside the
    decision (:func:`abroad.people.substitutes.record_on_behalf`)."""
    own, _standing = _acting_ids(user)
    ids = [p.pk for p in _coordinators(mobility)]
    site = _site_promoter_id(mobility)
    deciding = _deciders(ids, site) if extensions else _approvers(ids, site)
    if own is not None and own in deciding:
        return []
    return [p.user for p in substituted_promoters(user) if p.pk in deciding]


def acting_q(promoter: Promoter | None, user: User | AnonymousUser, prefix: str = "") -> Q:
    """The mobilities ``user`` approves, in their own right (``promoter``, their record) or as
    a substitute today: :func:`approves` in SQL, for the desks."""
    found = approver_q(promoter, prefix) if promoter is not None else Q(pk__in=[])
    for other in substituted_promoters(user):
        found |= approver_q(other, prefix)
    return found


def acting_decider_q(promoter: Promoter | None, user: User | AnonymousUser, prefix: str = "") -> Q:
    """The mobilities whose extensions ``user`` decides, in their own right or as a
    substitute today: :func:`decides_extensions` in SQL."""
    found = decider_q(promoter, prefix) if promoter is not None else Q(pk__in=[])
    for other in substituted_promoters(user):
        found |= decider_q(other, prefix)
    return found


def approver_q(promoter: Promoter, prefix: str = "") -> Q:
    """The mobilities whose learning agreements ``promoter`` approves, as a filter (semi-joins,
    no DISTINCT): :func:`approves` in SQL. ``prefix`` reaches the mobility from another model,
    e.g. ``"mobility__"``."""
    coordinated = CourseOfStudy.objects.filter(coordinators=promoter).values("pk")
    with_coordinators = CourseOfStudy.objects.filter(coordinators__isnull=False).values("pk")
    return Q(**{f"{prefix}student__course_of_study__in": coordinated}) | (
        Q(**{f"{prefix}offer__agreement__promoter": promoter})
        & ~Q(**{f"{prefix}student__course_of_study__in": with_coordinators})
    )


def decider_q(promoter: Promoter, prefix: str = "") -> Q:
    """The mobilities whose extensions ``promoter`` decides, as a filter:
    :func:`decides_extensions` in SQL."""
    return Q(**{f"{prefix}offer__agreement__promoter": promoter}) | (
        Q(**{f"{prefix}offer__agreement__promoter__isnull": True}) & approver_q(promoter, prefix)
    )


# ------------------------------------------------------------- the office's School scope


def office_mobilities_q(user: User | AnonymousUser, prefix: str = "") -> Q:
    """The mobilities (or, with ``prefix`` such as ``"mobility__"``, the objects of the
    mobilities) within ``user``'s office scope: the filter twin of
    :func:`abroad.mobility.rules.in_mobility_scope` (a mobility belongs to its student's course
    of study's School). Everything for an unscoped user."""
    return office_scope_q(user, f"{prefix}student__course_of_study__school")


# ------------------------------------------------------------------- waiting for a promoter


def waiting_agreements(promoter: Promoter | None, user: User) -> QuerySet[LearningAgreement]:
    """The versions waiting for ``promoter`` (``user``'s record), and for the promoters the
    user stands in for today (every one, for the office: None)."""
    from abroad.mobility.models import LearningAgreement

    agreements = LearningAgreement.objects.filter(state=LearningAgreementState.SUBMITTED)
    if promoter is not None:
        agreements = agreements.filter(acting_q(promoter, user, "mobility__"))
    return agreements


def waiting_extensions(promoter: Promoter | None, user: User) -> QuerySet[ExtensionRequest]:
    """The extension requests waiting for ``promoter``'s decision (every one, for the office:
    None), as :func:`waiting_agreements`."""
    from abroad.mobility.models import ExtensionRequest

    extensions = ExtensionRequest.objects.filter(state=ExtensionState.REQUESTED)
    if promoter is not None:
        extensions = extensions.filter(acting_decider_q(promoter, user, "mobility__"))
    return extensions
