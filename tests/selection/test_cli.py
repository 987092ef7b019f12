"""``python -m abroad call ...``: each step of a call from the shell, with its output."""

from __future__ import annotations

import csv
import datetime as dt
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from abroad.core.models import AuditEvent
from abroad.selection import services
from abroad.selection.enums import AssignmentState, RoundState
from abroad.selection.models import Round
from tests.selection.test_office_views import CODE, Scene, build_call

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

DONE = re.compile(r"^Done in \d+\.\d\d s\.$")


def run(*args: str) -> list[str]:
    """The command's output lines, the timing line checked and left out."""
    out = StringIO()
    call_command("call", *args, stdout=out, stderr=StringIO())
    lines = out.getvalue().splitlines()
    assert DONE.match(lines[-1]), lines[-1]
    return lines[:-1]


@pytest.fixture
def scene(db: None) -> Scene:
    return build_call()


def test_rank(scene: Scene) -> None:
    assert run("rank", CODE) == [
        f"Ranked {CODE}: 3 submitted applications, 3 scored, 3 eligible and ranked, 0 not eligible."
    ]
    ranks = scene.call.applications.order_by("rank").values_list("student__last_name", "rank")
    assert list(ranks) == [("Rossi", 1), ("Bianchi", 2), ("Verdi", 3)]


def test_allocate_creates_the_round_and_runs_it(scene: Scene) -> None:
    run("rank", CODE)
    assert run("allocate", CODE, "--deadline", "2099-06-16T12:00") == [
        f"Round 1 of {CODE} created: students accept by 16/06/2099 12:00:00 CEST.",
        f"Round 1 of {CODE}: dry run, seen by the office only.",
        "  Applicants: 3; with a seat: 3 (1st choice 1, 2nd choice 2); without: 0.",
        "  Offers: 2 of 2 given a seat; 3 seats in the call, 3 given in this round.",
        f"Publish it with: python -m abroad call publish {CODE} --round 1",
    ]
    round = Round.objects.get(call=scene.call)
    assert round.state == RoundState.DRY_RUN
    assert round.acceptance_deadline == timezone.make_aware(dt.datetime(2099, 6, 16, 12, 0))

    # Again, after a change: the same round, compared with the previous run.
    scene.delft.seats = 2
    scene.delft.save()
    assert run("allocate", CODE) == [
        f"Round 1 of {CODE}: dry run, seen by the office only.",
        "  Applicants: 3; with a seat: 3 (1st choice 2, 2nd choice 1); without: 0.",
        "  Offers: 2 of 2 given a seat; 4 seats in the call, 3 given in this round.",
        "  Changed since the previous run: 1.",
        f"Publish it with: python -m abroad call publish {CODE} --round 1",
    ]
    assert Round.objects.filter(call=scene.call).count() == 1


def test_allocate_a_date_alone_means_noon(scene: Scene) -> None:
    run("rank", CODE)
    run("allocate", CODE, "--round", "1", "--deadline", "2099-01-20")
    deadline = Round.objects.get(call=scene.call).acceptance_deadline
    assert timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M %Z") == "2099-01-20 12:00 CET"


def test_allocate_without_a_deadline_for_a_new_round(scene: Scene) -> None:
    with pytest.raises(CommandError) as error:
        call_command("call", "allocate", CODE, stdout=StringIO())
    assert str(error.value) == (
        f"{CODE}: a new round needs the students' acceptance deadline: add "
        "--deadline 2027-06-16T12:00"
    )
    with pytest.raises(CommandError, match="is not an ISO date and time"):
        call_command("call", "allocate", CODE, "--deadline", "16/06/2027", stdout=StringIO())
    assert not Round.objects.exists()


