"""The IIAs API v7 of the EWP node over real HTTP with real signatures (issue 14): index and
get for 2,000 agreements, beside the Echo API (signed both ways, no query of the agreements:
the floor) measured in the same run. Prints p50/p95/p99 in milliseconds per call type and
each one's p50 over the floor's.

    ABROAD_DATABASE_URL=postgres://abroad:abroad@127.0.0.1:5432/abroad_scratch \\
        .venv/bin/python benchmarks/ewp_iias.py [--agreements 2000] [--requests 200]

Every request is signed by a partner's client key (HTTP signature, Digest, X-Request-Id, as
ewp-specs-sec-cliauth-httpsig asks), and every answer's signature is verified against our
server key as the registry catalogue publishes it (ewp-specs-sec-srvauth-httpsig): the time
of a call is the client's, from signing the request to the verified answer. The server is
gunicorn (--workers, 2 by default) when it is installed, else the standard library's WSGI
server (a thread per request; --server chooses), on 127.0.0.1 and a free port, stopped at the
end; the registry catalogue (our manifest and the partner's host) is served by a thread of
this process. The calls are made one after the other by one client (--clients for more).

Call types: Echo (the floor); IIA index (all the agreements: the caller, TU Delft, is party to
every one); IIA get of 1 iia-id and of 50 (``max-iia-ids``), the ids drawn at random.
The index is slow by nature (each agreement is built and checked before it is listed), so it
is asked --index-requests times (20 by default).

The database named by ABROAD_DATABASE_URL must be a scratch database: it is flushed (without
it, SQLite in a temporary folder). The schema folder is ABROAD_EWP_SCHEMA_DIR, else
../shared/ewp beside the project (documents are checked against it before they leave).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # the test catalogue builder (tests/ewp/network/conftest.py)
HOST = "127.0.0.1"  # loopback only
HOME = "polimi.it"
PARTNER = "tudelft.nl"


class RegistryServer:
    """The registry: one catalogue, with an ETag, from a thread of this process."""

    def __init__(self) -> None:
        self.catalogue = b""
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                etag = '"' + hashlib.sha256(registry.catalogue).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(registry.catalogue)))
                self.end_headers()
                self.wfile.write(registry.catalogue)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((HOST, 0), Handler)
        self.url = f"http://{HOST}:{self.server.server_address[1]}/catalogue-v1.xml"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agreements", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200, help="calls per get and echo type")
    parser.add_argument("--index-requests", type=int, default=20, help="index calls")
    parser.add_argument("--clients", type=int, default=1, help="concurrent clients (threads)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--server", choices=("auto", "gunicorn", "wsgiref"), default="auto", help="the server"
    )
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="abroad-ewp-iias-"))
    port = free_port()
    registry_server = RegistryServer()
    schemas = os.environ.get("ABROAD_EWP_SCHEMA_DIR", str(ROOT.parent / "shared" / "ewp"))
    os.environ.update(
        {
            "ABROAD_DATA_DIR": str(scratch),
            "ABROAD_ALLOWED_HOSTS": HOST,
            "ABROAD_SITE_URL": f"http://{HOST}:{port}",
            "ABROAD_EWP_SCHEMA_DIR": schemas,
            "ABROAD_EWP_HEI_ID": HOME,
            "ABROAD_EWP_ADMIN_EMAIL": "ewp-admin@abroad.example.eu",
            "ABROAD_EWP_CLIENT_KEY": str(scratch / "client-key.pem"),
            "ABROAD_EWP_SERVER_KEY": str(scratch / "server-key.pem"),
            "ABROAD_EWP_REGISTRY_URL": registry_server.url,
            "ABROAD_EWP_REGISTRY_REFRESH_SECONDS": "86400",  # read once, before the run
            "DJANGO_SETTINGS_MODULE": "abroad.settings",
        }
    )

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from tests.ewp.network.conftest import catalogue_from, with_partner

    from abroad.ewp.network import keys, manifest, registry

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    if str(settings.CACHES["default"]["BACKEND"]).endswith("DatabaseCache"):
        call_command("createcachetable", verbosity=0)
    started = time.perf_counter()
    load(args.agreements)
    loaded = time.perf_counter() - started
    for role in keys.ROLES:
        keys.write(keys.path(role), keys.generate())
    partner = keys.KeyPair(keys.generate())
    registry_server.catalogue = with_partner(catalogue_from([manifest.build()]), partner, [PARTNER])
    registry.refresh(force=True)
    found = registry.catalogue()
    print(
        f"database: {connection.vendor}; {args.agreements} agreements loaded in {loaded:.0f} s; "
        f"{args.clients} client(s); load average "
        f"{os.getloadavg()[0]:.1f} at the start"
    )
    connection.close()

    server, server_name = start_server(port, args.workers, args.server)
    print(f"server: {server_name}")
    try:
        base = f"http://{HOST}:{port}/ewp"
        caller = Caller(partner, found)
        ids = caller.index_ids(f"{base}/iias/index")  # the warm-up: every worker, every query
        if len(ids) != args.agreements:
            sys.exit(f"the index lists {len(ids)} agreements, not {args.agreements}")
        rng = random.Random(14)
        calls: list[tuple[str, int, Callable[[], list[tuple[str, str]]], str]] = [
            ("Echo (floor)", args.requests, lambda: [("echo", "x")], f"{base}/echo"),
            ("IIA index (all)", args.index_requests, lambda: [], f"{base}/iias/index"),
            (
                "IIA get, 1 id",
                args.requests,
                lambda: [("iia_id", rng.choice(ids))],
                f"{base}/iias/get",
            ),
            (
                "IIA get, 50 ids",
                args.requests,
                lambda: [("iia_id", i) for i in rng.sample(ids, 50)],
                f"{base}/iias/get",
            ),
        ]
        for _name, _count, params, url in calls:  # each worker warm for each call type
            for _ in range(2 * args.workers):
                caller.call(url, params())
        header = (
            f"{'call':<18} | {'requests':>8} | {'p50 ms':>8} | {'p95 ms':>8} | {'p99 ms':>8} | "
            f"{'p50/floor':>9} | {'answer KB':>9}"
        )
        print(header)
        print("-" * len(header))
        floor = 0.0
        for name, count, params, url in calls:
            times, size = measure(caller, url, params, count, args.clients)
            p50, p95, p99 = percentiles(times)
            floor = floor or p50
            print(
                f"{name:<18} | {count:>8} | {p50:8.1f} | {p95:8.1f} | {p99:8.1f} | "
                f"{p50 / floor:9.1f} | {size / 1024:9.1f}",
                flush=True,
            )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


def load(count: int) -> None:
    """Our institution, TU Delft, and ``count`` Erasmus+ agreements with it, one offer each
    (as the IIA tests make them)."""
    from abroad.catalogue.enums import AgreementStatus, MobilityType, Programme
    from abroad.catalogue.models import Agreement, Institution, Offer

    Institution.objects.create(
        name="Politecnico di Milano",
        country="IT",
        city="Milano",
        erasmus_code="I  MILANO02",
        schac_code=HOME,
        is_home=True,
    )
    delft = Institution.objects.create(
        name="TU Delft", country="NL", city="Delft", erasmus_code="NL DELFT01", schac_code=PARTNER
    )
    agreements = Agreement.objects.bulk_create(
        Agreement(
            code=f"E+ NL DELFT01 {n:04d}",
            partner=delft,
            programme=Programme.ERASMUS,
            start_year=2026,
            end_year=2028,
            status=AgreementStatus.ACTIVE,
        )
        for n in range(count)
    )
    Offer.objects.bulk_create(
        Offer(
            agreement=agreement,
            mobility_type=MobilityType.STUDY,
            level_master=True,
            isced_code="0715",
            seats=2,
            months=6,
            language="en",
            language_level="B2",
        )
        for agreement in agreements
    )


class Caller:
    """TU Delft's client: signs with its key, verifies our answers against the catalogue."""

    def __init__(self, key: Any, catalogue: Any) -> None:
        self.key = key
        self.catalogue = catalogue

    def call(self, url: str, params: list[tuple[str, str]]) -> bytes:
        from abroad.ewp.network import client

        status, body, headers, sent = client.send(url, params=params, key=self.key)
        answer = client.verified(url, status, body, headers, sent, self.catalogue)
        if answer.status != 200:
            raise SystemExit(f"{url} answered {answer.status}: {client.message(body)}")
        return answer.body

    def index_ids(self, url: str) -> list[str]:
        from lxml import etree

        root = etree.fromstring(self.call(url, []))
        return [node.text or "" for node in root if etree.QName(node).localname == "iia-id"]


