"""Import the European Commission's list of ECHE holders into the institutions.

The list is the XLSX the Commission publishes ("List of Accredited HEIs within the Erasmus+
Programme 2021-2027"), read exactly as published: a sheet with a blank first row and the
header ``Proposal number, Erasmus Code, PIC, OID, Legal Name, Street, Post Cd, City, Country
Cd, Website Url, Erasmus Eche Start, Erasmus Eche End``. A CSV with the same header works too.

Institutions are matched on their Erasmus code, ignoring the padding (``I MILANO02`` is
``I  MILANO02``). The import sets the name, country, city, PIC, website and source; it never
touches what the list does not carry (English name, SCHAC code, coordinates, home flag), and an
empty cell in the list never erases a value. Rows that cannot be imported are rejected one by
one with their row number and reason; the others are imported, all in one transaction.

An institution that came from an earlier edition of the list (its source is an "ECHE list")
and is missing from this one is *withdrawn*: the report names it and its
``eche_withdrawn_on`` is set (it is never deleted, agreements may reference it); one that
reappears in a later edition has the mark cleared. The home institution, and institutions the
office created by hand, are never marked.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from abroad.catalogue import erasmus_code
from abroad.catalogue.models import Institution
from abroad.core.importing import (
    Bounds,
    Change,
    Progress,
    Row,
    Source,
    TableError,
    clean,
    no_progress,
    read_table,
    source_name,
    write_atomically,
)
from abroad.people.models import User

# The column keys of the Commission's header (see tables.column_key).
CODE = "erasmus_code"
NAME = "legal_name"
COUNTRY = "country_cd"
CITY = "city"
PIC = "pic"
WEBSITE = "website_url"
ANCHORS = (CODE, NAME, COUNTRY)

# The Commission writes Greece as EL and (before Brexit) the United Kingdom as UK.
COUNTRY_ALIASES = {"EL": "GR", "UK": "GB"}

# The fields the list carries, in the order reports show them.
FIELDS = ("erasmus_code", "name", "country", "city", "pic", "website", "source")

BATCH_SIZE = 500

# Every source the import writes starts with this (see source_label).
SOURCE_PREFIX = "ECHE list"

_url = URLValidator(schemes=["http", "https"])
_institution = Institution._meta


def _max_length(name: str) -> int:
    found = _institution.get_field(name)
    assert isinstance(found, models.Field)
    length = found.max_length
    assert length is not None
    return length


@dataclass(frozen=True)
class Rejected:
    line: int
    erasmus_code: str
    reason: str

    def __str__(self) -> str:
        code = f" ({self.erasmus_code})" if self.erasmus_code else ""
        return f"row {self.line}{code}: {self.reason}"


class LeftOut(Rejected):
    """A value left out of a row that is imported: the ``reason`` says which and why."""


@dataclass(frozen=True)
class Updated:
    line: int
    erasmus_code: str
    changes: tuple[Change, ...]

    def __str__(self) -> str:
        return f"{self.erasmus_code}: " + "; ".join(str(change) for change in self.changes)


@dataclass
class EcheReport:
    """What an import did, or would do with ``dry_run``."""

    file: str
    source: str
    dry_run: bool
    rows: int = 0
    created: list[str] = field(default_factory=list)  # Erasmus codes
    updated: list[Updated] = field(default_factory=list)
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    warnings: list[LeftOut] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)  # Erasmus codes no longer on the list
    reinstated: list[str] = field(default_factory=list)  # back on the list after a withdrawal

    def counts(self) -> dict[str, Any]:
        """What the audit log records of an import."""
        return {
            "source": self.source,
            "rows": self.rows,
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
            "withdrawn": list(self.withdrawn),
            "reinstated": list(self.reinstated),
        }

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        summary = (
            f"{self.rows} rows in {Path(self.file).name}: {len(self.created)} institutions "
            f"{verb} created, {len(self.updated)} updated, {self.unchanged} unchanged, "
            f"{len(self.rejected)} rows rejected"
        )
        if self.withdrawn:
            summary += f", {len(self.withdrawn)} {verb} withdrawn from the list"
        return summary

    def lines(self, *, verbose: bool = False) -> Iterator[str]:
        """The report as text: the summary, the updates, the rejected rows, and (verbose)
        the created institutions and the values left out."""
        yield ("DRY RUN, nothing was written. " if self.dry_run else "") + self.summary()
        if verbose and self.created:
            yield f"Created ({len(self.created)}):"
            yield from (f"  {code}" for code in self.created)
        if self.updated:
            yield f"Updated ({len(self.updated)}):"
            yield from (f"  {update}" for update in self.updated)
        if self.withdrawn:
            yield f"Withdrawn, no longer on the list ({len(self.withdrawn)}):"
            yield from (f"  {code}" for code in self.withdrawn)
        if self.reinstated:
            yield f"Back on the list ({len(self.reinstated)}):"
            yield from (f"  {code}" for code in self.reinstated)
        if self.rejected:
            yield f"Rejected rows ({len(self.rejected)}), not imported:"
            # At most ABROAD_IMPORT_MAX_ERRORS of them: a file of junk is not printed again.
            listed = Bounds.from_settings().max_errors
            yield from (f"  {rejected}" for rejected in self.rejected[:listed])
            if len(self.rejected) > listed:
                more = len(self.rejected) - listed
                yield f"  ... and {more} more (only the first {listed} are listed)"
        if self.warnings:
            if verbose:
                yield f"Values left out ({len(self.warnings)}):"
                yield from (f"  {warning}" for warning in self.warnings)
            else:
                yield (
                    f"{len(self.warnings)} values were left out (websites that are not web "
                    "addresses...); run with -v 2 to list them."
                )


def source_label(file_name: str) -> str:
    """``"ECHE list 2026-04-08"`` for ``eche_20260408.xlsx`` (or the Commission's own
    ``..._08042026.xlsx``); ``"ECHE list"`` when the name carries no date."""
    stem = Path(file_name).stem
    found = re.search(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)", stem)
    if found:
        candidates = [tuple(int(part) for part in found.groups())]
    else:
        candidates = []
        for digits in re.findall(r"(?<!\d)\d{8}(?!\d)", stem):
            candidates.append((int(digits[:4]), int(digits[4:6]), int(digits[6:])))  # YYYYMMDD
            candidates.append((int(digits[4:]), int(digits[2:4]), int(digits[:2])))  # DDMMYYYY
    for year, month, day in candidates:
        if 2000 <= year <= 2100:
            try:
                return f"{SOURCE_PREFIX} {dt.date(year, month, day).isoformat()}"
            except ValueError:
                continue
    return SOURCE_PREFIX


def normalise_website(value: Any) -> str | None:
    """A web address from what the list holds, or None when it holds none.

    Adds ``https://`` when there is no scheme, mends ``www. x`` and ``http//x``, takes the
    first web address when the cell holds several, and refuses e-mail addresses.
    """
    text = clean(value)
    text = re.sub(r"(?i)\bwww\.\s+", "www.", text)
    for part in text.split(" "):
        part = re.sub(r"(?i)^(https?):?/+", lambda match: match.group(1).lower() + "://", part)
        if not part or "@" in part:
            continue
        if "://" not in part:
            part = "https://" + part.lstrip("/")
        if len(part) > _max_length("website"):
            continue
        try:
            _url(part)
        except ValidationError:
            continue
        return part
    return None


@dataclass
class _Parsed:
    line: int
    code: str
    values: dict[str, str]


def _parse(row: Row, source: str, seen: dict[str, int], report: EcheReport) -> _Parsed | None:
    raw_code = clean(row[CODE]) and str(row[CODE]).replace("\xa0", " ").strip()

    def reject(reason: str) -> None:
        report.rejected.append(Rejected(line=row.line, erasmus_code=raw_code, reason=reason))

    if not raw_code:
        reject("no Erasmus code")
        return None
    try:
        code = erasmus_code.normalise(raw_code)
    except erasmus_code.InvalidErasmusCode as error:
        reject(str(error))
        return None
    key = erasmus_code.single_space(code)
    if key in seen:
        reject(f"the Erasmus code {code!r} is already on row {seen[key]}")
        return None
    name = row.text(NAME)
    if not name:
        reject("missing name (Legal Name is empty)")
        return None
    if len(name) > _max_length("name"):
        reject(f"the name is longer than {_max_length('name')} characters")
        return None
    raw_country = row.text(COUNTRY).upper()
    country = COUNTRY_ALIASES.get(raw_country, raw_country)
    if not country:
        reject("missing country (Country Cd is empty)")
        return None
    if country not in countries:
        reject(f"unknown country {raw_country!r}: not an ISO 3166 country code abroad knows")
        return None
    city = row.text(CITY)
    if len(city) > _max_length("city"):
        reject(f"the city is longer than {_max_length('city')} characters")
        return None
    seen[key] = row.line
    values = {"erasmus_code": code, "name": name, "country": country, "city": city}
    pic = row.text(PIC)
    if pic and not re.fullmatch(rf"\d{{1,{_max_length('pic')}}}", pic):
        report.warnings.append(
            LeftOut(row.line, code, f"PIC {pic!r} is not a number of up to 12 digits; left out")
        )
        pic = ""
    values["pic"] = pic
    raw_website = row.text(WEBSITE)
    website = normalise_website(raw_website)
    if raw_website and website is None:
        report.warnings.append(
            LeftOut(row.line, code, f"website {raw_website!r} is not a web address; left out")
        )
    values["website"] = website or ""
    values["source"] = source
    return _Parsed(line=row.line, code=code, values=values)


def _listed_key(row: Row) -> str:
    """The matching key of the row's Erasmus code, or "" when it has no valid one."""
    raw_code = clean(row[CODE]) and str(row[CODE]).replace("\xa0", " ").strip()
    if not raw_code:
        return ""
    try:
        return erasmus_code.single_space(erasmus_code.normalise(raw_code))
    except erasmus_code.InvalidErasmusCode:
        return ""


