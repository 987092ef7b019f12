"""Every mobility rule asked of everybody: the owner student, another student, the approver
(the coordinator of the student's course), the decider (the partner site's promoter), a
promoter of something else, the office, an anonymous visitor and a superuser (who is the
office, never a student nor a promoter). And who approves / decides, as a filter and as a
predicate, on every shape of mobility."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from abroad.core.permissions import can
from abroad.mobility import queries, services
from abroad.mobility.enums import ExtensionState, LearningAgreementState, MobilityState
from abroad.mobility.models import ExtensionRequest, LearningAgreement, Mobility
from abroad.people.enums import Role
from abroad.people.models import User
from tests.factories import (
    CourseOfStudyFactory,
    InstitutionFactory,
    PromoterFactory,
    UserFactory,
)
from tests.mobility.factories import LearningAgreementFactory, MobilityFactory, coordinate

pytestmark = pytest.mark.django_db

PERSONAS = (
    "owner",
    "other_student",
    "approver",
    "decider",
    "stranger",
    "office",
    "school_office",
    "other_school_office",
    "anonymous",
    "superuser",
)


@pytest.fixture
def mobility() -> Mobility:
    found: Mobility = MobilityFactory.create()
    coordinate(found, PromoterFactory.create(user__username="approver").user)
    return found


@pytest.fixture
def people(
    mobility: Mobility, school_office: User, other_school_office: User
) -> dict[str, User | AnonymousUser]:
    assert mobility.offer is not None
    assert mobility.offer.agreement.promoter is not None
    return {
        "owner": mobility.student,
        "other_student": UserFactory.create(role=Role.STUDENT),
        "approver": mobility.student.course_of_study.coordinators.get().user,  # type: ignore[union-attr]
        "decider": mobility.offer.agreement.promoter.user,
        "stranger": PromoterFactory.create().user,
        "office": UserFactory.create(role=Role.OFFICE),
        "school_office": school_office,
        "other_school_office": other_school_office,
        "anonymous": AnonymousUser(),
        "superuser": UserFactory.create(role=Role.STUDENT, is_superuser=True, is_staff=True),
    }


def allowed(people: dict[str, User | AnonymousUser], perm: str, obj: object = None) -> set[str]:
    return {name for name in PERSONAS if can(people[name], perm, obj)}


# The office of the mobility's School (the student's course of study's): the unscoped office,
# the School's office, a superuser; never another School's office.
OFFICE = {"office", "school_office", "superuser"}
# The office's pages, asked of no mobility: every office user (their lists are scoped).
EVERY_OFFICE = {*OFFICE, "other_school_office"}


def test_mobility_rules(mobility: Mobility, people: dict[str, User | AnonymousUser]) -> None:
    assert allowed(people, "mobility.view_mobility", mobility) == {
        "owner",
        "approver",
        "decider",
        *OFFICE,
    }
    assert allowed(people, "mobility.edit_mobility", mobility) == {"owner", *OFFICE}
    assert allowed(people, "mobility.request_extension", mobility) == {"owner"}
    assert allowed(people, "mobility.approve_learning_agreement", mobility) == {"approver"}
    assert allowed(people, "mobility.decide_extension", mobility) == {"decider"}
    assert allowed(people, "mobility.manage_mobilities") == EVERY_OFFICE
    assert allowed(people, "mobility.manage_mobilities", mobility) == OFFICE
    assert allowed(people, "mobility.change_planned_dates", mobility) == {"owner", *OFFICE}
    assert allowed(people, "mobility.change_learning_agreement", mobility) == {"owner", *OFFICE}
    assert allowed(people, "mobility.use_desk") == {
        "approver",
        "decider",
        "stranger",
        *EVERY_OFFICE,
    }
    assert allowed(people, "mobility.decide_on_desk") == {"approver", "decider", "stranger"}
    for model in ("document", "learningagreement", "component", "extensionrequest"):
        assert allowed(people, f"mobility.view_{model}") == EVERY_OFFICE


@pytest.mark.parametrize("state", LearningAgreementState.values)
def test_learning_agreement_rules(
    mobility: Mobility, people: dict[str, User | AnonymousUser], state: str
) -> None:
    version = LearningAgreement(mobility=mobility, number=1, state=state)
    assert allowed(people, "mobility.review_learning_agreement", version) == {
        "approver",
        *OFFICE,
    }
    assert allowed(people, "mobility.approve_learning_agreement", version) == {"approver"}
    assert allowed(people, "mobility.decide_submitted_learning_agreement", version) == (
        {"approver"} if state == LearningAgreementState.SUBMITTED else set()
    )
    assert allowed(people, "mobility.edit_mobility", version) == {"owner", *OFFICE}


@pytest.mark.parametrize("state", ExtensionState.values)
def test_extension_rules(
    mobility: Mobility, people: dict[str, User | AnonymousUser], state: str
) -> None:
    extension = ExtensionRequest(mobility=mobility, state=state)
    assert allowed(people, "mobility.review_extension", extension) == {"decider", *OFFICE}
    assert allowed(people, "mobility.decide_extension", extension) == {"decider"}
    assert allowed(people, "mobility.decide_requested_extension", extension) == (
        {"decider"} if state == ExtensionState.REQUESTED else set()
    )
    assert allowed(people, "mobility.request_extension", extension) == {"owner"}
    assert allowed(people, "mobility.withdraw_extension", extension) == (
        {"owner"} if state == ExtensionState.REQUESTED else set()
    )


def test_the_site_promoter_approves_when_the_course_has_no_coordinator(
    people: dict[str, User | AnonymousUser],
) -> None:
    mobility = MobilityFactory.create()
    site = people["decider"]
    mobility.offer.agreement.promoter = site.promoter  # type: ignore[union-attr]
    mobility.offer.agreement.save()  # type: ignore[union-attr]
    assert allowed(people, "mobility.approve_learning_agreement", mobility) == {"decider"}
    assert allowed(people, "mobility.decide_extension", mobility) == {"decider"}


# ------------------------------------------------------------ the filters and the predicates


def shapes() -> list[Mobility]:
    """Mobilities of every shape: a course with or without coordinators, a site with or
    without a promoter, no offer at all; sharing promoters in different roles."""
    one, two, three = (PromoterFactory.create() for _ in range(3))
    coordinated = CourseOfStudyFactory.create()
    coordinated.coordinators.add(one, two)
    bare = CourseOfStudyFactory.create()
    return [
        MobilityFactory.create(
            student__course_of_study=coordinated, offer__agreement__promoter=three
        ),
        MobilityFactory.create(
            student__course_of_study=coordinated, offer__agreement__promoter=one
        ),
        MobilityFactory.create(
            student__course_of_study=coordinated, offer__agreement__promoter=None
        ),
        MobilityFactory.create(student__course_of_study=bare, offer__agreement__promoter=three),
        MobilityFactory.create(student__course_of_study=bare, offer__agreement__promoter=None),
        MobilityFactory.create(student__course_of_study=None, offer__agreement__promoter=two),
        MobilityFactory.create(
            student__course_of_study=coordinated, offer=None, host=InstitutionFactory.create()
        ),
        MobilityFactory.create(
            student__course_of_study=bare, offer=None, host=InstitutionFactory.create()
        ),
    ]


def test_each_query_and_its_predicate_agree() -> None:
    mobilities = shapes()
    promoters = [p for p in {p for m in mobilities for p in queries.approvers(m)}]
    promoters += [PromoterFactory.create()]  # approves nothing
    for promoter in promoters:
        approved = set(
            Mobility.objects.filter(queries.approver_q(promoter)).values_list("pk", flat=True)
        )
        decided = set(
            Mobility.objects.filter(queries.decider_q(promoter)).values_list("pk", flat=True)
        )
        for mobility in mobilities:
            assert (mobility.pk in approved) == queries.approves(promoter.user, mobility)
            assert (mobility.pk in decided) == queries.decides_extensions(promoter.user, mobility)
            assert (promoter in queries.approvers(mobility)) == (mobility.pk in approved)
            assert (promoter in queries.deciders(mobility)) == (mobility.pk in decided)
    # through another model, as the desks filter
    versions = {LearningAgreementFactory.create(mobility=m).pk: m for m in mobilities}
    for promoter in promoters:
        through = set(
            LearningAgreement.objects.filter(
                queries.approver_q(promoter, "mobility__")
            ).values_list("pk", flat=True)
        )
        assert through == {pk for pk, m in versions.items() if queries.approves(promoter.user, m)}


def test_nobody_but_a_promoter_approves(
    people: dict[str, User | AnonymousUser], mobility: Mobility
) -> None:
    for name in ("owner", "other_student", "office", "anonymous", "superuser"):
        assert not queries.approves(people[name], mobility)
        assert not queries.decides_extensions(people[name], mobility)


# ------------------------------------------------------- the services ask the same rules


def test_no_path_approves_what_the_page_refuses(mobility: Mobility, people: dict[str, Any]) -> None:
    version = LearningAgreementFactory.create(
        mobility=mobility, state=LearningAgreementState.SUBMITTED
    )
    for name in ("owner", "decider", "stranger", "office", "superuser"):
        with pytest.raises(PermissionDenied):
            services.approve(agreement=version, actor=people[name])
        with pytest.raises(PermissionDenied):
            services.return_to_student(
                agreement=version, actor=people[name], comment="Add table B."
            )
    version.refresh_from_db()
    assert version.state == LearningAgreementState.SUBMITTED
    approved = services.approve(agreement=version, actor=people["approver"])
    assert approved.state == LearningAgreementState.APPROVED


def test_only_the_office_moves_a_mobility(mobility: Mobility, people: dict[str, Any]) -> None:
    for name in ("owner", "other_student", "approver", "decider", "stranger"):
        with pytest.raises(PermissionDenied):
            services.set_state(
                mobility=mobility,
                state=MobilityState.COMPLETED,
                actor=people[name],
                left_on=mobility.planned_end,
            )
    mobility.refresh_from_db()
    assert mobility.state == MobilityState.IN_MOBILITY
    # the system (the CLI, the demo, a migration) is not asked
    services.set_state(
        mobility=mobility, state=MobilityState.COMPLETED, actor=None, left_on=mobility.planned_end
    )


def test_only_the_student_and_the_office_write_the_learning_agreement(
    mobility: Mobility, people: dict[str, Any]
) -> None:
    for name in ("other_student", "approver", "decider", "stranger"):
        with pytest.raises(PermissionDenied):
            services.open_draft(mobility=mobility, actor=people[name])
    assert mobility.learning_agreements.count() == 0
    assert services.open_draft(mobility=mobility, actor=people["owner"]).number == 1
