"""Server time of the student's call page (issue 18, point 6) on the demo's engineering call
and on the same call with ten times the destinations, beside a floor measured in the same run
(the student's "My calls" page: the same session, log-in and base template, a handful of
queries). Prints a table of p50/p95 in milliseconds (target: p95 < 100 ms at 10x) with the
page's size, and the median CPU time of this process per request ("cpu": a loaded machine's
queue for the cores inflates it much less than the wall-clock times; on PostgreSQL the server's
share is not in it). ``--offers 523,2000`` grows the call to (about) those numbers of destinations
instead of ten times, for issue 19's target: the call page and the ranking's save (the plain
post a student without JavaScript sends, six destinations) under 30 ms at 523 and at 2,000.

    .venv/bin/python benchmarks/student_call_page.py [--requests 60] [--scale 10]
    .venv/bin/python benchmarks/student_call_page.py --offers 523,2000

It builds its own SQLite database in a temporary folder (or uses ABROAD_DATABASE_URL when set,
which must name a scratch database: it is flushed). Requests go through Django's test client in
this process as the demo's student (Giacomo Brivio, 3I MSc Mechanical Engineering), so the time
is the server's: URL routing, session, queries, template rendering.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60, help="requests per scenario")
    parser.add_argument("--scale", type=int, default=10, help="multiplier for the big run")
    parser.add_argument(
        "--offers",
        default="",
        help="comma-separated sizes of the call to measure after the demo's, instead of --scale",
    )
    args = parser.parse_args()

    if not os.environ.get("ABROAD_DATABASE_URL"):
        os.environ["ABROAD_DATA_DIR"] = tempfile.mkdtemp(prefix="abroad-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "abroad.settings")
    os.environ["ABROAD_ALLOWED_HOSTS"] = "testserver"

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from abroad.people.models import User
    from abroad.selection import services
    from abroad.selection.models import Call
    from abroad.site.demo.catalogue import load_demo
    from abroad.site.demo.selection import ENGINEERING_CALL, load_selection_demo

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    load_demo()
    load_selection_demo()
    call = Call.objects.get(code=ENGINEERING_CALL)
    client = Client()
    client.force_login(User.objects.get(username="student"))
    url = call.get_absolute_url()
    ranking = f"/calls/{call.code}/ranking/"
    scenarios = [
        ("floor: My calls", "get", "/calls/"),
        ("call page, no filter", "get", url),
        ("call page, search 'univ'", "get", f"{url}?q=univ"),
        ("call page, country DE, page 2", "get", f"{url}?country=DE&page=2"),
        ("call page, filters by HTMX", "htmx", f"{url}?programme=erasmus&isced=07"),
        ("rank a destination (HTMX)", "post", ranking),
        ("save ranking (6, plain post)", "save", ranking),
    ]
    anonymous = Client()
    print(f"database: {connection.vendor}; {args.requests} requests per row; times in ms")
    header = (
        f"{'data':>10} | {'offers':>6} | {'scenario':<30} | {'KB':>5} | {'queries':>7} | "
        f"{'p50':>7} | {'p95':>7} | {'max':>7} | {'cpu':>6} | p95<100"
    )
    print(header)
    print("-" * len(header))
    sizes = [int(size) for size in args.offers.split(",") if size.strip()]
    labels = (
        ["demo", *(f"to {size}" for size in sizes)] if sizes else ["demo", f"demo x{args.scale}"]
    )
    for label, size in zip(labels, [0, *sizes], strict=False):
        if size:
            grow_to(call, size)
        elif label != "demo":
            multiply(args.scale)
            services.fill_call_offers(call=call)
        offers = call.call_offers.count()
        reasons = services.availability_reasons(call, User.objects.get(username="student"))
        open_ids = sorted(pk for pk, why in reasons.items() if not why)
        rows = [*scenarios, ("public page (anonymous)", "public", url)]
        for name, method, target in rows:
            this = anonymous if method == "public" else client

            def request(
                this: Client = this,
                method: str = method,
                target: str = target,
                ranked: list[int] = open_ids[:3],
                six: list[int] = open_ids[:6],
            ) -> bytes:
                if method == "post":
                    data = {"offer": ranked, "moved": ranked[-1]}
                    response = this.post(target, data, HTTP_HX_REQUEST="true")
                elif method == "save":  # the rush's save: six, then a redirect to the page
                    response = this.post(target, {"offer": six})
                    assert response.status_code == 302, (target, response.status_code)
                    # Its message is shown by the next page: drop it, or they pile up.
                    this.cookies.pop("messages", None)
                    return b""
                elif method == "htmx":
                    response = this.get(target, HTTP_HX_REQUEST="true")
                else:
                    response = this.get(target)
                assert response.status_code == 200, (target, response.status_code)
                return bytes(response.content)

            counted: list[str] = []

            def count(execute: Any, sql: str, *rest: Any, counted: list[str] = counted) -> Any:
                counted.append(sql)
                return execute(sql, *rest)

            with connection.execute_wrapper(count):
                size = len(request())  # warm up, and check the page works
            times, cpu = [], []
            for _ in range(args.requests):
                start, start_cpu = time.perf_counter(), time.process_time()
                request()
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
            p50 = statistics.median(times)
            p95 = percentile(times, 95)
            print(
                f"{label:>10} | {offers:>6} | {name:<30} | {size / 1000:5.0f} | "
                f"{len(counted):>7} | {p50:7.1f} | {p95:7.1f} | "
                f"{max(times):7.1f} | {statistics.median(cpu):6.1f} | "
                f"{'yes' if p95 < 100 else 'NO'}"
            )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))
    return ordered[index]


COPIES = itertools.count(1)  # grow_to's copies, numbered apart


def grow_to(call: Any, size: int) -> None:
    """Copy the demo's agreements (all of them, then the first ones) until the call has about
    ``size`` destinations."""
    from abroad.catalogue.models import Agreement
    from abroad.selection import services

    originals = list(
        Agreement.objects.exclude(code__contains="-x").prefetch_related("offers__courses")
    )
    demo = call.call_offers.filter(offer__agreement__in=originals).count()
    while (have := call.call_offers.count()) < size:
        wanted = -(-(size - have) * len(originals) // demo)  # agreements, rounded up
        copy_agreements(originals[:wanted], next(COPIES))
        services.fill_call_offers(call=call)


def multiply(scale: int) -> None:
    """Copy every agreement and its offers (scale - 1) times, with new codes, in bulk."""
    from abroad.catalogue.models import Agreement

    originals = list(Agreement.objects.prefetch_related("offers__courses"))
    for copy in range(1, scale):
        copy_agreements(originals, copy)


def copy_agreements(originals: list[Any], copy: int) -> None:
    """Copy ``originals`` with their offers once, their codes ending in ``-x{copy}``."""
    from django.db import transaction

    from abroad.catalogue.models import Agreement, Offer

    through = Offer.courses.through
    with transaction.atomic():
        new_agreements = Agreement.objects.bulk_create(
            [
                Agreement(
                    code=f"{agreement.code}-x{copy}",
                    partner_id=agreement.partner_id,
                    programme=agreement.programme,
                    network_id=agreement.network_id,
                    start_year=agreement.start_year,
                    end_year=agreement.end_year,
                    status=agreement.status,
                    promoter_id=agreement.promoter_id,
                )
                for agreement in originals
            ]
        )
        pairs = [
            (
                Offer(
                    agreement=new,
                    mobility_type=offer.mobility_type,
                    level_bachelor=offer.level_bachelor,
                    level_master=offer.level_master,
                    level_doctorate=offer.level_doctorate,
                    isced_code=offer.isced_code,
                    seats=offer.seats,
                    months=offer.months,
                    extendable=offer.extendable,
                    language=offer.language,
                    language_level=offer.language_level,
                ),
                [course.pk for course in offer.courses.all()],
            )
            for original, new in zip(originals, new_agreements, strict=True)
            for offer in original.offers.all()
        ]
        created = Offer.objects.bulk_create([offer for offer, _ in pairs])
        through.objects.bulk_create(
            [
                through(offer_id=offer.pk, courseofstudy_id=course_id)
                for offer, (_, course_ids) in zip(created, pairs, strict=True)
                for course_id in course_ids
            ]
        )


if __name__ == "__main__":
    main()
