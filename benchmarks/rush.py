"""The deadline rush (issue 19): N eligible students log in, open the call page, save a ranking
of 6 destinations and submit, all in the last minute before the deadline, against gunicorn
(2 workers) on PostgreSQL over real HTTP; the deadline passes while the last of them are still
at it. Prints p50/p95/p99 per step and the errors, then checks in the database that every
success is a stored submitted application with exactly the ranking sent, and that every
failure or late attempt left nothing half stored (no application submitted at or after the
deadline, no partial ranking). With --search it looks for the largest N that holds (0 lost,
0 errors, p99 < 1 s at every step) and prints it. Target: 1,000 students in 60 s.

    .venv/bin/pip install -e '.[bench]'   # gunicorn and locust
    ABROAD_DATABASE_URL=postgres://abroad:abroad@127.0.0.1:5432/abroad_scratch \\
        .venv/bin/python benchmarks/rush.py [--students 200] [--window 60] [--search]

The load comes from locust, driven headless from Python (``locust.env.Environment`` and a
local runner; no web UI, no locustfile), in this process: each simulated student is a
``FastHttpUser`` that runs its session once. The students start evenly over ``--window``
seconds; the call (the demo's ``engineering-2027-1``) closes ``--late`` of the window before
its end, so the last students meet a closed call, some between saving and submitting. Each run
is bounded: the window plus ``--grace`` seconds, then whatever is still running is stopped.

ABROAD_DATABASE_URL must name a scratch PostgreSQL database: the demo (``python -m abroad
demo``'s catalogue and selection) is loaded there when missing, the call's closing time is
changed, and the rush's students (usernames ``rush-*``) are deleted and created again at each
run. They are eligible with the demo's own data: the course of study, career and language
certificates of the demo's login ``student`` (an MSc student of Mechanical Engineering in good
standing), so each can choose the destinations the demo's student can. The server listens on
127.0.0.1 only, on a free port (benchmarks/pages.py's helpers), and is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from http.cookiejar import Cookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, constant, events, task
from locust.env import Environment
from locust.exception import StopUser

from pages import HOST, Page, free_port, measure, start_gunicorn

STEPS = (
    "log-in page",
    "log in",
    "call page",
    "save ranking",
    "page after saving",
    "submit",
    "page after submitting",
)
PASSWORD = "rush-password"  # the rush's students only, in a scratch database
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
MESSAGE = re.compile(r'<p class="message ([^"]*)">')
TARGET_P99_MS = 1000.0
SIGNED_IN = " (signed in before the rush)"


@dataclass
class Plan:
    """One simulated student: who, the ranking they send, and what happened."""

    username: str
    ranking: list[int]
    outcome: str = "not started"  # submitted, refused, error, not started
    saved: bool = False
    detail: str = ""
    cookie: str = ""  # with --signed-in: the session opened before the rush


@dataclass
class Run:
    students: int
    window: float
    deadline_after: float
    plans: list[Plan] = field(default_factory=list)
    code: str = ""
    started: float = 0.0
    next: int = 0  # the next plan a simulated student takes

    @property
    def deadline(self) -> float:
        return self.started + self.deadline_after


RUN: Run | None = None


class Student(FastHttpUser):
    """A student's session, once: log in (landing on the call page), save a ranking of six,
    submit. Without JavaScript, as a plain form posts: each post answers with a redirect
    to the call page, whose message says whether it was done."""

    wait_time = constant(0)
    network_timeout = 60.0
    connection_timeout = 60.0

    @task
    def rush(self) -> None:
        assert RUN is not None
        if RUN.next >= len(RUN.plans):
            raise StopUser()
        plan = RUN.plans[RUN.next]
        RUN.next += 1
        plan.outcome = "running"
        try:
            self.session(plan)
        except Exception as problem:
            plan.outcome, plan.detail = "error", f"{type(problem).__name__}: {problem}"
        raise StopUser()

    def session(self, plan: Plan) -> None:
        assert RUN is not None
        call_page = f"/calls/{RUN.code}/"
        if plan.cookie:
            self.client.cookiejar.set_cookie(session_cookie(plan.cookie))
        else:
            self.log_in(plan, call_page)
        page = self.get("call page", call_page)
        # A refused save or submit answers 409 with the page; a success redirects (302).
        status, where = self.post(
            "save ranking",
            f"/calls/{RUN.code}/ranking/",
            {"offer": plan.ranking, "csrfmiddlewaretoken": token(page)},
        )
        if status == 409:
            self.refused(plan, "save")
            return
        page = self.get("page after saving", where)
        plan.saved = True
        status, where = self.post(
            "submit", f"/calls/{RUN.code}/submit/", {"csrfmiddlewaretoken": token(page)}
        )
        if status == 409:
            self.refused(plan, "submit")
            return
        page = self.get("page after submitting", where)
        submitted = message(page)
        if "success" in submitted:
            plan.outcome = "submitted"
        else:
            plan.outcome, plan.detail = "error", f"submit said {submitted!r}"

    def log_in(self, plan: Plan, call_page: str) -> None:
        """The log-in form, landing on the call page."""
        page = self.get("log-in page", f"/accounts/login/?next={call_page}")
        _status, answer = self.post(
            "log in",
            "/accounts/login/",
            {
                "username": plan.username,
                "password": PASSWORD,
                "next": call_page,
                "csrfmiddlewaretoken": token(page),
            },
        )
        if answer != call_page:
            raise RuntimeError(f"log in went to {answer!r}")

    def refused(self, plan: Plan, step: str) -> None:
        """A refusal is expected after the deadline; before it, the call was open: an error
        (half a second of leeway for the server's clock and the request's time)."""
        assert RUN is not None
        if time.time() < RUN.deadline - 0.5:
            plan.outcome, plan.detail = "error", f"{step} refused before the deadline"
        else:
            plan.outcome, plan.detail = "refused", step

    def get(self, name: str, path: str) -> str:
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
                raise RuntimeError(f"{name}: {response.status_code}")
            return str(response.text)

    def post(self, name: str, path: str, data: dict[str, Any]) -> tuple[int, str]:
        """Post the form; answer the status and the redirect's target (302, a success) or the
        page (409, a refusal: expected once the deadline has passed)."""
        with self.client.post(
            path,
            name=name,
            data=urlencode(data, doseq=True),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 409:
                response.success()
                return 409, str(response.text)
            if response.status_code != 302:
                response.failure(f"{response.status_code}")
                raise RuntimeError(f"{name}: {response.status_code}")
            location = str(response.headers.get("Location", ""))
            response.success()
            return 302, location.removeprefix(f"http://{HOST}:{self.port}")

    @property
    def port(self) -> str:
        return str(self.host).rsplit(":", 1)[-1]


def session_cookie(value: str) -> Cookie:
    """Django's session cookie for the server on the loopback."""
    from django.conf import settings

    return Cookie(
        0, settings.SESSION_COOKIE_NAME, value, None, False, HOST, False, False, "/", True,
        False, None, False, None, None, {},
    )  # fmt: skip


