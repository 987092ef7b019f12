"""Server time of the public catalogue, the map data and the API, every filter, with the demo
data and with ten times the demo data (partners, map points, agreements and offers; first with
the planner's statistics of the demo's size, then fresh, as an import leaves them), beside a
bare view (the floor) in the same run. Prints p50/p95 in milliseconds (target: p95 < 100 ms) and
the machine's load average, and the median CPU time of this process per request ("cpu"): on a
loaded machine the wall-clock times measure the queue for the cores as much as the page, the
CPU time much less (on SQLite it includes the queries; on PostgreSQL the server's share is not
in it). The page cache is off: every request is a miss.

    .venv/bin/python benchmarks/catalogue.py [--requests 60] [--scale 10] [--phases fresh]

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
    parser.add_argument(
        "--phases",
        default="demo,stale,fresh",
        help="which tables to measure, comma-separated: demo (the demo's size), stale (ten "
        "times the data, statistics of the demo's size), fresh (ten times, fresh statistics)",
    )
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="abroad-bench-"))
    if not os.environ.get("ABROAD_DATABASE_URL"):
        os.environ["ABROAD_DATA_DIR"] = str(scratch)
    # The floor: a bare view in front of abroad's URLs (benchmarks/pages.py's), same middleware.
    (scratch / "catalogue_bench_urls.py").write_text(
        "from django.http import HttpResponse\n"
        "from django.urls import path\n"
        "from abroad.urls import urlpatterns as abroad_urlpatterns\n"
        "def bare(request):\n"
        '    return HttpResponse("ok", content_type="text/plain")\n'
        'urlpatterns = [path("__bare__/", bare), *abroad_urlpatterns]\n'
    )
    (scratch / "catalogue_bench_settings.py").write_text(
        'from abroad.settings import *  # noqa\nROOT_URLCONF = "catalogue_bench_urls"\n'
    )
    sys.path.insert(0, str(scratch))
    os.environ["DJANGO_SETTINGS_MODULE"] = "catalogue_bench_settings"
    os.environ["ABROAD_ALLOWED_HOSTS"] = "testserver"
    # No page cache: the public pages are cached (abroad.core.cache) and a hit reads no data;
    # what is measured here is a miss, what every page costs after a change of the catalogue.
    os.environ["ABROAD_CACHE_URL"] = "dummy://"

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from abroad.catalogue.models import Agreement, CourseOfStudy, Network, Offer
    from abroad.site.demo.catalogue import load_demo

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    load_demo()
    course = CourseOfStudy.objects.filter(offers__isnull=False).order_by("code").first()
    network = Network.objects.filter(agreements__isnull=False).order_by("code").first()
    assert course is not None
    assert network is not None
    # Every filter of the catalogue and of the API, each alone, and a few together.
    scenarios = [
        ("catalogue, no filter", "/destinations/"),
        ("catalogue, course of study", f"/destinations/?course={course.code}"),
        ("catalogue, country", "/destinations/?country=DE"),
        ("catalogue, programme", "/destinations/?programme=erasmus"),
        ("catalogue, network", f"/destinations/?network={network.code}"),
        ("catalogue, degree level", "/destinations/?eqf=7"),
        ("catalogue, ISCED-F field", "/destinations/?isced=07"),
        ("catalogue, language", "/destinations/?language=en"),
        ("catalogue, language level", "/destinations/?language=en&language_level=B2"),
        ("catalogue, mobility for thesis", "/destinations/?mobility_type=thesis"),
        ("catalogue, sort by seats", "/destinations/?sort=seats"),
        ("catalogue, free text, page 3", "/destinations/?q=universit&page=3"),
        ("catalogue, course+country", f"/destinations/?course={course.code}&country=DE"),
        ("catalogue, country+language", "/destinations/?country=DE&language=en&sort=seats"),
        ("map data, no filter", "/map/points.json"),
        ("map data, course of study", f"/map/points.json?course={course.code}"),
        ("API institutions", "/api/institutions"),
        ("API institutions, country+q", "/api/institutions?country=DE&q=univ"),
        ("API agreements", "/api/agreements"),
        ("API agreements, course", f"/api/agreements?course={course.code}"),
        ("API agreements, network", f"/api/agreements?network={network.code}"),
        ("API agreements, programme+q", "/api/agreements?programme=erasmus&q=univ"),
        ("API offers, no filter", "/api/offers"),
        ("API offers, course of study", f"/api/offers?course={course.code}"),
        ("API offers, country", "/api/offers?country=DE"),
        ("API offers, language+level", "/api/offers?language=en&language_level=B2"),
        ("API offers, eqf+isced", "/api/offers?eqf=7&isced=07"),
        ("API offers, thesis, by seats", "/api/offers?mobility_type=thesis&sort=seats"),
    ]
    client = Client()
    print(
        f"database: {connection.vendor}; no page cache (every request a miss); "
        f"{args.requests} requests per row; times in ms; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the start"
    )
    header = (
        f"{'data':>10} | {'partners':>8} | {'offers':>6} | {'scenario':<30} | "
        f"{'p50':>7} | {'p95':>7} | {'max':>7} | {'cpu':>6} | p95<100"
    )
    print(header)
    print("-" * len(header))
    from abroad.core.importing import refresh_statistics

    # Ten times the data twice: with the planner's statistics of the demo's size (as before
    # imports refreshed them), then after ``refresh_statistics``, as an import leaves them.
    phases = {phase.strip() for phase in args.phases.split(",")}
    for phase, label in (
        ("demo", "demo"),
        ("stale", f"x{args.scale} stale"),
        ("fresh", f"x{args.scale}"),
    ):
        if phase == "stale":
            multiply(args.scale)
        elif phase == "fresh":
            refresh_statistics()
        if phase not in phases:
            continue
        offers = Offer.objects.count()
        partners = Agreement.objects.values("partner_id").distinct().count()
        floor, cpu = measure(client, "/__bare__/", args.requests)
        print(
            f"{label:>10} | {partners:>8} | {offers:>6} | {'floor (bare view)':<30} | "
            f"{statistics.median(floor):7.1f} | {percentile(floor, 95):7.1f} | "
            f"{max(floor):7.1f} | {statistics.median(cpu):6.1f} |"
        )
        for name, url in scenarios:
            times, cpu = measure(client, url, args.requests)
            p50 = statistics.median(times)
            p95 = percentile(times, 95)
            print(
                f"{label:>10} | {partners:>8} | {offers:>6} | {name:<30} | {p50:7.1f} | "
                f"{p95:7.1f} | {max(times):7.1f} | {statistics.median(cpu):6.1f} | "
                f"{'yes' if p95 < 100 else 'NO'}"
            )
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")


def measure(client: object, url: str, requests: int) -> tuple[list[float], list[float]]:
    """Each request's wall-clock time and this process's CPU time, in ms."""
    from django.test import Client

    assert isinstance(client, Client)
    response = client.get(url)  # warm up caches and check the page works
    assert response.status_code == 200, (url, response.status_code)
    times, cpu = [], []
    for _ in range(requests):
        start, start_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return times, cpu


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))
    return ordered[index]


def multiply(scale: int) -> None:
    """Copy every partner institution (scale - 1) times, a little apart on the map and with its
    networks, and every agreement and its offers with it, with new codes: the partners, the
    map's points and the offers all grow with the scale (copying the agreements alone kept the
    partners' list and the map at the demo's size, which flattered both)."""
    from decimal import Decimal

    from django.db import transaction

    from abroad.catalogue.models import Agreement, Institution, NetworkMembership, Offer

    originals = list(Agreement.objects.prefetch_related("offers__courses"))
    partner_ids = {agreement.partner_id for agreement in originals}
    partners = {p.pk: p for p in Institution.objects.filter(pk__in=partner_ids)}
    memberships = list(NetworkMembership.objects.filter(institution_id__in=partner_ids))
    through = Offer.courses.through
    with transaction.atomic():
        for copy in range(1, scale):
            step = Decimal(copy) / 100  # about a kilometre a copy: another point on the map
            copies = dict(
                zip(
                    partners,
                    Institution.objects.bulk_create(
                        [
                            Institution(
                                name=f"{partner.name} ({copy + 1})",
                                name_en=f"{partner.name_en} ({copy + 1})"
                                if partner.name_en
                                else "",
                                country=partner.country,
                                city=partner.city,
                                latitude=partner.latitude + step
                                if partner.latitude is not None
                                else None,
                                longitude=partner.longitude + step
                                if partner.longitude is not None
                                else None,
                                website=partner.website,
                                source="benchmarks/catalogue.py",
                            )
                            for partner in partners.values()
                        ]
                    ),
                    strict=True,
                )
            )
            NetworkMembership.objects.bulk_create(
                [
                    NetworkMembership(
                        network_id=membership.network_id,
                        institution_id=copies[membership.institution_id].pk,
                        member_since=membership.member_since,
                    )
                    for membership in memberships
                ]
            )
            new_agreements = Agreement.objects.bulk_create(
                [
                    Agreement(
                        code=f"{agreement.code}-x{copy}",
                        partner_id=copies[agreement.partner_id].pk,
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