def measure(
    caller: Caller,
    url: str,
    params: Callable[[], list[tuple[str, str]]],
    count: int,
    clients: int,
) -> tuple[list[float], int]:
    """The times of ``count`` calls in milliseconds (``clients`` threads share them), and the
    size of the last answer."""
    times: list[float] = []
    size = 0
    lock = threading.Lock()
    left = [count]

    def work() -> None:
        nonlocal size
        while True:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
                asked = params()
            start = time.perf_counter()
            body = caller.call(url, asked)
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                times.append(elapsed)
                size = len(body)

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times, size


def percentiles(times: list[float]) -> tuple[float, float, float]:
    if len(times) < 2:
        return times[0], times[0], times[0]
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(port: int, workers: int, kind: str) -> tuple[subprocess.Popen[bytes], str]:
    """The server on ``port``: gunicorn with ``workers`` sync workers when it is installed
    (``auto``) or asked for, else one process of the standard library's WSGI server with a
    thread per request (the README's virtualenv has no gunicorn)."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if kind == "gunicorn" and not gunicorn.exists():
        sys.exit("gunicorn is not installed: .venv/bin/pip install -e '.[server]'")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    if kind != "wsgiref" and gunicorn.exists():
        command = [
            *(str(gunicorn), "abroad.wsgi", "-b", f"{HOST}:{port}", "-w", str(workers)),
            *("--log-level", "warning", "--timeout", "300"),
        ]
        name = f"gunicorn -w {workers}"
    else:
        command = [sys.executable, "-c", WSGIREF.format(host=HOST, port=port)]
        name = "wsgiref, a thread per request"
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return server, name
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("the server did not answer within 60 s")


WSGIREF = """
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from abroad.wsgi import application


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


make_server("{host}", {port}, application, Server, Quiet).serve_forever()
"""


if __name__ == "__main__":
    main()