def token(page: str) -> str:
    found = TOKEN.search(page)
    if found is None:
        raise RuntimeError("no form on the page")
    return found.group(1)


def message(page: str) -> str:
    """The tags of the page's messages ("success", "error", with "ranking" for the panel's)."""
    return " ".join(MESSAGE.findall(page))


# ---------------------------------------------------------------------------------- setup


def setup_django() -> Path:
    """abroad's settings, with a bare view at /__bare__/ (pages.start_gunicorn waits for it)."""
    scratch = Path(tempfile.mkdtemp(prefix="abroad-rush-"))
    os.environ["ABROAD_DATA_DIR"] = str(scratch)
    os.environ["ABROAD_ALLOWED_HOSTS"] = f"{HOST},testserver"
    (scratch / "rush_bench_urls.py").write_text(
        textwrap.dedent(
            """
            from django.http import HttpResponse
            from django.urls import path

            from abroad.urls import urlpatterns as abroad_urlpatterns

            def bare(request):
                return HttpResponse("ok", content_type="text/plain")

            urlpatterns = [path("__bare__/", bare), *abroad_urlpatterns]
            """
        )
    )
    (scratch / "rush_bench_settings.py").write_text(
        'from abroad.settings import *  # noqa\nROOT_URLCONF = "rush_bench_urls"\n'
    )
    sys.path.insert(0, str(scratch))
    os.environ["DJANGO_SETTINGS_MODULE"] = "rush_bench_settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("The rush runs on PostgreSQL: set ABROAD_DATABASE_URL to a scratch database.")
    call_command("migrate", verbosity=0)
    if settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache"):
        call_command("createcachetable", verbosity=0)
    from abroad.site.demo import catalogue as demo
    from abroad.site.demo.selection import load_selection_demo

    if not demo.is_loaded():
        demo.load_demo()
    load_selection_demo()
    return scratch


