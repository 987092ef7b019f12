"""How long reading a partner's EWP document takes to refuse one over the input bounds (Trust:
the schema validation was super-linear, 20,000 attributes on one element took over 10 minutes),
beside the time to accept real documents in the same run (the floor). Prints a table.

    .venv/bin/python benchmarks/ewp_refusal.py [--repeat 3] [--unbounded]

What is timed: abroad.ewp.xml.read(IIA_GET, data), as the inbox and the command call it
(the UTF-8 check, the streaming bounds pass, parsing, the schema validation), best of
--repeat runs; the schema itself is loaded once before timing. The documents: the official
IIA example (ewp-specs-api-iias) with N dummy attributes on its <iia>; N empty elements; N
nested elements; the official example as is and 800 copies of its <iia> (about 5 MB, the
most a file may be) for the floor. --unbounded also times a few attribute counts with the
bounds lifted, to show what the bounds spare (it takes a while). The schema folder is
ABROAD_EWP_SCHEMA_DIR, else ../shared/ewp beside the project.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

EXAMPLE = "ewp-specs-api-iias/endpoints/get-response-example.xml"


def with_attributes(data: bytes, count: int) -> bytes:
    names = " ".join(f'dummy{n}="x"' for n in range(count))
    return data.replace(b"<iia>", f"<iia {names}>".encode(), 1)


def best(function: Callable[[], object], repeat: int) -> tuple[float, str]:
    """The best time of ``repeat`` runs, in seconds, and the outcome (accepted or the
    refusal's first words)."""
    from abroad.ewp.xml import EwpError

    times, outcome = [], ""
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            function()
            outcome = "accepted"
        except EwpError as error:
            outcome = "refused: " + str(error)[:60]
        times.append(time.perf_counter() - start)
    return min(times), outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--unbounded", action="store_true", help="also time without bounds")
    args = parser.parse_args()
    schemas = os.environ.get("ABROAD_EWP_SCHEMA_DIR", str(ROOT.parent / "shared" / "ewp"))
    os.environ["ABROAD_EWP_SCHEMA_DIR"] = schemas
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "abroad.settings")

    import django

    django.setup()
    from django.conf import settings
    from lxml import etree

    from abroad.ewp import xml

    example = (Path(schemas) / EXAMPLE).read_bytes()
    root = xml.parse(example)
    for _ in range(800):
        root.append(etree.fromstring(etree.tostring(root[0])))
    many = xml.serialize(root)
    xml.read(xml.IIA_GET, example)  # the schema, loaded once

    cases: list[tuple[str, bytes]] = [
        ("official IIA example (floor)", example),
        ("800 official IIAs (floor)", many),
    ]
    cases += [
        (f"{n:,} attributes on <iia>", with_attributes(example, n))
        for n in (33, 1_000, 2_000, 4_000, 20_000)
    ]
    cases += [(f"{n:,} elements", b"<a>" + b"<b/>" * n + b"</a>") for n in (100_001, 1_000_000)]
    cases += [(f"{n:,} levels deep", b"<a>" * n + b"</a>" * n) for n in (33, 255)]
    cases += [
        ("a text of 2,000,001 characters", example.replace(b"<iia>", b"<iia>" + b"x" * 2_000_001))
    ]
    print(
        f"EWP bounds: {settings.EWP_MAX_ATTRIBUTES} attributes, {settings.EWP_MAX_ELEMENTS:,} "
        f"elements, {settings.EWP_MAX_DEPTH} levels, {settings.EWP_MAX_TEXT_CHARS:,} characters, "
        f"{settings.EWP_MAX_BYTES:,} bytes; best of {args.repeat}"
    )
    print(f"{'document':36} {'bytes':>10} {'seconds':>9}  outcome")
    for name, data in cases:
        seconds, outcome = best(lambda data=data: xml.read(xml.IIA_GET, data), args.repeat)
        print(f"{name:36} {len(data):>10,} {seconds:>9.4f}  {outcome}")
    if args.unbounded:
        settings.EWP_MAX_ATTRIBUTES = 10**9
        print("without the bounds (the schema validation alone decides):")
        for n in (250, 500, 1_000):
            data = with_attributes(example, n)
            seconds, outcome = best(lambda data=data: xml.read(xml.IIA_GET, data), 1)
            print(f"{f'{n:,} attributes on <iia>':36} {len(data):>10,} {seconds:>9.4f}  {outcome}")


if __name__ == "__main__":
    main()
