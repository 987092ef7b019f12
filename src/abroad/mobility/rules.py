"""Who may do what with a mobility.

A mobility is seen by its student, by the office, by the promoters who approve its learning
agreement (the exchange coordinators of the student's course of study; the promoter of the
partner site when the course has none), and by the promoter of the partner site, who decides
its extensions (the approvers, when the site has no promoter). Anybody else gets a 404."""

from __future__ import annotations

from typing import Any

import rules
from django.db.models import Q

from abroad.catalogue.models import CourseOfStudy
from abroad.people.rules import is_office, is_promoter


def _promoter_id(user: Any) -> int | None:
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_promoter", False)):
        return None
    promoter = getattr(user, "promoter", None)
    return promoter.pk if promoter is not None else None


def _mobility(obj: Any) -> Any:
    """A mobility, or the mobility of a learning agreement, document or extension."""
    return getattr(obj, "mobility", obj)


def approves(user: Any, mobility: Any) -> bool:
    """The user approves this mobility's learning agreements."""
    promoter_id = _promoter_id(user)
    if promoter_id is None or mobility is None:
        return False
    course = mobility.student.course_of_study
    coordinators = {p.pk for p in course.coordinators.all()} if course is not None else set()
    if coordinators:
        return promoter_id in coordinators
    return _site_promoter_id(mobility) == promoter_id


def _site_promoter_id(mobility: Any) -> int | None:
    offer = mobility.offer
    return offer.agreement.promoter_id if offer is not None else None


def decides_extensions(user: Any, mobility: Any) -> bool:
    """The user authorises this mobility's extensions: the partner site's promoter."""
    promoter_id = _promoter_id(user)
    if promoter_id is None or mobility is None:
        return False
    site = _site_promoter_id(mobility)
    if site is not None:
        return site == promoter_id
    return approves(user, mobility)


def approver_q(promoter: Any, prefix: str = "") -> Q:
    """The mobilities whose learning agreements ``promoter`` approves, as a filter (semi-joins,
    no DISTINCT). ``prefix`` reaches the mobility from another model, e.g. ``"mobility__"``."""
    coordinated = CourseOfStudy.objects.filter(coordinators=promoter).values("pk")
    with_coordinators = CourseOfStudy.objects.filter(coordinators__isnull=False).values("pk")
    return Q(**{f"{prefix}student__course_of_study__in": coordinated}) | (
        Q(**{f"{prefix}offer__agreement__promoter": promoter})
        & ~Q(**{f"{prefix}student__course_of_study__in": with_coordinators})
    )


def decider_q(promoter: Any, prefix: str = "") -> Q:
    """The mobilities whose extensions ``promoter`` decides, as a filter."""
    return Q(**{f"{prefix}offer__agreement__promoter": promoter}) | (
        Q(**{f"{prefix}offer__agreement__promoter__isnull": True}) & approver_q(promoter, prefix)
    )


@rules.predicate
def is_owner(user: Any, obj: Any) -> bool:
    mobility = _mobility(obj)
    return bool(
        mobility is not None
        and user.is_authenticated
        and mobility.student_id == getattr(user, "pk", None)
    )


@rules.predicate
def is_approver(user: Any, obj: Any) -> bool:
    return obj is not None and approves(user, _mobility(obj))


@rules.predicate
def is_decider(user: Any, obj: Any) -> bool:
    return obj is not None and decides_extensions(user, _mobility(obj))


# Seeing a mobility, its documents, learning agreements and extensions.
rules.add_perm(
    "mobility.view_mobility", is_owner | is_office | (is_promoter & (is_approver | is_decider))
)
# The student edits, signs and uploads; the office may do it for them.
rules.add_perm("mobility.edit_mobility", is_owner | is_office)
rules.add_perm("mobility.approve_learning_agreement", is_promoter & is_approver)
rules.add_perm("mobility.request_extension", is_owner)
rules.add_perm("mobility.decide_extension", is_promoter & is_decider)
# The office moves mobilities along, records host signatures and sees every mobility.
rules.add_perm("mobility.manage_mobilities", is_office)
# ... and reads the records in the admin (where nothing is changed: see admin.py).
for model in ("document", "learningagreement", "component", "extensionrequest"):
    rules.add_perm(f"mobility.view_{model}", is_office)
