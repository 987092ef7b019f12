"""The selection's demo holds one call at each step of the office's journey, whatever the day it
is loaded: open for students, closed and ready to rank, a published round awaiting answers
(issue 18, point 5). The office takes the ready call through its pages: rank, a round, run,
publish."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from abroad.people.models import User
from abroad.selection import services
from abroad.selection.enums import ApplicationState, AssignmentState, RoundState
from abroad.selection.models import Call
from abroad.site.demo import catalogue as catalogue_demo
from abroad.site.demo.selection import (
    DESIGN_CALL,
    ENGINEERING_CALL,
    SPRING_CALL,
    SelectionDemoSummary,
    load_selection_demo,
)
from tests.conftest import logged_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

# Two days far apart: the states hold whenever the demo is loaded.
DAYS = (
    timezone.make_aware(dt.datetime(2026, 12, 7, 10, 0)),
    timezone.make_aware(dt.datetime(2027, 6, 20, 18, 30)),
)


def _load(now: dt.datetime) -> SelectionDemoSummary:
    catalogue_demo.load_demo()
    return load_selection_demo(now=now)


@pytest.mark.parametrize("now", DAYS, ids=["december", "june"])
def test_one_call_at_each_step_of_the_office_journey(now: dt.datetime) -> None:
    summary = _load(now)
    office = User.objects.get(username="office")

    engineering = Call.objects.get(code=ENGINEERING_CALL)
    assert engineering.is_open(now)
    with pytest.raises(services.SelectionError):
        services.rank_call(call=engineering, actor=office, now=now)

    spring = Call.objects.get(code=SPRING_CALL)
    assert not spring.is_open(now)
    assert spring.closes_at < now
    assert not spring.rounds.exists()
    assert not spring.applications.filter(rank__isnull=False).exists()
    submitted = spring.applications.filter(state=ApplicationState.SUBMITTED)
    assert submitted.count() >= 3
    times = [a.submitted_at for a in submitted]
    assert all(t is not None and spring.opens_at <= t < spring.closes_at for t in times)
    assert spring.call_offers.count() > 100

    design = Call.objects.get(code=DESIGN_CALL)
    round = design.rounds.get()
    assert round.state == RoundState.PUBLISHED
    assert round.acceptance_deadline > now
    assert round.assignments.filter(state=AssignmentState.OFFERED).exists()  # awaiting answers
    assert round.assignments.filter(state=AssignmentState.ACCEPTED).exists()

    lines = "\n".join(summary.lines())
    assert f"{ENGINEERING_CALL}: open for students until" in lines
    assert f"{SPRING_CALL}: closed, ready to rank" in lines
    assert f"{DESIGN_CALL}: round 1 published, answers by" in lines


def test_the_office_ranks_the_ready_call_and_publishes_a_round() -> None:
    _load(timezone.now())
    client: Client = logged_in(User.objects.get(username="office"))
    spring = Call.objects.get(code=SPRING_CALL)

    response = client.post(reverse("selection:office_rank", args=[SPRING_CALL]), follow=True)
    assert response.status_code == 200
    assert spring.applications.filter(rank__isnull=False).exists()
    deadline = timezone.localtime() + dt.timedelta(days=7)
    client.post(
        reverse("selection:office_round_create", args=[SPRING_CALL]),
        {"acceptance_deadline": deadline.strftime("%Y-%m-%dT%H:%M")},
    )
    round = spring.rounds.get()
    services.run_round(round=round, actor=None)
    services.publish_round(round=round, actor=None)
    round.refresh_from_db()
    assert round.state == RoundState.PUBLISHED
    assert round.assignments.exclude(call_offer=None).exists()

    # The open call still refuses the ranking, as it should.
    client.post(reverse("selection:office_rank", args=[ENGINEERING_CALL]))
    assert not Call.objects.get(code=ENGINEERING_CALL).applications.filter(rank__isnull=False)
