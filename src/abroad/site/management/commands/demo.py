"""``python -m abroad demo [--serve] [--reset] [--scale N] [--addrport 127.0.0.1:8000]``: a
ready-to-try installation. Migrates the database (SQLite in ./var unless ABROAD_DATABASE_URL
says otherwise), loads the demo data once, prints the logins, and with --serve runs the site.
``--scale 10`` loads ten times the demo's agreements, offers and students (the engineering call
then has over 2,000 offers)."""

from __future__ import annotations

import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from abroad.core.importing import refresh_statistics
from abroad.site.demo import catalogue as demo
from abroad.site.demo.grants import load_grants_demo
from abroad.site.demo.history import load_history_demo
from abroad.site.demo.mobility import load_mobility_demo
from abroad.site.demo.networks import load_networks_demo
from abroad.site.demo.recognition import load_recognition_demo
from abroad.site.demo.selection import load_selection_demo


class Command(BaseCommand):
    help = (
        "Set up a demo: migrate, load Politecnico di Milano with real partners and invented "
        "agreements, offers and people, print the logins; --serve also runs the site."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--serve", action="store_true", help="Run the site after loading (runserver)."
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Empty the database first (every table: this deletes all data), then load.",
        )
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            metavar="N",
            help=(
                "Multiply the demo's agreements, offers and students by N (default 1; 10 gives "
                "an engineering call with over 2,000 offers). Only when the demo is loaded."
            ),
        )
        parser.add_argument(
            "--addrport",
            default="127.0.0.1:8000",
            help="Where --serve listens (default 127.0.0.1:8000).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("Migrating the database...")
        call_command("migrate", interactive=False, verbosity=0)
        if options["reset"]:
            self.stdout.write("Emptying the database (--reset)...")
            call_command("flush", interactive=False, verbosity=0)

        scale = options["scale"]
        if scale < 1:
            raise CommandError("--scale is 1 or more.")
        if demo.is_loaded():
            self.stdout.write("The demo data is already loaded (use --reset to start again).")
            if scale != 1:
                self.stdout.write("--scale applies when the demo is loaded: add --reset.")
            summary = demo.summary()
        else:
            self.stdout.write(
                "Loading the demo data..." if scale == 1 else f"Loading the demo data x{scale}..."
            )
            summary = demo.load_demo(
                stdout=self.stdout if options["verbosity"] > 1 else None, scale=scale
            )
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        for line in summary.lines():
            self.stdout.write(f"  {line}")
        # The calls: careers, an open engineering call, a Design call with a published round.
        for line in load_selection_demo().lines():
            self.stdout.write(f"  {line}")
        # Mobilities: a student abroad with a signed learning agreement, a thesis nominee.
        for line in load_mobility_demo().lines():
            self.stdout.write(f"  {line}")
        # Recognition: scales, conversion rules, grading tables, a validated recognition.
        for line in load_recognition_demo().lines():
            self.stdout.write(f"  {line}")
        # Networks: ATHENS sessions, an Alliance4Tech student, a double-degree plan.
        for line in load_networks_demo().lines():
            self.stdout.write(f"  {line}")
        # Grants: the rate table, three mobilities' grant details.
        for line in load_grants_demo().lines():
            self.stdout.write(f"  {line}")
        # History: three past academic years, so that the statistics have something to show.
        for line in load_history_demo(scale=scale).lines():
            self.stdout.write(f"  {line}")
        # The planner's statistics, once every loader has written (SQLite guesses without them).
        refresh_statistics()

        self.stdout.write("")
        self.stdout.write(f"Log in with one of these users, password '{demo.PASSWORD}':")
        for username, who in demo.LOGINS:
            self.stdout.write(f"  {username:<10} {who}")

        if options["serve"]:
            # The log-in page of this demo server names the demo's users and password.
            settings.DEMO_LOGINS = (demo.PASSWORD, demo.LOGINS)
            address = options["addrport"]
            self.stdout.write("")
            self.stdout.write(f"Serving on http://{address}/ (Ctrl+C to stop)")
            # E-mails leave through the outbox's background worker (docs/operator-guide.md,
            # "Background work"): the demo runs one beside the server, and the console backend
            # prints what it sends here.
            worker = subprocess.Popen(
                [sys.executable, "-m", "abroad", "db_worker", "--interval", "2", "--no-reload"]
            )
            # Stopped by SIGTERM as by Ctrl+C: the worker stops with the server.
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            try:
                call_command("runserver", address, use_reloader=False)
            finally:
                worker.terminate()
                worker.wait(timeout=30)
