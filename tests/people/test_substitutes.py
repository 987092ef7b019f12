"""A promoter names a substitute for a period (issue 15, roles): inside the period the
substitute sees the promoter's desk and decides as the promoter could, and each decision records
both names (the page, its own table, the audit log); before and after it they may not; only a
promoter is named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from abroad.core.models import AuditEvent
from abroad.core.permissions import can
from abroad.mobility import services
from abroad.mobility.enums import ExtensionState, LearningAgreementState
from abroad.mobility.models import LearningAgreement, Mobility
from abroad.people.enums import Role
from abroad.people.models import OnBehalfDecision, Substitution, User
from abroad.people.substitutes import SubstitutionError, name_substitute
from tests.conftest import logged_in
from tests.factories import PromoterFactory, UserFactory
from tests.mobility.factories import MobilityFactory, agreement_with_rows, coordinate, pdf_upload

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def mobility(student: User, promoter: User) -> Mobility:
    """The promoter persona approves this mobility's learning agreements."""
    found: Mobility = MobilityFactory.create(student=student)
    coordinate(found, promoter)
    return found


@pytest.fixture
def substitute() -> User:
    user: User = PromoterFactory.create(
        user__username="substitute", user__first_name="Sara", user__last_name="Sostituta"
    ).user
    return user


def submitted(mobility: Mobility) -> LearningAgreement:
    return agreement_with_rows(
        mobility, state=LearningAgreementState.SUBMITTED, student_signed_at=timezone.now()
    )


def name(promoter: User, substitute: User, start: int, end: int) -> Substitution:
    """``substitute`` stands in for ``promoter`` from ``start`` to ``end`` days from today."""
    today = timezone.localdate()
    return name_substitute(
        promoter=promoter,
        substitute=substitute,
        starts_on=today + dt.timedelta(days=start),
        ends_on=today + dt.timedelta(days=end),
        actor=promoter,
    )


def fresh(user: User) -> User:
    """The user as a new request reads it (no cached substitutions)."""
    return User.objects.get(pk=user.pk)


def test_inside_the_period_the_substitute_approves_and_both_names_are_recorded(
    mobility: Mobility, promoter: User, substitute: User
) -> None:
    agreement = submitted(mobility)
    name(promoter, substitute, -1, 1)
    client = logged_in(substitute)
    desk = client.get(reverse("mobility:desk")).context
    assert [row.agreement.pk for row in desk["agreement_rows"]] == [agreement.pk]
    address = reverse("mobility:la_review", args=[agreement.pk])
    assert client.get(address).status_code == 200
    response = client.post(address, {"action": "approve"})
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert (agreement.state, agreement.promoter) == (LearningAgreementState.APPROVED, substitute)
    (decision,) = OnBehalfDecision.objects.all()
    assert (decision.substitute, decision.promoter, decision.action) == (
        substitute,
        promoter,
        "la.approved",
    )
    event = AuditEvent.objects.get(action="substitute.decided")
    assert event.data["on_behalf_of"] == [promoter.username]
    assert event.data["decided_by"] == substitute.username
    page = logged_in(promoter).get(address).content.decode()
    assert f"Decided by {substitute}, substituting for {promoter}" in page


@pytest.mark.parametrize(("start", "end"), [(1, 5), (-5, -1)], ids=["before", "after"])
def test_before_or_after_the_period_the_substitute_may_not(
    mobility: Mobility, promoter: User, substitute: User, start: int, end: int
) -> None:
    agreement = submitted(mobility)
    name(promoter, substitute, start, end)
    assert not can(fresh(substitute), "mobility.decide_submitted_learning_agreement", agreement)
    client = logged_in(substitute)
    assert client.get(reverse("mobility:desk")).context["agreement_rows"] == []
    address = reverse("mobility:la_review", args=[agreement.pk])
    assert client.get(address).status_code == 404
    assert client.post(address, {"action": "approve"}).status_code == 404
    agreement.refresh_from_db()
    assert agreement.state == LearningAgreementState.SUBMITTED
    assert not OnBehalfDecision.objects.exists()


