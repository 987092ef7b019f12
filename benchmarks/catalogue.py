"""Server time of the public catalogue, the map data and the API, with the demo data and with
ten times the demo data (first with the planner's statistics of the demo's size, then fresh, as
an import leaves them). Prints a table of p50/p95 in milliseconds (target: p95 < 100 ms).

    .venv/bin/python benchmarks/catalogue.py [--requests 60] [--scale 10]

It builds its own SQLite database in a temporary folder (or uses ABROAD_DATABASE_URL when set,
which must name a scratch database: it is flushed). Requests go through Django's test client in
this process, so the time is the server's: URL routing, queries, template rendering.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60, help="requests per scenario")
    parser.add_argument("--scale", type=int, default=10, help="multiplier for the big run")
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

    from abroad.catalogue.models import CourseOfStudy, Offer
    from abroad.site.demo.catalogue import load_demo

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    load_demo()
    course = CourseOfStudy.objects.filter(offers__isnull=False).order_by("code").first()
    assert course is not None
    scenarios = [
        ("catalogue, no filter", "/destinations/"),
        ("catalogue, course of study", f"/destinations/?course={course.code}"),
        ("catalogue, country+language", "/destinations/?country=DE&language=en&sort=seats"),
        ("catalogue, free text, page 3", "/destinations/?q=universit&page=3"),
        ("map data, no filter", "/map/points.json"),
        ("API offers, no filter", "/api/offers"),
        ("API offers, course of study", f"/api/offers?course={course.code}"),
    ]
    client = Client()
    print(f"database: {connection.vendor}; {args.requests} requests per row; times in ms")
    header = (
        f"{'data':>10} | {'offers':>6} | {'scenario':<30} | "
        f"{'p50':>7} | {'p95':>7} | {'max':>7} | p95<100"
    )
    print(header)
    print("-" * len(header))
    from abroad.core.importing import refresh_statistics

    # Ten times the data twice: with the planner's statistics of the demo's size (as before
    # imports refreshed them), then after ``refresh_statistics``, as an import leaves them.
    for label in ("demo", f"x{args.scale} stale", f"x{args.scale}"):
        if label == f"x{args.scale} stale":
            multiply(args.scale)
        elif label != "demo":
            refresh_statistics()
        offers = Offer.objects.count()
        for name, url in scenarios:
            times = measure(client, url, args.requests)
            p50 = statistics.median(times)
            p95 = percentile(times, 95)
            print(
                f"{label:>10} | {offers:>6} | {name:<30} | {p50:7.1f} | {p95:7.1f} | "
                f"{max(times):7.1f} | {'yes' if p95 < 100 else 'NO'}"
            )


def measure(client: object, url: str, requests: int) -> list[float]:
    from django.test import Client

    assert isinstance(client, Client)
    response = client.get(url)  # warm up caches and check the page works
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return times


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))
    return ordered[index]


def multiply(scale: int) -> None:
    """Copy every agreement and its offers (scale - 1) times, with new codes."""
    from django.db import transaction

    from abroad.catalogue.models import Agreement, Offer

    originals = list(Agreement.objects.prefetch_related("offers__courses"))
    through = Offer.courses.through
    with transaction.atomic():
        for copy in range(1, scale):
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
            pairs = []
            for original, new in zip(originals, new_agreements, strict=True):
                for offer in original.offers.all():
                    pairs.append(
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
                    )
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
