"""Double-degree plans: the pure credit rules, the approval flow through the services, and
the plan's step on the timeline."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from abroad.catalogue.enums import Programme
from abroad.mobility import services as mobility_services
from abroad.mobility.models import Mobility
from abroad.mobility.timeline import extra_steps
from abroad.networks import double_degree, services
from abroad.networks.double_degree import Plan, check
from abroad.networks.enums import PlanState
from abroad.networks.services import NetworksError
from abroad.people.models import User
from tests.factories import AgreementFactory, NetworkFactory, OfferFactory
from tests.networks.factories import SessionFactory

GOOD = Plan(
    credits_at_partner=120,
    credits_recognised_at_home=60,
    thesis_at_home=True,
    thesis_at_partner=True,
    mobility_unit_months=12,
)


def _codes(plan: Plan) -> list[tuple[str, str]]:
    return [(f.level, f.code) for f in check(plan)]


@pytest.mark.unit
def test_a_good_plan_only_warns_about_unknown_discussion_dates() -> None:
    assert _codes(GOOD) == [("warning", "thesis_home_date"), ("warning", "thesis_partner_date")]


@pytest.mark.unit
@pytest.mark.parametrize(("credits", "ok"), [(59, False), (60, True), (120, True), (121, False)])
def test_credits_at_the_partner_are_between_60_and_120(credits: int, ok: bool) -> None:
    plan = Plan(
        **{**GOOD.__dict__, "credits_at_partner": credits, "credits_recognised_at_home": 30}
    )
    assert (("error", "partner_credits") in _codes(plan)) is not ok


@pytest.mark.unit
def test_at_most_60_recognised_at_home_and_never_more_than_earned() -> None:
    too_many = Plan(**{**GOOD.__dict__, "credits_recognised_at_home": 61})
    findings = check(too_many)
    assert (findings[0].code, findings[0].high, findings[0].have) == ("home_credits", 60, 61)
    above = Plan(**{**GOOD.__dict__, "credits_at_partner": 60, "credits_recognised_at_home": 60})
    assert ("error", "home_above_partner") not in _codes(above)


@pytest.mark.unit
def test_thesis_at_both_and_a_12_month_unit() -> None:
    plan = Plan(**{**GOOD.__dict__, "thesis_at_partner": False, "mobility_unit_months": 6})
    assert [c for level, c in _codes(plan) if level == "error"] == ["thesis_partner", "unit"]
    assert double_degree.MOBILITY_UNIT_MONTHS == 12


def double_degree_mobility(student: User) -> Mobility:
    offer = OfferFactory.create(
        agreement=AgreementFactory.create(programme=Programme.DOUBLE_DEGREE), months=24
    )
    return mobility_services.create_mobility(
        student=student, offer=offer, academic_year=2027, origin="test"
    )


@pytest.mark.integration
@pytest.mark.django_db
def test_submit_approve_and_return(student: User, promoter: User) -> None:
    mobility = double_degree_mobility(student)
    # the promoter approves this student's learning agreements, so their plan too
    assert student.course_of_study is not None
    student.course_of_study.coordinators.add(promoter.promoter)
    steps = {s.key: s for s in extra_steps(mobility)}
    assert steps["double_degree"].status == "todo"
    assert steps["double_degree"].url == f"/networks/double-degree/{mobility.pk}/"
    plan = services.save_plan(
        mobility=mobility, actor=student, credits_at_partner=50, credits_recognised_at_home=70
    )
    assert services.plan_findings(plan).errors == [
        "The credits earned at the partner must be between 60 and 120; the plan has 50.",
        "At most 60 credits are recognised at home; the plan has 70.",
        "The thesis must be discussed at home too.",
        "The thesis must be discussed at the partner too.",
    ]
    with pytest.raises(NetworksError, match="between 60 and 120"):
        services.submit_plan(plan=plan, actor=student)
    plan = services.save_plan(
        mobility=mobility,
        actor=student,
        credits_at_partner=120,
        credits_recognised_at_home=60,
        thesis_at_home=True,
        thesis_at_partner=True,
    )
    with pytest.raises(NetworksError, match="Write the study plan"):
        services.submit_plan(plan=plan, actor=student)
    services.save_plan(mobility=mobility, actor=student, study_plan="Two years at the partner.")
    plan = services.submit_plan(plan=plan, actor=student)
    assert plan.state == PlanState.SUBMITTED
    assert {s.key: s for s in extra_steps(mobility)}["double_degree"].text == (
        "Your plan waits for your promoter's approval."
    )
    with pytest.raises(NetworksError, match="can no longer be changed"):
        services.save_plan(mobility=mobility, actor=student, study_plan="Changed.")
    with pytest.raises(NetworksError, match="a returned plan needs a comment"):
        services.decide_plan(plan=plan, approve=False, comment=" ", actor=promoter)
    plan = services.decide_plan(
        plan=plan, approve=False, comment="Add the thesis topic.", actor=promoter
    )
    assert (plan.state, plan.comment, plan.decided_by) == (
        PlanState.RETURNED,
        "Add the thesis topic.",
        promoter,
    )
    assert {s.key: s for s in extra_steps(mobility)}["double_degree"].status == "current"
    services.save_plan(mobility=mobility, actor=student, study_plan="Two years; thesis on X.")
    plan = services.submit_plan(plan=plan, actor=student)
    plan = services.decide_plan(plan=plan, approve=True, comment="", actor=promoter)
    assert plan.state == PlanState.APPROVED
    assert {s.key: s for s in extra_steps(mobility)}["double_degree"].status == "done"
    with pytest.raises(NetworksError, match="Only a submitted plan"):
        services.decide_plan(plan=plan, approve=True, comment="", actor=promoter)


@pytest.mark.integration
@pytest.mark.django_db
def test_only_a_double_degree_mobility_has_a_plan(student: User) -> None:
    mobility = mobility_services.create_mobility(
        student=student, offer=OfferFactory.create(), academic_year=2027, origin="test"
    )
    with pytest.raises(NetworksError, match="Only a double-degree mobility"):
        services.save_plan(mobility=mobility, actor=student, credits_at_partner=60)
    assert "double_degree" not in {s.key for s in extra_steps(mobility)}


@pytest.mark.integration
@pytest.mark.django_db
def test_the_plan_offers_double_degree_networks_never_athens(student: User) -> None:
    """Before: the plan's network list offered every network, ATHENS included."""
    time = NetworkFactory.create(code="time", name="T.I.M.E.")
    SessionFactory.create()  # ATHENS: its network runs sessions of short courses
    NetworkFactory.create(code="idea-league", name="IDEA League")  # no double degree
    athens_dd = AgreementFactory.create(
        programme=Programme.DOUBLE_DEGREE, network=NetworkFactory.create(code="athens")
    )  # even a double-degree agreement does not make ATHENS a double-degree network
    offer = OfferFactory.create(
        agreement=AgreementFactory.create(programme=Programme.DOUBLE_DEGREE, network=time),
        months=24,
    )
    assert athens_dd.network is not None
    mobility = mobility_services.create_mobility(
        student=student, offer=offer, academic_year=2027, origin="test"
    )
    client = Client()
    client.force_login(student)

    page = client.get(reverse("networks:plan", kwargs={"mobility": mobility.pk}))

    field = page.context["form"].fields["network"]
    assert [n.code for n in field.queryset] == ["time"]
    assert "ATHENS" not in page.text.split('id="edit"')[1]
    assert "This mobility is planned for 24 months, as the double-degree agreement says" in (
        page.text
    )
    refused = client.post(
        reverse("networks:plan_save", kwargs={"mobility": mobility.pk}),
        {
            "network": athens_dd.network.pk,
            "credits_at_partner": 120,
            "credits_recognised_at_home": 60,
            "mobility_unit_months": 12,
        },
    )
    assert refused.status_code == 302
    assert not hasattr(Mobility.objects.get(pk=mobility.pk), "double_degree_plan")