def prepare(students: int, window: float, late: float, seed: int, signed_in: bool) -> Run:
    """The rush's students (again), their rankings, and the call closing ``late`` x window
    before the window's end (counted from now: call it just before the rush starts)."""
    import datetime as dt

    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from abroad.people.enums import Role
    from abroad.people.models import LanguageCertificate, StudentCareer, User
    from abroad.selection import services
    from abroad.selection.models import Application, Call
    from abroad.site.demo.selection import ENGINEERING_CALL

    call = Call.objects.get(code=ENGINEERING_CALL)
    model = User.objects.select_related("course_of_study").get(username="student")
    career = StudentCareer.objects.get(student=model)
    certificates = list(LanguageCertificate.objects.filter(student=model))
    password = make_password(PASSWORD)  # one hash for all: hashing 1,000 takes minutes
    with transaction.atomic():
        Application.objects.filter(student__username__startswith="rush-").delete()
        User.objects.filter(username__startswith="rush-").delete()
        users = User.objects.bulk_create(
            User(
                username=f"rush-{number:05d}",
                first_name="Rush",
                last_name=f"Student {number}",
                email=f"rush-{number:05d}@students.invalid",
                password=password,
                role=Role.STUDENT,
                student_number=f"R{number:06d}",
                course_of_study=model.course_of_study,
            )
            for number in range(students)
        )
        fields = [
            f.attname
            for f in StudentCareer._meta.concrete_fields
            if f.attname not in ("id", "student_id")
        ]
        StudentCareer.objects.bulk_create(
            StudentCareer(student=user, **{name: getattr(career, name) for name in fields})
            for user in users
        )
        LanguageCertificate.objects.bulk_create(
            LanguageCertificate(student=user, language=c.language, level=c.level, name=c.name)
            for user in users
            for c in certificates
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    first = User.objects.select_related("course_of_study__school").get(pk=users[0].pk)
    problems = services.eligibility_problems(call, first)
    if problems:
        sys.exit(f"The rush's students are not eligible: {problems}")
    reasons = services.availability_reasons(call, first)
    choosable = sorted(pk for pk, why in reasons.items() if not why)
    rng = random.Random(seed)
    run = Run(students=students, window=window, deadline_after=window * (1 - late))
    run.code = call.code
    run.plans = [
        Plan(username=user.username, ranking=rng.sample(choosable, k=call.max_preferences))
        for user in users
    ]
    if signed_in:
        from django.conf import settings
        from django.test import Client

        for user, plan in zip(users, run.plans, strict=True):
            client = Client()
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
            plan.cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    run.started = time.time()
    Call.objects.filter(pk=call.pk).update(
        closes_at=timezone.now() + dt.timedelta(seconds=run.deadline_after)
    )
    return run


# ------------------------------------------------------------------------------ the rush


def rush(port: int, run: Run, grace: float) -> dict[str, dict[str, float]]:
    """Run the students against the server; the table of each step's times (ms)."""
    global RUN
    RUN = run
    environment = Environment(user_classes=[Student], events=events, host=f"http://{HOST}:{port}")
    runner = environment.create_local_runner()
    runner.start(run.students, spawn_rate=run.students / run.window)
    limit = time.monotonic() + run.window + grace
    while time.monotonic() < limit:
        gevent.sleep(0.5)
        spawned_all = runner.spawning_greenlet is None or runner.spawning_greenlet.dead
        if spawned_all and all(p.outcome not in ("not started", "running") for p in run.plans):
            break
    runner.quit()
    for plan in run.plans:
        if plan.outcome in ("not started", "running"):
            plan.outcome, plan.detail = "error", f"{plan.outcome} when the run ended"
    table: dict[str, dict[str, float]] = {}
    for step in STEPS:
        entry = environment.stats.entries.get((step, "GET")) or environment.stats.entries.get(
            (step, "POST")
        )
        if entry is None or entry.num_requests == 0:
            continue
        table[step] = {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50": entry.get_response_time_percentile(0.5),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
            "max": entry.max_response_time,
        }
    return table


@dataclass
class Check:
    lost: list[str]  # successes not stored as sent, half-stored rankings, late submissions
    unconfirmed: int  # submitted in the database though the student did not see it


def check(run: Run) -> Check:
    """Every success stored as sent; every failure or late attempt left nothing half stored."""
    from abroad.selection.enums import ApplicationState
    from abroad.selection.models import Application, Call, Preference

    call = Call.objects.get(code=run.code)
    deadline = call.closes_at
    applications = {
        a.student.username: a
        for a in Application.objects.filter(
            call=call, student__username__startswith="rush-"
        ).select_related("student")
    }
    stored: dict[int, list[int]] = {}
    for application_id, call_offer_id in (
        Preference.objects.filter(application__in=list(applications.values()))
        .order_by("application_id", "rank")
        .values_list("application_id", "call_offer_id")
    ):
        stored.setdefault(application_id, []).append(call_offer_id)
    lost: list[str] = []
    unconfirmed = 0
    for plan in run.plans:
        application = applications.get(plan.username)
        ranking = stored.get(application.pk, []) if application else []
        submitted = application is not None and application.state == ApplicationState.SUBMITTED
        if plan.outcome == "submitted":
            if not submitted or ranking != plan.ranking:
                lost.append(f"{plan.username}: submitted, stored {ranking} ({application})")
            continue
        if ranking and ranking != plan.ranking:
            lost.append(f"{plan.username}: half-stored ranking {ranking}")
        if submitted:
            unconfirmed += 1
            if ranking != plan.ranking:
                lost.append(f"{plan.username}: submitted with {ranking}")
    late = Application.objects.filter(call=call, submitted_at__gte=deadline).count()
    if late:
        lost.append(f"{late} applications submitted at or after the deadline")
    return Check(lost=lost, unconfirmed=unconfirmed)


def one_run(args: argparse.Namespace, students: int) -> bool:
    """One rush of ``students``: print its table and checks; whether it holds."""
    from abroad.site.demo.selection import ENGINEERING_CALL

    port = free_port()
    server = start_gunicorn(port, args.workers, Path(args.scratch))
    load = os.getloadavg()[0]
    try:
        # Both workers booted, their templates compiled, before the rush.
        for warm in ("/__bare__/", "/accounts/login/", f"/calls/{ENGINEERING_CALL}/"):
            measure(port, Page("warm-up", warm, warm), 2, 2.0)
        run = prepare(students, args.window, args.late, args.seed, args.signed_in)
        table = rush(port, run, args.grace)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    outcomes: dict[str, int] = {}
    for plan in run.plans:
        outcomes[plan.outcome] = outcomes.get(plan.outcome, 0) + 1
    refused_saving = sum(1 for p in run.plans if p.outcome == "refused" and p.detail == "save")
    print(
        f"\n{students} students{SIGNED_IN if args.signed_in else ''} over {args.window:.0f} s, "
        f"deadline at {run.deadline_after:.0f} s; "
        f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    )
    header = (
        f"{'step':<22} | {'requests':>8} | {'failed':>6} | {'p50':>6} | {'p95':>6} | "
        f"{'p99':>6} | {'max':>6} | p99<1s"
    )
    print(header)
    print("-" * len(header))
    worst = 0.0
    for step, row in table.items():
        worst = max(worst, row["p99"])
        print(
            f"{step:<22} | {row['requests']:>8.0f} | {row['failures']:>6.0f} | "
            f"{row['p50']:>6.0f} | {row['p95']:>6.0f} | {row['p99']:>6.0f} | "
            f"{row['max']:>6.0f} | {'yes' if row['p99'] < TARGET_P99_MS else 'NO'}"
        )
    errors = [p for p in run.plans if p.outcome == "error"]
    print(
        f"outcomes: {outcomes.get('submitted', 0)} submitted, {outcomes.get('refused', 0)} "
        f"refused after the deadline ({refused_saving} at saving, "
        f"{outcomes.get('refused', 0) - refused_saving} at submitting), {len(errors)} errors"
    )
    for plan in errors[:5]:
        print(f"  error: {plan.username}: {plan.detail}")
    result = check(run)
    print(
        f"database: {len(result.lost)} lost or half stored; {result.unconfirmed} submitted "
        "without the student seeing it (a late answer)"
    )
    for line in result.lost[:5]:
        print(f"  lost: {line}")
    holds = not result.lost and not errors and worst < TARGET_P99_MS
    print(f"holds (0 lost, 0 errors, p99 < 1 s at every step): {'yes' if holds else 'NO'}")
    return holds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200, help="students in one run")
    parser.add_argument("--window", type=float, default=60.0, help="seconds the arrivals span")
    parser.add_argument(
        "--late", type=float, default=0.1, help="share of the window after the deadline"
    )
    parser.add_argument("--grace", type=float, default=60.0, help="seconds allowed after it")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument(
        "--signed-in",
        action="store_true",
        help="sessions opened before the rush: no log-in (the password hash's cost) in it",
    )
    parser.add_argument(
        "--search",
        action="store_true",
        help="find the largest N that holds: double from --students, then halve the gap twice",
    )
    parser.add_argument("--max", type=int, default=2000, help="the search's largest N")
    args = parser.parse_args()
    args.scratch = str(setup_django())
    from django.db import connection

    print(
        f"database: {connection.vendor}; gunicorn -w {args.workers}; locust FastHttpUser in "
        f"this process; the call closes {args.late:.0%} of the window before its end"
    )
    connection.close()
    if not args.search:
        one_run(args, args.students)
        return
    good, bad = 0, 0
    n = args.students
    while n <= args.max:
        if one_run(args, n):
            good = n
            n *= 2
        else:
            bad = n
            if good or n == 1:
                break
            n //= 2  # the first N fails: look lower
            while n >= 1 and not one_run(args, n):
                bad, n = n, n // 2
            good = max(n, 0)
            break
    for _ in range(2):
        if not bad or not good or bad - good <= max(10, good // 10):
            break
        middle = (good + bad) // 2
        if one_run(args, middle):
            good = middle
        else:
            bad = middle
    print(
        f"\nlargest N that holds on this machine: {good or 'none'}"
        + (f" (fails at {bad})" if bad else f" (searched up to {args.max})")
    )


if __name__ == "__main__":
    main()
