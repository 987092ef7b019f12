"""Rank, allocate and store a whole call on the real database: N applications with 6 ranked
preferences each over N/10 destinations (seats for about 0.75 N), through the services the
office uses (rank_call, run_round), then publish the round (publish_round: its e-mails are
handed to the outbox when the transaction commits, timed with it) and open the office's round
page (its first page, through the test client, as the office). Prints a table with the
machine's load; target: 20,000 applications under 20 s for rank + allocate + store, and the
round page under 300 ms (issue 19).

    ABROAD_DATABASE_URL=postgres://.../scratch .venv/bin/python benchmarks/call_pipeline.py \
        [--applications 20000]

Without ABROAD_DATABASE_URL it uses a temporary SQLite database. The database named by
ABROAD_DATABASE_URL is a scratch one: the script flushes it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, nargs="+", default=[2000, 20000])
    args = parser.parse_args()
    if not os.environ.get("ABROAD_DATABASE_URL"):
        os.environ["ABROAD_DATA_DIR"] = tempfile.mkdtemp(prefix="abroad-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "abroad.settings")
    os.environ["ABROAD_ALLOWED_HOSTS"] = "testserver"
    # Publishing e-mails every applicant: kept in memory here, not printed to the console.
    os.environ["ABROAD_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(
        f"database: {connection.vendor}; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the start"
    )
    header = (
        f"{'applications':>12} | {'offers':>6} | {'seats':>6} | {'setup s':>8} | "
        f"{'rank s':>7} | {'allocate+store s':>16} | {'total s':>7} | under 20 s | "
        f"{'publish s':>9} | {'round page ms':>13} | {'KB':>5} | under 300 ms"
    )
    print(header)
    print("-" * len(header))
    for size in args.applications:
        call_command("flush", interactive=False, verbosity=0)
        started = time.perf_counter()
        call, offers, seats = build(size)
        setup = time.perf_counter() - started
        rank, run, publish, page_ms, page_kb = pipeline(call)
        print(
            f"{size:>12} | {offers:>6} | {seats:>6} | {setup:8.1f} | {rank:7.2f} | "
            f"{run:16.2f} | {rank + run:7.2f} | {'yes' if rank + run < 20 else 'NO':>10} | "
            f"{publish:9.2f} | {page_ms:13.1f} | {page_kb:5.0f} | "
            f"{'yes' if page_ms < 300 else 'NO'}"
        )
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")


def build(size: int) -> tuple[object, int, int]:
    """A closed call with ``size`` submitted applications (bulk inserts, not measured)."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from abroad.catalogue.models import Agreement, CourseOfStudy, Institution, Offer, School
    from abroad.people.models import LanguageCertificate, StudentCareer, User
    from abroad.selection.models import Application, Call, CallOffer, Preference

    rng = random.Random(2026)
    now = timezone.now()
    school = School.objects.create(code="3I", name="Industrial and Information Engineering")
    course = CourseOfStudy.objects.create(
        code="MECH-MSC", name="Mechanical", level="MSc", school=school
    )
    destinations = max(size // 10, 1)
    partners = Institution.objects.bulk_create(
        Institution(name=f"Partner {n}", country="DE", city="Berlin") for n in range(destinations)
    )
    agreements = Agreement.objects.bulk_create(
        Agreement(
            code=f"A{n}",
            partner=partner,
            programme="erasmus",
            start_year=2026,
            end_year=2028,
            status="active",
        )
        for n, partner in enumerate(partners)
    )
    total_seats = round(0.75 * size)
    seat_counts = [1] * destinations
    for _ in range(total_seats - destinations):
        seat_counts[rng.randrange(destinations)] += 1
    offers = Offer.objects.bulk_create(
        Offer(
            agreement=agreement,
            level_master=True,
            isced_code="0715",
            seats=min(seats, 200),
            months=6,
            language="en",
        )
        for agreement, seats in zip(agreements, seat_counts, strict=True)
    )
    Offer.courses.through.objects.bulk_create(
        Offer.courses.through(offer_id=offer.pk, courseofstudy_id=course.pk) for offer in offers
    )
    call = Call.objects.create(
        code="bench",
        title="Benchmark",
        academic_year=2027,
        opens_at=now - dt.timedelta(days=30),
        closes_at=now - dt.timedelta(days=1),
    )
    call.schools.add(school)
    call_offers = CallOffer.objects.bulk_create(
        CallOffer(call=call, offer=offer, seats=offer.seats) for offer in offers
    )
    password = make_password("x")
    users = User.objects.bulk_create(
        User(
            username=f"s{n}",
            password=password,
            role="student",
            course_of_study=course,
            student_number=str(100000 + n),
            email=f"s{n}@example.org",
        )
        for n in range(size)
    )
    StudentCareer.objects.bulk_create(
        StudentCareer(
            student=user,
            first_enrolment_year=2023,
            credits_bachelor=180,
            credits_master=rng.randrange(0, 90),
            average_bachelor=Decimal(rng.randrange(1800, 3000)) / 100,
            average_master=Decimal(rng.randrange(1800, 3000)) / 100,
            first_year_completed=True,
            previous_exchanges=rng.choice([0, 0, 0, 1]),
        )
        for user in users
    )
    LanguageCertificate.objects.bulk_create(
        LanguageCertificate(student=user, language="en", level="C1") for user in users
    )
    applications = Application.objects.bulk_create(
        Application(call=call, student=user, state="submitted", submitted_at=now) for user in users
    )
    # Popularity skew: low-numbered destinations are wanted much more (Zipf-like).
    weights = [1 / (n + 1) for n in range(destinations)]
    preferences = []
    for application in applications:
        chosen: list[int] = []
        while len(chosen) < min(6, destinations):
            pick = rng.choices(range(destinations), weights)[0]
            if pick not in chosen:
                chosen.append(pick)
        preferences.extend(
            Preference(application=application, rank=rank, call_offer=call_offers[pick])
            for rank, pick in enumerate(chosen, start=1)
        )
    Preference.objects.bulk_create(preferences, batch_size=5000)
    return call, destinations, sum(min(s, 200) for s in seat_counts)


def pipeline(call: object) -> tuple[float, float, float, float, float]:
    """Seconds to rank, to allocate and store, to publish; the round page's best time of 5
    (ms) and its size (KB)."""
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from abroad.people.enums import Role
    from abroad.people.models import User
    from abroad.selection import services
    from abroad.selection.models import Call

    assert isinstance(call, Call)
    started = time.perf_counter()
    services.rank_call(call=call)
    ranked = time.perf_counter()
    round_ = services.create_round(
        call=call, acceptance_deadline=timezone.now() + dt.timedelta(days=7)
    )
    services.run_round(round=round_)
    stored = time.perf_counter()
    services.publish_round(round=round_)  # its own transaction: the e-mails go on commit
    published = time.perf_counter()
    office, _created = User.objects.get_or_create(
        username="bench-office", defaults={"role": Role.OFFICE}
    )
    client = Client()
    client.force_login(office)
    url = reverse("selection:office_round", kwargs={"code": call.code, "number": round_.number})
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    times = []
    for _ in range(5):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return (
        ranked - started,
        stored - ranked,
        published - stored,
        min(times),
        len(response.content) / 1024,
    )


if __name__ == "__main__":
    main()
