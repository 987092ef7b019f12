"""``python -m abroad call <step> CALL ...``: the office's steps of a call from the shell.

    call rank CALL
    call allocate CALL [--round N] [--deadline ISO]   (creates the round if missing; dry run)
    call publish CALL [--round N]
    call close CALL --round N
    call nominations CALL FILE.xlsx|FILE.csv

Each step calls the same service as the office pages; a refused step (SelectionError) is a
CommandError with the service's message.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from abroad.core.importing import TableError, file_format
from abroad.core.moments import local_moment
from abroad.selection import exports, services
from abroad.selection.enums import ApplicationState, AssignmentState, RoundState
from abroad.selection.models import Call, Round
from abroad.selection.services import SelectionError

NOON = dt.time(12, 0)


def parse_deadline(text: str) -> dt.datetime:
    """An ISO date and time (``2027-06-16T12:00``), in Italian time unless it says otherwise;
    a date alone means 12:00 that day."""
    try:
        if len(text.strip()) == 10:
            moment = dt.datetime.combine(dt.date.fromisoformat(text.strip()), NOON)
        else:
            moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(
            f"--deadline {text!r} is not an ISO date and time: write e.g. 2027-06-16T12:00"
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _when(moment: dt.datetime) -> str:
    return local_moment(moment, zone=True)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class Command(BaseCommand):
    help = (
        "The steps of a call: rank, allocate (a dry run of a round), publish, close, "
        "nominations. Run 'call <step> --help' for each step's options."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        steps = parser.add_subparsers(dest="step", required=True, metavar="STEP")
        rank = steps.add_parser("rank", help="score and rank the submitted applications")
        rank.add_argument("call", help="the call's code")

        allocate = steps.add_parser(
            "allocate", help="run a round as a dry run (creating it if missing)"
        )
        allocate.add_argument("call", help="the call's code")
        allocate.add_argument(
            "--round",
            type=int,
            dest="round_number",
            help="the round's number (default: the last round not published, or a new one)",
        )
        allocate.add_argument(
            "--deadline",
            help="when creating the round: the students' acceptance deadline, ISO "
            "(2027-06-16T12:00, Italian time; a date alone means 12:00)",
        )

        publish = steps.add_parser("publish", help="publish a round: the students are e-mailed")
        publish.add_argument("call", help="the call's code")
        publish.add_argument(
            "--round", type=int, dest="round_number", help="default: the last round run"
        )

        close = steps.add_parser(
            "close", help="close a round after its deadline: unanswered seats expire"
        )
        close.add_argument("call", help="the call's code")
        close.add_argument("--round", type=int, dest="round_number", required=True)

        nominations = steps.add_parser(
            "nominations", help="write the accepted students, per partner, to XLSX or CSV"
        )
        nominations.add_argument("call", help="the call's code")
        nominations.add_argument("file", help="an .xlsx or .csv file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        call = self._call(options["call"])
        step = options["step"]
        started = time.perf_counter()
        try:
            if step == "rank":
                self.rank(call)
            elif step == "allocate":
                self.allocate(call, options.get("round_number"), options.get("deadline"))
            elif step == "publish":
                self.publish(call, options.get("round_number"))
            elif step == "close":
                self.close(call, options["round_number"])
            else:
                self.nominations(call, options["file"])
        except SelectionError as error:
            raise CommandError(f"{call.code}: {error}") from None
        self.stdout.write(f"Done in {time.perf_counter() - started:.2f} s.")

    # -------------------------------------------------------------------------- helpers

    def _call(self, code: str) -> Call:
        try:
            return Call.objects.get(code=code)
        except Call.DoesNotExist:
            known = ", ".join(Call.objects.values_list("code", flat=True)) or "none yet"
            raise CommandError(f"no call has the code {code!r}; the calls are: {known}") from None

    def _round(self, call: Call, number: int) -> Round:
        try:
            return call.rounds.get(number=number)
        except Round.DoesNotExist:
            known = ", ".join(str(n) for n in call.rounds.values_list("number", flat=True))
            raise CommandError(
                f"{call.code} has no round {number}; its rounds are: {known or 'none yet'}"
            ) from None

    # ---------------------------------------------------------------------------- steps

    def rank(self, call: Call) -> None:
        ranked = services.rank_call(call=call)
        submitted = call.applications.filter(state=ApplicationState.SUBMITTED)
        eligible = submitted.filter(eligible=True).count()
        self.stdout.write(
            f"Ranked {call.code}: {submitted.count()} submitted applications, {ranked} scored, "
            f"{eligible} eligible and ranked, {submitted.filter(eligible=False).count()} "
            "not eligible."
        )

    def allocate(self, call: Call, number: int | None, deadline: str | None) -> None:
        rounds = list(call.rounds.order_by("number"))
        round: Round | None
        if number is not None:
            round = next((r for r in rounds if r.number == number), None)
        else:
            last = rounds[-1] if rounds else None
            open_states = (RoundState.DRAFT, RoundState.DRY_RUN)
            round = last if last is not None and last.state in open_states else None
        if round is None:
            if deadline is None:
                which = f"round {number}" if number is not None else "a new round"
                raise CommandError(
                    f"{call.code}: {which} needs the students' acceptance deadline: add "
                    "--deadline 2027-06-16T12:00"
                )
            round = services.create_round(
                call=call, number=number, acceptance_deadline=parse_deadline(deadline)
            )
            self.stdout.write(
                f"Round {round.number} of {call.code} created: students accept by "
                f"{_when(round.acceptance_deadline)}."
            )
        elif deadline is not None:
            self.stderr.write(
                f"--deadline ignored: round {round.number} exists (its deadline is "
                f"{_when(round.acceptance_deadline)}; change it in the admin)."
            )
        round = services.run_round(round=round)
        assignments = list(round.assignments.all())
        given = [a for a in assignments if a.call_offer_id is not None]
        choices = Counter(a.choice for a in given if a.choice is not None)
        by_choice = ", ".join(f"{_ordinal(c)} choice {n}" for c, n in sorted(choices.items()))
        seats = sum(call.call_offers.values_list("seats", flat=True))
        offers_used = len({a.call_offer_id for a in given})
        self.stdout.write(f"Round {round.number} of {call.code}: dry run, seen by the office only.")
        self.stdout.write(
            f"  Applicants: {len(assignments)}; with a seat: {len(given)}"
            + (f" ({by_choice})" if by_choice else "")
            + f"; without: {len(assignments) - len(given)}."
        )
        self.stdout.write(
            f"  Offers: {offers_used} of {call.call_offers.count()} given a seat; "
            f"{seats} seats in the call, {len(given)} given in this round."
        )
        if round.previous_result:
            changed = len(services.compare_with_previous(round))
            self.stdout.write(f"  Changed since the previous run: {changed}.")
        self.stdout.write(
            f"Publish it with: python -m abroad call publish {call.code} --round {round.number}"
        )

    def publish(self, call: Call, number: int | None) -> None:
        if number is None:
            last = call.rounds.filter(state=RoundState.DRY_RUN).order_by("-number").first()
            if last is None:
                raise CommandError(
                    f"{call.code}: no round has been run; run one with 'call allocate' first"
                )
            round = last
        else:
            round = self._round(call, number)
        round = services.publish_round(round=round)
        assignments = list(round.assignments.all())
        offered = sum(1 for a in assignments if a.state == AssignmentState.OFFERED)
        self.stdout.write(
            f"Round {round.number} of {call.code} published: {offered} seats offered, "
            f"{len(assignments)} students e-mailed; they accept by "
            f"{_when(round.acceptance_deadline)}."
        )

    def close(self, call: Call, number: int) -> None:
        round = self._round(call, number)
        expired = services.close_round(round=round)
        states = Counter(round.assignments.values_list("state", flat=True))
        self.stdout.write(
            f"Round {round.number} of {call.code} closed: {states[AssignmentState.ACCEPTED]} "
            f"accepted, {states[AssignmentState.RENOUNCED]} renounced, {expired} expired "
            "(no answer by the deadline)."
        )

    def nominations(self, call: Call, file: str) -> None:
        try:
            fmt = file_format(file)
        except TableError as error:
            raise CommandError(str(error)) from None
        path = Path(file)
        if not path.parent.is_dir():
            raise CommandError(f"there is no folder {path.parent} to write {path.name} in")
        count = exports.export_nominations(call, path, fmt=fmt)
        partners = (
            services.nominations(call)
            .order_by()
            .values("call_offer__offer__agreement__partner")
            .distinct()
            .count()
        )
        self.stdout.write(
            f"Wrote {count} nominations of {call.code} ({partners} partners) to {file}."
        )
