"""The networks' demo: sessions with courses at real ATHENS members, the closed November
session with nominations and results, the Alliance4Tech student, the double-degree plan and
call; IDEA League and Alliance4Tech offers in the catalogue's network filter; loading twice
changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from abroad.networks import certificate, services
from abroad.networks.enums import AllocationState, PlanState, ResultsState
from abroad.networks.models import AthensSession, DoubleDegreePlan, Participation
from abroad.people.models import User
from abroad.selection.models import Call
from abroad.site.demo import catalogue as catalogue_demo
from abroad.site.demo.mobility import load_mobility_demo
from abroad.site.demo.networks import NetworksDemoSummary, load_networks_demo
from abroad.site.demo.selection import load_selection_demo

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

NOW = timezone.make_aware(dt.datetime(2026, 11, 25, 10, 0))


@pytest.fixture
def loaded() -> NetworksDemoSummary:
    catalogue_demo.load_demo()
    load_selection_demo(now=NOW)
    load_mobility_demo()
    return load_networks_demo(now=NOW)


def test_demo_sessions(loaded: NetworksDemoSummary) -> None:
    march = AthensSession.objects.get(code="athens-2027-03")
    november = AthensSession.objects.get(code="athens-2026-11")
    assert (march.code, march.year, march.is_open(NOW)) == ("athens-2027-03", 2027, True)
    assert march.courses.count() == 10
    members = set(march.network.members.values_list("pk", flat=True))
    assert all(course.host_id in members for course in march.courses.all())
    assert not march.applications.filter(student__username="student").exists()
    assert (november.code, november.results_state) == ("athens-2026-11", ResultsState.CLOSED)
    participations = Participation.objects.filter(course__session=november)
    assert participations.count() >= 2
    assert participations.exclude(ects_earned=None).exists()
    assert loaded.lines()[0].startswith("ATHENS:        4 sessions, 28 courses")


@pytest.mark.parametrize(
    "now",
    [
        NOW,
        timezone.make_aware(dt.datetime(2027, 1, 10, 9, 0)),
        timezone.make_aware(dt.datetime(2027, 6, 30, 20, 0)),
    ],
    ids=["november", "january", "june"],
)
def test_one_session_at_each_step_of_the_office_journey(now: dt.datetime) -> None:
    """Issue 18, point 5: whatever the day the demo is loaded, one session takes applications,
    one is closed and waits for the allocation, one has published results awaiting answers,
    one is over."""
    catalogue_demo.load_demo()
    lines = "\n".join(load_networks_demo(now=now).lines())
    sessions = list(AthensSession.objects.all())
    open_ = [s for s in sessions if s.is_open(now)]
    waiting = [
        s
        for s in sessions
        if s.applications_close_at < now and s.results_state == ResultsState.NOT_RUN
    ]
    published = [s for s in sessions if s.results_state == ResultsState.PUBLISHED]
    closed = [s for s in sessions if s.results_state == ResultsState.CLOSED]
    assert (len(open_), len(waiting), len(published), len(closed)) == (1, 1, 1, 1)
    assert waiting[0].applications.filter(state="submitted").count() >= 3
    deadline = published[0].acceptance_deadline
    assert deadline is not None
    assert deadline > now
    states = set(published[0].applications.values_list("allocation__state", flat=True))
    assert {AllocationState.OFFERED, AllocationState.ACCEPTED} <= states
    office = User.objects.get(username="office")
    with pytest.raises(services.NetworksError):
        services.rank_session(session=open_[0], actor=office, now=now)
    services.rank_session(session=waiting[0], actor=office, now=now)
    services.allocate_session(session=waiting[0], actor=office, now=now)
    assert f"{open_[0].code}: open for students until" in lines
    assert f"{waiting[0].code}: closed " in lines
    assert "awaiting the ranking" in lines
    assert f"{published[0].code}: results published, answers by" in lines


def test_a_student_answers_the_published_session_on_its_page(
    loaded: NetworksDemoSummary,
) -> None:
    published = AthensSession.objects.get(results_state=ResultsState.PUBLISHED)
    application = published.applications.filter(allocation__state=AllocationState.OFFERED)[0]
    allocation = application.allocation
    services.accept_allocation(
        allocation_row=allocation, actor=application.student, now=NOW + dt.timedelta(days=1)
    )
    allocation.refresh_from_db()
    assert allocation.state == AllocationState.ACCEPTED


def test_demo_alliance_and_double_degree(loaded: NetworksDemoSummary) -> None:
    alliance = User.objects.get(username="alliance")
    result = certificate.check(services.certificate_stays(alliance))
    assert (result.on_track, result.met, result.total) == (True, False, 32)
    plan = DoubleDegreePlan.objects.get(mobility__student__username="doubledegree")
    assert plan.state == PlanState.SUBMITTED
    assert plan.network is not None
    assert plan.network.code == "time"
    call = Call.objects.get(code="double-degree-2027")
    assert (call.max_preferences, call.programmes) == (3, ["double_degree"])
    assert call.call_offers.count() > 0
    promoter = Client()
    promoter.force_login(User.objects.get(username="promoter"))
    assert "1 plan to approve" in promoter.get(reverse("networks:plan_desk")).content.decode()


def test_demo_network_offers_in_the_catalogue(loaded: NetworksDemoSummary, client: Client) -> None:
    for network, partner in (("idea-league", "ETH Zurich"), ("alliance4tech", "Berlin")):
        page = client.get(reverse("catalogue:offers"), {"network": network}).content.decode()
        assert partner in page, network


def test_demo_loaded_twice_changes_nothing(loaded: NetworksDemoSummary) -> None:
    again = load_networks_demo(now=NOW)
    assert again.created == 0
    assert (again.sessions, again.courses, again.applications) == (
        loaded.sessions,
        loaded.courses,
        loaded.applications,
    )


def test_every_user_the_demo_prints_can_log_in(loaded: NetworksDemoSummary) -> None:
    """The demo command prints catalogue_demo.LOGINS: each of them logs in with the demo's
    password, the ATHENS and double-degree students included."""
    assert {"alliance", "doubledegree"} <= {name for name, _who in catalogue_demo.LOGINS}
    client = Client()
    for username, _who in catalogue_demo.LOGINS:
        response = client.post(
            "/accounts/login/", {"username": username, "password": catalogue_demo.PASSWORD}
        )
        assert response.status_code == 302, username
        client.logout()


def test_the_demo_servers_log_in_page_names_its_users(client: Client, settings: Any) -> None:
    settings.DEMO_LOGINS = (catalogue_demo.PASSWORD, catalogue_demo.LOGINS)
    page = client.get("/accounts/login/").content.decode()
    assert catalogue_demo.PASSWORD in page
    assert "<code>doubledegree</code>" in page
    settings.DEMO_LOGINS = None
    assert catalogue_demo.PASSWORD not in client.get("/accounts/login/").content.decode()