def test_the_promoter_deciding_in_their_own_right_records_no_substitute(
    mobility: Mobility, promoter: User, substitute: User
) -> None:
    agreement = submitted(mobility)
    name(substitute, promoter, -1, 1)  # the promoter also stands in for somebody else
    services.approve(agreement=agreement, actor=fresh(promoter))
    assert not OnBehalfDecision.objects.exists()


def test_the_substitute_decides_an_extension_for_the_site_promoter(
    mobility: Mobility, substitute: User
) -> None:
    assert mobility.offer is not None
    assert mobility.offer.agreement.promoter is not None
    site: User = mobility.offer.agreement.promoter.user
    assert mobility.planned_end is not None
    extension = services.request_extension(
        mobility=mobility,
        actor=mobility.student,
        requested_end=mobility.planned_end + dt.timedelta(days=60),
        reason="A research project.",
        form=pdf_upload("extension.pdf"),
    )
    name(site, substitute, 0, 0)
    services.decide_extension(
        extension=extension, actor=fresh(substitute), authorise=False, reason="No."
    )
    extension.refresh_from_db()
    assert extension.state == ExtensionState.REFUSED
    decision = OnBehalfDecision.objects.get()
    assert (decision.substitute, decision.promoter) == (substitute, site)


def test_only_a_promoter_is_named(promoter: User, student: User, office: User) -> None:
    today = timezone.localdate()
    for somebody in (student, office):
        with pytest.raises(SubstitutionError, match="The substitute must be a promoter"):
            name_substitute(
                promoter=promoter, substitute=somebody, starts_on=today, ends_on=today, actor=None
            )
    with pytest.raises(SubstitutionError, match="Only a promoter names a substitute"):
        name_substitute(
            promoter=student, substitute=promoter, starts_on=today, ends_on=today, actor=None
        )
    with pytest.raises(SubstitutionError, match="ends before it starts"):
        name_substitute(
            promoter=promoter,
            substitute=PromoterFactory.create().user,
            starts_on=today,
            ends_on=today - dt.timedelta(days=1),
            actor=None,
        )
    assert not Substitution.objects.exists()


def test_the_desk_form_names_a_substitute_and_refuses_a_student(
    personas: dict[str, Client], promoter: User, student: User, substitute: User
) -> None:
    address = reverse("mobility:substitutes")
    today = timezone.localdate().isoformat()
    # a promoter's page: 404 for everybody else
    statuses = {persona: client.get(address).status_code for persona, client in personas.items()}
    assert statuses == {
        "student": 404,
        "other_student": 404,
        "promoter": 200,
        "office": 404,
        "school_office": 404,
        "other_school_office": 404,
        "anonymous": 302,
    }
    client = personas["promoter"]
    refused = client.post(address, {"substitute": student.pk, "starts_on": today, "ends_on": today})
    assert refused.status_code == 200
    assert "The substitute must be a promoter." in refused.content.decode()
    assert not Substitution.objects.exists()
    done = client.post(address, {"substitute": substitute.pk, "starts_on": today, "ends_on": today})
    assert done.status_code == 302
    found = Substitution.objects.get()
    assert (found.promoter, found.substitute, found.created_by) == (promoter, substitute, promoter)
    assert AuditEvent.objects.filter(action="substitute.named", actor=promoter).exists()
    # another promoter cannot take it back; the promoter can
    other = logged_in(PromoterFactory.create().user)
    assert other.post(address, {"action": "remove", "substitution": found.pk}).status_code == 404
    client.post(address, {"action": "remove", "substitution": found.pk})
    assert not Substitution.objects.exists()


def test_the_office_sets_a_substitute_in_the_admin(
    office: User, promoter: User, substitute: User
) -> None:
    client = logged_in(office)
    today = timezone.localdate().isoformat()
    add = "/office/admin/people/substitution/add/"
    student = UserFactory.create(username="a-student", role=Role.STUDENT)
    refused = client.post(
        add,
        {"promoter": promoter.pk, "substitute": student.pk, "starts_on": today, "ends_on": today},
    )
    assert refused.status_code == 200
    assert not Substitution.objects.exists()
    done = client.post(
        add,
        {
            "promoter": promoter.pk,
            "substitute": substitute.pk,
            "starts_on": today,
            "ends_on": today,
        },
    )
    assert done.status_code == 302
    assert Substitution.objects.get().created_by == office