def _current(institution: Institution, name: str) -> str:
    value = getattr(institution, name)
    if name == "country":
        return str(value.code if hasattr(value, "code") else value or "")
    return str(value or "")


def _changes(institution: Institution, values: dict[str, str]) -> tuple[Change, ...]:
    changes = []
    for name in FIELDS:
        if name == "source":
            continue
        new = values[name]
        old = _current(institution, name)
        # An empty cell never erases what is known.
        if new and new != old:
            changes.append(Change(name, old, new))
    if changes and values["source"] != institution.source:
        # The source names where the values come from: it changes with them.
        changes.append(Change("source", institution.source, values["source"]))
    return tuple(changes)


def import_eche(
    source: Source,
    *,
    name: str | None = None,
    dry_run: bool = False,
    actor: User | None = None,
    progress: Progress = no_progress,
) -> EcheReport:
    """Create or update the institutions of the ECHE list in ``source``.

    Raises :class:`~abroad.core.importing.TableError` when the file cannot be
    read or has no header row with the Erasmus code, legal name and country columns.
    """
    file_name = source_name(source, name)
    table = read_table(source, anchors=ANCHORS, name=file_name)
    label = source_label(file_name)
    if not table.rows:
        raise TableError(
            _("line %(line)d: the file has no rows under its header") % {"line": table.header_line}
        )
    report = EcheReport(file=file_name, source=label, dry_run=dry_run, rows=len(table.rows))

    existing: dict[str, Institution] = {
        erasmus_code.single_space(institution.erasmus_code or ""): institution
        for institution in Institution.objects.exclude(erasmus_code=None).only(
            "id", *FIELDS, "is_home", "eche_withdrawn_on", "updated_at"
        )
    }
    seen: dict[str, int] = {}
    to_create: list[Institution] = []
    to_update: list[Institution] = []
    changed_fields: set[str] = set()
    # The codes on this edition, rejected rows included: a row rejected for its name is
    # still an institution on the list, not a withdrawn one.
    listed: set[str] = set()
    reinstated: list[Institution] = []
    for row in progress(table.rows, total=len(table.rows), desc="checking rows"):
        listed_key = _listed_key(row)
        if listed_key:
            listed.add(listed_key)
        parsed = _parse(row, label, seen, report)
        if parsed is None:
            continue
        institution = existing.get(erasmus_code.single_space(parsed.code))
        if institution is None:
            to_create.append(Institution(**parsed.values))
            report.created.append(parsed.code)
            continue
        if institution.eche_withdrawn_on is not None:
            institution.eche_withdrawn_on = None
            reinstated.append(institution)
            report.reinstated.append(parsed.code)
        changes = _changes(institution, parsed.values)
        if not changes:
            report.unchanged += 1
            continue
        for change in changes:
            setattr(institution, change.field, change.new)
            changed_fields.add(change.field)
        to_update.append(institution)
        report.updated.append(Updated(parsed.line, parsed.code, changes))

    if not (to_create or to_update or report.unchanged):
        # Nothing to write (every row rejected): nothing stored, not even an audit event, and
        # nothing withdrawn (a file of junk does not take every institution off the list).
        return report
    # The home institution is never withdrawn: marked as home, or named by HOME_ERASMUS_CODE.
    home = Institution.objects.find_home()
    withdrawn = [
        institution
        for key, institution in sorted(existing.items())
        if key not in listed
        and institution.eche_withdrawn_on is None
        and not institution.is_home
        and (home is None or institution.pk != home.pk)
        and institution.source.startswith(SOURCE_PREFIX)
    ]
    report.withdrawn = [institution.erasmus_code or "" for institution in withdrawn]
    if dry_run:
        return report
    now = timezone.now()
    today = timezone.localdate()
    for institution in withdrawn:
        institution.eche_withdrawn_on = today

    def write() -> None:
        batches = range(0, max(len(to_create), len(to_update)), BATCH_SIZE)
        for start in progress(batches, total=len(batches), desc="writing"):
            Institution.objects.bulk_create(to_create[start : start + BATCH_SIZE])
            if to_update[start : start + BATCH_SIZE]:
                for institution in to_update[start : start + BATCH_SIZE]:
                    institution.updated_at = now
                Institution.objects.bulk_update(
                    to_update[start : start + BATCH_SIZE],
                    sorted(changed_fields | {"updated_at"}),
                )
        marked = [*withdrawn, *reinstated]
        for institution in marked:
            institution.updated_at = now
        Institution.objects.bulk_update(
            marked, ["eche_withdrawn_on", "updated_at"], batch_size=BATCH_SIZE
        )

    write_atomically(report, write, actor=actor, action="institutions.imported")
    return report
