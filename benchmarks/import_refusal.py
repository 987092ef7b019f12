"""Time and peak memory to refuse the worst spreadsheets, beside importing normal ones (the
floor, measured in the same run). Every import reads through core.importing.read_table, which
refuses at the caps (ABROAD_IMPORT_MAX_MB, ABROAD_IMPORT_MAX_ROWS): the refusals must cost
about what a normal import costs, not what the file would.

    .venv/bin/python benchmarks/import_refusal.py

Prints, for each input, the outcome, the seconds (best of --repeat, without tracemalloc) and
the peak of Python memory (tracemalloc, one more run). It builds its own SQLite database in a
temporary folder (or uses ABROAD_DATABASE_URL when set, which must name a scratch database:
it is flushed). The inputs are written once into that folder.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

ECHE_HEADER = ["erasmus_code", "legal_name", "country_cd", "city"]
TRANSCRIPT_HEADER = ["code", "title", "ects", "grade"]


def eche_row(n: int) -> list[str]:
    """A valid, distinct Erasmus code per row: F  PARIS001, F  LYON001 ..."""
    city = ("PARIS", "LYON", "NICE", "LILLE", "NANTES", "ROUEN")[n // 1000 % 6]
    return [f"F  {city}{n % 1000:03d}", f"Université {n}", "FR", city.title()]


def write_xlsx(path: Path, header: list[str], rows: int, row: Callable[[int], list[str]]) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet1")
    sheet.append(header)
    for n in range(rows):
        sheet.append(row(n))
    workbook.save(path)
    return path


def write_csv(path: Path, header: list[str], rows: int, row: Callable[[int], list[str]]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(header) + "\n")
        for n in range(rows):
            handle.write(",".join(row(n)) + "\n")
    return path


def zip_bomb(path: Path, size_mb: int) -> Path:
    """A real workbook whose sheet is followed by a part of ``size_mb`` MB of spaces."""
    data = io.BytesIO(path.with_suffix(".seed.xlsx").read_bytes())
    with zipfile.ZipFile(data, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet2.xml", b" " * (size_mb * 1024 * 1024))
    path.write_bytes(data.getvalue())
    return path


def measure(run: Callable[[], str], repeat: int) -> tuple[str, float, float]:
    best = float("inf")
    outcome = ""
    for _ in range(repeat):
        started = time.perf_counter()
        outcome = run()
        best = min(best, time.perf_counter() - started)
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return outcome, best, peak / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per input")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="abroad-bench-"))
    if not os.environ.get("ABROAD_DATABASE_URL"):
        os.environ["ABROAD_DATA_DIR"] = str(folder)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "abroad.settings")

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from abroad.catalogue.importers.eche import import_eche
    from abroad.catalogue.models import Institution
    from abroad.core.importing import ImportReport, TableError
    from abroad.recognition.importers import read_transcript

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)

    def transcript_row(n: int) -> list[str]:
        return [f"C{n}", f"Course {n}", "6", "14"]

    print("writing the inputs ...", file=sys.stderr)
    kb = lambda path: f"{path.stat().st_size // 1024} KB"  # noqa: E731
    eche_normal = write_xlsx(folder / "eche-3000.xlsx", ECHE_HEADER, 3000, eche_row)
    transcript_30 = write_xlsx(folder / "t-30.xlsx", TRANSCRIPT_HEADER, 30, transcript_row)
    cap = settings.IMPORT_MAX_ROWS
    at_cap = write_xlsx(folder / "t-cap.xlsx", TRANSCRIPT_HEADER, cap, transcript_row)
    xlsx_200k = write_xlsx(folder / "t-200k.xlsx", TRANSCRIPT_HEADER, 200_000, transcript_row)
    eche_200k = write_xlsx(folder / "eche-200k.xlsx", ECHE_HEADER, 200_000, eche_row)
    csv_1m = write_csv(folder / "t-1m.csv", TRANSCRIPT_HEADER, 1_000_000, transcript_row)
    short_1m = write_csv(folder / "c-1m.csv", ["code", "grade"], 1_000_000, lambda n: ["C", "1"])
    write_xlsx(folder / "bomb.seed.xlsx", TRANSCRIPT_HEADER, 30, transcript_row)
    bomb = zip_bomb(folder / "bomb.xlsx", 1024)

    def eche(path: Path) -> Callable[[], str]:
        def run() -> str:
            Institution.objects.all().delete()
            try:
                report = import_eche(path)
            except TableError:
                return "refused"
            return f"{len(report.created)} created"

        return run

    def transcript(path: Path) -> Callable[[], str]:
        def run() -> str:
            report = ImportReport(file=path.name, dry_run=True)
            rows = read_transcript(path, report)
            return "refused" if report.errors else f"{len(rows)} rows read"

        return run

    inputs: list[tuple[str, Path, Callable[[], str]]] = [
        ("floor: ECHE list, 3,000 rows, imported", eche_normal, eche(eche_normal)),
        ("floor: transcript, 30 rows", transcript_30, transcript(transcript_30)),
        (f"floor: transcript, {cap:,} rows (the cap)", at_cap, transcript(at_cap)),
        ("XLSX, 200,000 rows (transcript)", xlsx_200k, transcript(xlsx_200k)),
        ("XLSX, 200,000 rows (ECHE list)", eche_200k, eche(eche_200k)),
        ("CSV, 1,000,000 rows (over the size cap)", csv_1m, transcript(csv_1m)),
        ("CSV, 1,000,000 short rows (under it)", short_1m, transcript(short_1m)),
        ("zip bomb, 1 GB unpacked", bomb, transcript(bomb)),
    ]
    print(
        f"database: {connection.vendor}; caps: {settings.IMPORT_MAX_MB} MB, "
        f"{settings.IMPORT_MAX_ROWS} rows, {settings.IMPORT_MAX_ERRORS} errors "
        f"listed; best of {args.repeat}"
    )
    header = f"{'input':<42} {'file':>9} {'outcome':<16} {'seconds':>8} {'peak MB':>8}"
    print(header)
    print("-" * len(header))
    for label, path, run in inputs:
        outcome, seconds, peak = measure(run, args.repeat)
        print(f"{label:<42} {kb(path):>9} {outcome:<16} {seconds:>8.3f} {peak:>8.1f}")


if __name__ == "__main__":
    main()
