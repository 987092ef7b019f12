"""The catalogue rules asked of everybody: a student, another student, the agreement's
promoter, the office, an anonymous visitor and a superuser (who is the office). Public
agreements are public; the office sees and manages every agreement."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from abroad.catalogue import queries
from abroad.catalogue.enums import AgreementStatus
from abroad.catalogue.models import Agreement
from abroad.core.permissions import can
from abroad.people.enums import Role
from abroad.people.models import User
from tests.factories import AgreementFactory, PromoterFactory, UserFactory

pytestmark = pytest.mark.django_db

PERSONAS = ("student", "other_student", "promoter", "office", "anonymous", "superuser")
EVERYBODY = set(PERSONAS)
OFFICE = {"office", "superuser"}


@pytest.fixture
def people() -> dict[str, User | AnonymousUser]:
    return {
        "student": UserFactory.create(role=Role.STUDENT),
        "other_student": UserFactory.create(role=Role.STUDENT),
        "promoter": PromoterFactory.create(user__username="promoter").user,
        "office": UserFactory.create(role=Role.OFFICE),
        "anonymous": AnonymousUser(),
        "superuser": UserFactory.create(role=Role.STUDENT, is_superuser=True, is_staff=True),
    }


def allowed(people: dict[str, User | AnonymousUser], perm: str, obj: object = None) -> set[str]:
    return {name for name in PERSONAS if can(people[name], perm, obj)}


@pytest.mark.parametrize("status", AgreementStatus.values)
def test_view_agreement(people: dict[str, User | AnonymousUser], status: str) -> None:
    agreement = AgreementFactory.create(status=status, promoter=people["promoter"].promoter)  # type: ignore[union-attr]
    public = status in AgreementStatus.public_states()
    assert allowed(people, "catalogue.view_agreement", agreement) == (
        EVERYBODY if public else OFFICE
    )
    # the list agrees with the rule, for each of them
    for name in PERSONAS:
        visible = queries.visible_agreements(people[name])
        assert visible.filter(pk=agreement.pk).exists() == (
            name in (EVERYBODY if public else OFFICE)
        )


def test_manage_agreements(people: dict[str, User | AnonymousUser]) -> None:
    assert allowed(people, "catalogue.manage_agreements") == OFFICE
    for model in ("institution", "agreement", "offer", "promoter", "courseofstudy"):
        for action in ("view", "add", "change", "delete"):
            assert allowed(people, f"catalogue.{action}_{model}") == OFFICE, (action, model)


def test_visible_partners_follow_the_visible_agreements(
    people: dict[str, User | AnonymousUser],
) -> None:
    public = AgreementFactory.create(status=AgreementStatus.ACTIVE)
    draft = AgreementFactory.create(status=AgreementStatus.DRAFT)
    for name in PERSONAS:
        partners = set(queries.visible_partners(people[name]))
        agreements = set(queries.visible_agreements(people[name]))
        assert partners == {a.partner for a in agreements}
        assert (draft in agreements) == (name in OFFICE)
        assert public in agreements
    assert Agreement.objects.count() == 2