def test_publish_and_close(scene: Scene) -> None:
    run("rank", CODE)
    run("allocate", CODE, "--deadline", "2099-06-16T12:00")
    assert run("publish", CODE) == [
        f"Round 1 of {CODE} published: 3 seats offered, 3 students e-mailed; they accept by "
        "16/06/2099 12:00:00 CEST."
    ]
    round = Round.objects.get(call=scene.call)
    assert round.state == RoundState.PUBLISHED

    # Before the deadline the service says no: a CommandError with its message.
    with pytest.raises(CommandError) as error:
        call_command("call", "close", CODE, "--round", "1", stdout=StringIO())
    assert str(error.value) == f"{CODE}: The students can still answer until the deadline."

    rossi = round.assignments.get(application__student__last_name="Rossi")
    services.accept_assignment(assignment=rossi, actor=rossi.application.student)
    Round.objects.filter(pk=round.pk).update(acceptance_deadline=timezone.now())
    assert run("close", CODE, "--round", "1") == [
        f"Round 1 of {CODE} closed: 1 accepted, 0 renounced, 2 expired (no answer by the deadline)."
    ]
    assert list(
        round.assignments.order_by("application__rank").values_list("state", flat=True)
    ) == [AssignmentState.ACCEPTED, AssignmentState.EXPIRED, AssignmentState.EXPIRED]
    actions = AuditEvent.objects.filter(object_type="selection.round").order_by("id")
    assert list(actions.values_list("action", "actor")) == [
        ("round.created", None),
        ("round.run", None),
        ("round.published", None),
        ("round.closed", None),
    ]


def test_publish_needs_a_run(scene: Scene) -> None:
    with pytest.raises(CommandError) as error:
        call_command("call", "publish", CODE, stdout=StringIO())
    assert str(error.value) == (
        f"{CODE}: no round has been run; run one with 'call allocate' first"
    )
    Round.objects.create(call=scene.call, number=1, acceptance_deadline=timezone.now())
    with pytest.raises(CommandError) as error:
        call_command("call", "publish", CODE, "--round", "1", stdout=StringIO())
    assert str(error.value) == f"{CODE}: Run the round before publishing it."


def test_nominations_to_csv_and_xlsx(scene: Scene, tmp_path: Path) -> None:
    run("rank", CODE)
    run("allocate", CODE, "--deadline", "2099-06-16T12:00")
    run("publish", CODE)
    round = Round.objects.get(call=scene.call)
    for assignment in round.assignments.exclude(call_offer=None):
        services.accept_assignment(assignment=assignment, actor=assignment.application.student)
    target = tmp_path / "nominations.csv"
    assert run("nominations", CODE, str(target)) == [
        f"Wrote 3 nominations of {CODE} (2 partners) to {target}."
    ]
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = [row[:4] for row in csv.reader(handle)]
    assert rows == [
        ["Partner", "Erasmus code", "Student", "Student number"],
        ["RWTH Aachen", "D  AACHEN01", "Bianchi Anna1", "eng-2027-001"],
        ["RWTH Aachen", "D  AACHEN01", "Verdi Anna2", "eng-2027-002"],
        ["TU Delft", "NL DELFT01", "Rossi Anna0", "eng-2027-000"],
    ]
    workbook = tmp_path / "nominations.xlsx"
    assert run("nominations", CODE, str(workbook)) == [
        f"Wrote 3 nominations of {CODE} (2 partners) to {workbook}."
    ]
    assert workbook.stat().st_size > 0


def test_nominations_refuses_other_formats(scene: Scene, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"neither an \.xlsx nor a \.csv file"):
        call_command("call", "nominations", CODE, str(tmp_path / "n.pdf"), stdout=StringIO())
    with pytest.raises(CommandError, match="there is no folder"):
        call_command("call", "nominations", CODE, str(tmp_path / "no" / "n.csv"), stdout=StringIO())


def test_unknown_call_and_round(scene: Scene) -> None:
    with pytest.raises(CommandError) as error:
        call_command("call", "rank", "nope", stdout=StringIO())
    assert str(error.value) == f"no call has the code 'nope'; the calls are: {CODE}"
    with pytest.raises(CommandError) as error:
        call_command("call", "close", CODE, "--round", "4", stdout=StringIO())
    assert str(error.value) == f"{CODE} has no round 4; its rounds are: none yet"
