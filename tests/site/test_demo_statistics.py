"""The demo leaves the query planner statistics of every table it fills (issue 19)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection


def planner_rows(table: str) -> float | None:
    """How many rows the planner believes ``table`` holds (None: no statistics)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone() is None:
                return None
            # One row per index; a partial index counts its own rows, a full one the table's.
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
            counts = [float(stat.split()[0]) for (stat,) in cursor.fetchall()]
            return max(counts) if counts else None
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        (rows,) = cursor.fetchone()
        return None if rows < 0 else float(rows)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_demo_command_analyses_after_its_last_loader() -> None:
    """Every table the demo fills has the planner's statistics of its size once the command
    has run (without them SQLite guesses its plans). The command analyses after its last
    loader: before, the tables were fresh only because the last loader (grants) happens to
    import its rates through ``write_atomically``."""
    call_command("demo", stdout=StringIO())
    stale = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            if table.startswith("sqlite_"):
                continue
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # the schema's own names
            (rows,) = cursor.fetchone()
            if rows and planner_rows(table) != rows:
                stale[table] = (rows, planner_rows(table))
    assert stale == {}
