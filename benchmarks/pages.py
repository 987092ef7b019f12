"""Every page of every persona over real HTTP (issue 19): gunicorn with 2 workers on the
configured database, at 1, 8 and 32 clients, beside a bare Django view (the floor: the same
middleware, no query, no template) measured in the same run. Prints p50/p95 in milliseconds,
requests per second and each page's ratio to the floor (p50 over the floor's p50, and the
floor's requests per second over the page's). Targets: public pages p95 < 10 ms at one client;
personal pages p95 < 500 ms at 32 clients.

    .venv/bin/pip install -e '.[server]'   # gunicorn
    ABROAD_DATABASE_URL=postgres://abroad:abroad@127.0.0.1:5432/abroad_scratch \\
        .venv/bin/python benchmarks/pages.py [--seconds 1.5] [--clients 1,8,32] [--only public]
            [--first 10]

It loads the demo (the five loaders of ``python -m abroad demo``) into the database named by
ABROAD_DATABASE_URL, which must be a scratch database: it is flushed (without it, SQLite in a
temporary folder). The cache is the configured one (ABROAD_CACHE_URL; by default a file cache
in a temporary ABROAD_DATA_DIR, empty at the start). The server listens on 127.0.0.1 only, on
a free port, and is stopped at the end; each cell of the table lasts ``--seconds`` (after one
warm-up request that must answer 200), so the run is bounded: about pages x clients x seconds.
The clients are threads of this process (plain http.client, one connection per request, as
gunicorn's sync workers close them); they share the machine's cores with the server, for the
floor as for the pages. ``--first SECONDS`` first times each page's first request on a new
worker (one gunicorn per page, asked SECONDS after it opened its socket, so that the worker
has booted): what the first visitor of a new or restarted worker waits.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
HOST = "127.0.0.1"  # loopback only


@dataclass
class Page:
    persona: str
    name: str
    path: str
    cookie: str = ""
    public: bool = False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="duration of each cell")
    parser.add_argument("--clients", default="1,8,32", help="concurrent clients, comma-separated")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--only",
        default="",
        help="only the pages whose persona or name has one of these (comma-separated)",
    )
    parser.add_argument(
        "--first",
        type=float,
        default=0,
        metavar="SECONDS",
        help="also time each page's first request on a new worker, asked SECONDS after "
        "gunicorn opened its socket (enough for the worker to boot): one gunicorn per page",
    )
    args = parser.parse_args()
    clients = [int(n) for n in args.clients.split(",")]

    scratch = Path(tempfile.mkdtemp(prefix="abroad-pages-"))
    os.environ["ABROAD_DATA_DIR"] = str(scratch)
    os.environ["ABROAD_ALLOWED_HOSTS"] = f"{HOST},testserver"
    # The floor: a bare view in front of abroad's URLs, with abroad's settings otherwise.
    (scratch / "pages_bench_urls.py").write_text(
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
    (scratch / "pages_bench_settings.py").write_text(
        'from abroad.settings import *  # noqa\nROOT_URLCONF = "pages_bench_urls"\n'
    )
    sys.path.insert(0, str(scratch))
    os.environ["DJANGO_SETTINGS_MODULE"] = "pages_bench_settings"

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    if settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache"):
        call_command("createcachetable", verbosity=0)
    started = time.perf_counter()
    pages = load_and_list_pages()
    print(
        f"database: {connection.vendor}; cache: {settings.CACHES['default']['BACKEND']}; "
        f"demo loaded in {time.perf_counter() - started:.0f} s; gunicorn -w {args.workers}; "
        f"{args.seconds} s per cell; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the start"
    )
    wanted = [word for word in args.only.split(",") if word]
    pages = [p for p in pages if not wanted or any(w in f"{p.persona} {p.name}" for w in wanted)]
    connection.close()

    if args.first:
        first_requests(pages, scratch, args.first)
    port = free_port()
    server = start_gunicorn(port, args.workers, scratch)
    try:
        floor = Page("floor", "bare Django view", "/__bare__/")
        # Both workers booted and warm before the first cell.
        measure(port, floor, 4, 3.0)
        header = (
            f"{'persona':<10} | {'page':<34} | {'clients':>7} | {'p50':>7} | {'p95':>7} | "
            f"{'req/s':>7} | {'p50/floor':>9} | {'floor rps/page':>14} | target"
        )
        print(header)
        print("-" * len(header))
        floors: dict[int, tuple[float, float, float]] = {}
        for page in [floor, *pages]:
            warm(port, page, args.workers)
            for n in clients:
                p50, p95, rps = measure(port, page, n, args.seconds)
                if page is floor:
                    floors[n] = (p50, p95, rps)
                f50, _f95, frps = floors[n]
                target = ""
                if page.public and n == 1:
                    target = "p95<10 " + ("yes" if p95 < 10 else "NO")
                elif not page.public and page is not floor and n == max(clients):
                    target = "p95<500 " + ("yes" if p95 < 500 else "NO")
                print(
                    f"{page.persona:<10} | {page.name:<34} | {n:>7} | {p50:7.1f} | {p95:7.1f} | "
                    f"{rps:7.0f} | {p50 / f50:9.1f} | {frps / rps:14.1f} | {target}",
                    flush=True,
                )
    finally:
        stop(server)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")


def load_and_list_pages() -> list[Page]:
    """The demo, and the pages of each persona with a session cookie for the signed-in ones."""
    from django.conf import settings
    from django.test import Client

    from abroad.catalogue.models import Agreement, CourseOfStudy
    from abroad.mobility.models import Mobility
    from abroad.networks.models import AthensSession
    from abroad.people.models import User
    from abroad.selection.models import Call
    from abroad.site.demo import catalogue as demo
    from abroad.site.demo.mobility import load_mobility_demo
    from abroad.site.demo.networks import load_networks_demo
    from abroad.site.demo.recognition import load_recognition_demo
    from abroad.site.demo.selection import ENGINEERING_CALL, load_selection_demo

    demo.load_demo()
    load_selection_demo()
    load_mobility_demo()
    load_recognition_demo()
    load_networks_demo()

    def cookie(username: str) -> str:
        client = Client()
        client.force_login(User.objects.get(username=username))
        return (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )

    course = CourseOfStudy.objects.filter(offers__isnull=False).order_by("code").first()
    assert course is not None
    agreement = Agreement.objects.filter(offers__isnull=False).order_by("pk").first()
    assert agreement is not None
    session = AthensSession.objects.order_by("-starts_on").first()
    call = Call.objects.get(code=ENGINEERING_CALL)
    abroad = Mobility.objects.filter(student__username="erasmus").order_by("pk").first()
    assert abroad is not None
    student, erasmus, promoter, office = (
        cookie(name) for name in ("student", "erasmus", "promoter", "office")
    )
    pages = [
        Page("anonymous", "home", "/", public=True),
        Page("anonymous", "catalogue", "/destinations/", public=True),
        Page(
            "anonymous",
            "catalogue, course+country filters",
            f"/destinations/?course={course.code}&country=DE",
            public=True,
        ),
        Page(
            "anonymous", "catalogue, free text, page 2", "/destinations/?q=univ&page=2", public=True
        ),
        Page("anonymous", "map data", "/map/points.json", public=True),
        Page("anonymous", "agreement", f"/agreements/{agreement.pk}/", public=True),
        Page("anonymous", "information page", "/info/erasmus/", public=True),
        Page("anonymous", "contacts", "/contacts/", public=True),
        Page("anonymous", "ATHENS sessions", "/networks/", public=True),
        Page("anonymous", "API offers, course", f"/api/offers?course={course.code}", public=True),
        Page("anonymous", "API agreements", "/api/agreements", public=True),
    ]
    if session is not None:
        pages.insert(
            9,
            Page("anonymous", "ATHENS catalogue", f"/networks/athens/{session.code}/", public=True),
        )
    pages += [
        Page("student", "home (signed in)", "/", student),
        Page("student", "catalogue (signed in)", "/destinations/", student),
        Page("student", "my calls", "/calls/", student),
        Page("student", "call page (engineering)", f"/calls/{call.code}/", student),
        Page("erasmus", "timeline", f"/mobility/{abroad.pk}/", erasmus),
        Page("erasmus", "learning agreement", f"/mobility/{abroad.pk}/la/", erasmus),
        Page("promoter", "desk", "/mobility/desk/", promoter),
        Page("office", "mobilities", "/mobility/office/", office),
        Page("office", "calls", "/calls/office/", office),
        Page("office", "engineering call", f"/calls/office/{call.code}/", office),
        Page("office", "engineering ranking", f"/calls/office/{call.code}/ranking/", office),
    ]
    return pages


def first_requests(pages: list[Page], scratch: Path, wait: float) -> None:
    """Each page's first request on a worker that has just booted (one worker; nothing asked
    before it), then its second and third: the cost of a new or restarted worker's first
    visitor."""
    print(f"first requests on a new worker (asked {wait:.0f} s after the socket opened), ms:")
    for page in pages:
        port = free_port()
        server = start_gunicorn(port, 1, scratch, probe=False)
        try:
            time.sleep(wait)
            times = []
            for _ in range(3):
                start = time.perf_counter()
                status, _size = get(port, page.path, page.cookie)
                times.append((time.perf_counter() - start) * 1000)
                if status != 200:
                    sys.exit(f"{page.persona} {page.name} {page.path}: {status}")
        finally:
            stop(server)
        print(
            f"  {page.persona:<10} | {page.name:<34} | first {times[0]:7.1f} | "
            f"then {times[1]:6.1f}, {times[2]:6.1f}",
            flush=True,
        )


def stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_gunicorn(
    port: int, workers: int, scratch: Path, probe: bool = True
) -> subprocess.Popen[bytes]:
    """gunicorn on 127.0.0.1:port; returns once the bare view answers, or (``probe`` False:
    asking nothing of the workers) once the socket accepts connections."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        sys.exit("gunicorn is not installed: .venv/bin/pip install -e '.[server]'")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(scratch), str(ROOT / "src")]),
    }
    server = subprocess.Popen(
        [
            str(gunicorn),
            "abroad.wsgi",
            "-b",
            f"{HOST}:{port}",
            "-w",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if not probe:
                socket.create_connection((HOST, port), timeout=1).close()
                return server
            status, _ = get(port, "/__bare__/", "")
            if status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("gunicorn did not answer within 60 s")


def get(port: int, path: str, cookie: str) -> tuple[int, int]:
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        body = response.read()
        return response.status, len(body)
    finally:
        conn.close()


def warm(port: int, page: Page, workers: int) -> None:
    """The page once on every worker before it is measured (a worker's first request of a
    page compiles its templates and imports what it needs: seconds, which one warm-up request
    left to the other worker, inside the measured cell). Sync workers take one request at a
    time: twice as many requests at once as workers reach them all. Each must answer 200."""
    answers: list[int] = []

    def one() -> None:
        answers.append(get(port, page.path, page.cookie)[0])

    threads = [threading.Thread(target=one) for _ in range(2 * workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if any(status != 200 for status in answers):
        sys.exit(f"{page.persona} {page.name} {page.path}: {sorted(set(answers))}")


def measure(port: int, page: Page, clients: int, seconds: float) -> tuple[float, float, float]:
    times: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client() -> None:
        mine: list[float] = []
        while time.perf_counter() < stop:
            start = time.perf_counter()
            status, _ = get(port, page.path, page.cookie)
            mine.append((time.perf_counter() - start) * 1000)
            if status != 200:
                errors.append(status)
        with lock:
            times.extend(mine)

    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        print(f"  {page.name}: {len(errors)} answers not 200 ({sorted(set(errors))})")
    return statistics.median(times), percentile(times, 95), len(times) / elapsed


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))
    return ordered[index]


if __name__ == "__main__":
    main()
