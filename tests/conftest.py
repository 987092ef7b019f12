"""Shared fixtures: the personas (student, another student, promoter, office, the office of
the objects' School, another School's office, anonymous),
and the browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import translation

from abroad.people.enums import Role
from abroad.people.models import User
from tests.factories import CourseOfStudyFactory, PromoterFactory, SchoolFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("ABROAD_CHROMIUM", "/usr/bin/chromium")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests need Chromium. Without it they skip, unless ABROAD_REQUIRE_BROWSER is
    set (CI sets it), in which case they fail: in CI the browser tests must run.

    With ABROAD_SPLIT_BY_DATABASE set (CI runs the suite twice, on SQLite then on PostgreSQL,
    and sets it to stay within its time), a test that does not depend on the database runs
    once: one marked ``once`` (it reads and draws pages, or checks a tool's verdict) in the
    SQLite run, and a browser journey (it writes through the pages) in the PostgreSQL run.
    Every integration test, which exercises the queries, still runs on both."""
    if not shutil.which(CHROMIUM) and not os.environ.get("ABROAD_REQUIRE_BROWSER"):
        skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
        for item in items:
            if "e2e" in item.keywords:
                item.add_marker(skip)
    if not os.environ.get("ABROAD_SPLIT_BY_DATABASE"):
        return
    on_postgresql = bool(os.environ.get("ABROAD_DATABASE_URL"))
    read_once = pytest.mark.skip(reason="does not depend on the database: the SQLite run has it")
    journey = pytest.mark.skip(reason="a browser journey: the PostgreSQL run has it")
    for item in items:
        if "once" in item.keywords and on_postgresql:
            item.add_marker(read_once)
        elif "e2e" in item.keywords and "once" not in item.keywords and not on_postgresql:
            item.add_marker(journey)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """On PostgreSQL, no autovacuum in the test database. Every test's rows are rolled back;
    autovacuum then finds the tables empty but with pages and writes that down, in place, and
    a later test holding thousands of rows got plans for empty tables (nested loops over
    sequential scans: minutes per query). Production autovacuums committed rows only. Runs
    outside any transaction (VACUUM cannot run inside one)."""
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            for (table,) in cursor.fetchall():
                cursor.execute(f'ALTER TABLE "{table}" SET (autovacuum_enabled = false)')
            # A database kept from an earlier run (--reuse-db) may hold such figures already:
            # a vacuum gives the empty tables back their pages, so the planner measures them.
            cursor.execute("VACUUM")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def student(db: None) -> User:
    return UserFactory.create(
        username="student", role=Role.STUDENT, course_of_study=CourseOfStudyFactory.create()
    )


@pytest.fixture
def other_student(db: None) -> User:
    return UserFactory.create(username="other-student", role=Role.STUDENT)


@pytest.fixture
def promoter(db: None) -> User:
    user: User = PromoterFactory.create(user__username="promoter").user
    return user


@pytest.fixture
def office(db: None) -> User:
    return UserFactory.create(username="office", role=Role.OFFICE)


@pytest.fixture
def school_office(db: None) -> User:
    """An office user scoped to the School the factories' objects belong to (3I: the
    student's course of study's, the calls')."""
    return UserFactory.create(
        username="school-office", role=Role.OFFICE, office_school=SchoolFactory.create()
    )


@pytest.fixture
def other_school_office(db: None) -> User:
    """An office user scoped to another School, which none of the factories' objects belong
    to: it sees the office's pages, never another School's objects."""
    school = SchoolFactory.create(code="ELSEWHERE", name="Another School")
    return UserFactory.create(
        username="other-school-office", role=Role.OFFICE, office_school=school
    )


@pytest.fixture
def people(
    student: User,
    other_student: User,
    promoter: User,
    office: User,
    school_office: User,
    other_school_office: User,
) -> dict[str, object]:
    """The people the rules tests ask about (tests/who_may.py); an app's test may define its own."""
    return {
        "owner": student,
        "other_student": other_student,
        "promoter": promoter,
        "office": office,
        "school_office": school_office,
        "other_school_office": other_school_office,
        "anonymous": AnonymousUser(),
        "superuser": UserFactory.create(username="root", role=Role.ADMIN, is_superuser=True),
    }


def logged_in(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def personas(
    student: User,
    other_student: User,
    promoter: User,
    office: User,
    school_office: User,
    other_school_office: User,
) -> dict[str, Client]:
    """A client for each persona, anonymous included."""
    return {
        "student": logged_in(student),
        "other_student": logged_in(other_student),
        "promoter": logged_in(promoter),
        "office": logged_in(office),
        "school_office": logged_in(school_office),
        "other_school_office": logged_in(other_school_office),
        "anonymous": logged_in(None),
    }


@pytest.fixture(autouse=True)
def _english_first() -> None:
    """Every test starts in the site's language. A request in Italian leaves Italian active in
    the thread (the locale middleware activates it and nothing deactivates it), and a test
    that ran after it on the same worker read Italian where it expected English."""
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Any) -> None:
    """Uploads and generated files (the jobs' too) go to the test's own folder, never to
    ./var; and passwords are hashed with a fast hasher (PBKDF2's million rounds cost a third
    of a second per test user; the hashing itself is Django's, not ours, to test). Background
    tasks run at once, in the test (the e-mails land in ``mail.outbox`` when the change
    commits); the delivery tests in tests/core/test_mail_delivery.py run the real database
    worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JOBS_ROOT = tmp_path / "jobs"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # No promoter's digest unless a test asks for one (tests/site/test_digest.py): a test that
    # runs the scheduler "in 31 minutes" met 7:00 in Rome when run at 6:29-7:00, and counted
    # a digest among its messages.
    settings.DIGEST_HOUR = 24
    # Each test (and each pytest-xdist worker) has its own empty cache: the database's rows
    # are rolled back after a test, cached pages rendered from them must go too.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()
