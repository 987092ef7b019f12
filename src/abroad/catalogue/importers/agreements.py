"""Import and export the agreements spreadsheet (XLSX or CSV): one row per offer, with its
agreement's columns repeated on each of the agreement's rows.

The export writes exactly the columns the import reads, so that an office can export, edit in
Excel and import again. The import is atomic: a file with any bad row imports nothing, and the
report names every bad row with its line, its column, what is wrong and how to fix it.
Importing an agreement code that exists updates that agreement and replaces its offers: offers
identical to one in the file are kept, the others are removed, and the new ones are created.
Agreements that are not in the file are left as they are.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from abroad.catalogue import erasmus_code
from abroad.catalogue.enums import AgreementStatus, MobilityType, Programme
from abroad.catalogue.models import (
    Agreement,
    CourseOfStudy,
    Institution,
    Network,
    Offer,
    Promoter,
    School,
)
from abroad.core import audit
from abroad.core.academic_year import format_year
from abroad.core.enums import CEFR, DegreeLevel, Language
from abroad.core.importing import (
    Change,
    Format,
    ImportReport,
    Invalid,
    Progress,
    Row,
    RowError,
    Source,
    academic_year,
    clean,
    clean_text,
    file_format,
    header_check,
    no_progress,
    quoted,
    read_import_table,
    source_name,
    write_atomically,
    write_table,
    yes_no,
)
from abroad.core.importing import isced as isced_cell
from abroad.people.models import User

# The columns, in the order the export writes them. The first nineteen are the office's
# sheet; the last three carry the rest of an agreement and an offer, so that a round trip
# loses nothing.
AGREEMENT_CODE = "agreement_code"
PARTNER_ERASMUS_CODE = "partner_erasmus_code"
PARTNER_SCHAC = "partner_schac"
PROGRAMME = "programme"
NETWORK = "network"
START_YEAR = "start_year"
END_YEAR = "end_year"
STATUS = "status"
PROMOTER = "promoter"
MOBILITY_TYPE = "mobility_type"
EQF_LEVELS = "eqf_levels"
ISCED = "isced"
COURSES = "courses"
SEATS = "seats"
MONTHS = "months"
EXTENDABLE = "extendable"
LANGUAGE = "language"
LANGUAGE_LEVEL = "language_level"
NOTES = "notes"
LANGUAGE_NOTES = "language_notes"
PARTNER_CONTACT = "partner_contact"
AGREEMENT_NOTES = "agreement_notes"

COLUMNS = (
    AGREEMENT_CODE,
    PARTNER_ERASMUS_CODE,
    PARTNER_SCHAC,
    PROGRAMME,
    NETWORK,
    START_YEAR,
    END_YEAR,
    STATUS,
    PROMOTER,
    MOBILITY_TYPE,
    EQF_LEVELS,
    ISCED,
    COURSES,
    SEATS,
    MONTHS,
    EXTENDABLE,
    LANGUAGE,
    LANGUAGE_LEVEL,
    NOTES,
    LANGUAGE_NOTES,
    PARTNER_CONTACT,
    AGREEMENT_NOTES,
)
# The header row must have these (and one of the two partner columns).
REQUIRED_COLUMNS = (
    AGREEMENT_CODE,
    PROGRAMME,
    START_YEAR,
    END_YEAR,
    MOBILITY_TYPE,
    EQF_LEVELS,
    ISCED,
    COURSES,
    SEATS,
    MONTHS,
    LANGUAGE,
)
PARTNER_COLUMNS = (PARTNER_ERASMUS_CODE, PARTNER_SCHAC)
AGREEMENT_COLUMNS = (
    AGREEMENT_CODE,
    PARTNER_ERASMUS_CODE,
    PARTNER_SCHAC,
    PROGRAMME,
    NETWORK,
    START_YEAR,
    END_YEAR,
    STATUS,
    PROMOTER,
    PARTNER_CONTACT,
    AGREEMENT_NOTES,
)
OFFER_COLUMNS = tuple(column for column in COLUMNS if column not in AGREEMENT_COLUMNS)
# Codes that Excel would otherwise read as numbers (0715 -> 715).
TEXT_COLUMNS = (AGREEMENT_CODE, PARTNER_ERASMUS_CODE, PARTNER_SCHAC, EQF_LEVELS, ISCED, COURSES)

LEVEL_FIELDS = {6: "level_bachelor", 7: "level_master", 8: "level_doctorate"}


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    found = model._meta.get_field(name)
    assert isinstance(found, models.Field)
    return found


def _bounds(model: type[models.Model], name: str) -> tuple[int, int]:
    """The (min, max) that the model's validators allow: the rule lives in one place."""
    low, high = 0, 32767
    for validator in _field(model, name).validators:
        if isinstance(validator, MinValueValidator):
            low = int(validator.limit_value)
        elif isinstance(validator, MaxValueValidator):
            high = int(validator.limit_value)
    return low, high


def _max_length(model: type[models.Model], name: str) -> int:
    length = _field(model, name).max_length
    assert length is not None
    return length


def column_help() -> list[tuple[str, str, bool]]:
    """(column, what to write, required) for each column: the admin page shows it."""
    seats = _bounds(Offer, "seats")
    months = _bounds(Offer, "months")
    described = {
        AGREEMENT_CODE: _("the office's reference for the agreement, up to %(max)d characters")
        % {"max": _max_length(Agreement, "code")},
        PARTNER_ERASMUS_CODE: _(
            "the partner's Erasmus code, like I MILANO02 (or give partner_schac)"
        ),
        PARTNER_SCHAC: _("the partner's SCHAC code, like polimi.it (or give the Erasmus code)"),
        PROGRAMME: _one_of(Programme.values),
        NETWORK: _("the network's code; required when the programme is network"),
        START_YEAR: _("the first academic year, like 2026/2027"),
        END_YEAR: _("the last academic year, like 2028/2029"),
        STATUS: _one_of(AgreementStatus.values),
        PROMOTER: _("the username or e-mail of the promoter; may be empty"),
        MOBILITY_TYPE: _one_of(MobilityType.values),
        EQF_LEVELS: _("EQF levels separated by ';', like 6;7"),
        ISCED: _("the ISCED-F field, like 0715"),
        COURSES: _(
            "course of study codes separated by ';', or School codes for all the School's "
            "courses at the offer's levels"
        ),
        SEATS: _("seats per year, a whole number between %(min)d and %(max)d")
        % {"min": seats[0], "max": seats[1]},
        MONTHS: _("months per seat, a whole number between %(min)d and %(max)d")
        % {"min": months[0], "max": months[1]},
        EXTENDABLE: _("yes or no"),
        LANGUAGE: _("the language of instruction, an ISO 639-1 code like en"),
        LANGUAGE_LEVEL: _("the CEFR level required (A1 to C2), or empty"),
        NOTES: _("notes on the offer"),
        LANGUAGE_NOTES: _("notes on the language requirement"),
        PARTNER_CONTACT: _("the contact at the partner"),
        AGREEMENT_NOTES: _("notes on the agreement for students"),
    }
    return [(column, str(described[column]), column in REQUIRED_COLUMNS) for column in COLUMNS]


def _one_of(values: Iterable[str]) -> str:
    return _("one of %(values)s") % {"values": ", ".join(values)}


# ---------------------------------------------------------------------------------------
# The report


@dataclass(frozen=True)
class Outcome:
    """What the import does to one agreement."""

    code: str
    created: bool
    changes: tuple[Change, ...] = ()
    offers_created: int = 0
    offers_removed: int = 0
    offers_unchanged: int = 0

    @property
    def updated(self) -> bool:
        return not self.created and bool(self.changes or self.offers_created or self.offers_removed)

    def __str__(self) -> str:
        if self.created:
            return f"{self.code}: created with {self.offers_created} offer(s)"
        text = f"{self.code}: "
        if self.changes:
            text += "; ".join(str(change) for change in self.changes) + "; "
        return text + (
            f"offers {self.offers_created} created, {self.offers_removed} removed, "
            f"{self.offers_unchanged} unchanged"
        )


@dataclass
class AgreementImportReport(ImportReport):
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def created(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.created]

    @property
    def updated(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.updated]

    @property
    def unchanged(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.created and not o.updated]

    @property
    def offers_created(self) -> int:
        return sum(outcome.offers_created for outcome in self.outcomes)

    @property
    def offers_removed(self) -> int:
        return sum(outcome.offers_removed for outcome in self.outcomes)

    @property
    def offers_unchanged(self) -> int:
        return sum(outcome.offers_unchanged for outcome in self.outcomes)

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "agreements_created": len(self.created),
            "agreements_updated": len(self.updated),
            "agreements_unchanged": len(self.unchanged),
            "offers_created": self.offers_created,
            "offers_removed": self.offers_removed,
            "offers_unchanged": self.offers_unchanged,
        }

    def imported_summary(self) -> str:
        return (
            f"{super().imported_summary()}: agreements {len(self.created)} created, "
            f"{len(self.updated)} updated, {len(self.unchanged)} unchanged; offers "
            f"{self.offers_created} created, {self.offers_removed} removed, "
            f"{self.offers_unchanged} unchanged"
        )

    def lines(self) -> Iterator[str]:
        yield from super().lines()
        for outcome in self.outcomes:
            if outcome.created or outcome.updated:
                yield f"  {outcome}"


# ---------------------------------------------------------------------------------------
# Reading cells


def _parse_year(text: str) -> int:
    low, high = _bounds(Agreement, "start_year")
    year = academic_year(text)
    if not low <= year <= high:
        raise Invalid(
            _("%(value)s is not an academic year between %(low)s and %(high)s")
            % {"value": quoted(text), "low": format_year(low), "high": format_year(high)}
        )
    return year


def _choice(text: str, values: list[str], what: str | None = None) -> str:
    key = re.sub(r"[\s-]+", "_", text.strip().lower())
    for value in values:
        if key == value.lower():
            return value
    raise Invalid(
        _("%(value)s is not %(what)s") % {"value": quoted(text), "what": what or _one_of(values)}
    )


def _whole_number(value: Any, text: str, low: int, high: int) -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif re.fullmatch(r"\d+", text):
        number = int(text)
    if number is None or not low <= number <= high:
        raise Invalid(
            _("%(value)s is not a whole number between %(low)d and %(high)d")
            % {"value": quoted(text), "low": low, "high": high}
        )
    return number


def _eqf_levels(text: str) -> list[int]:
    parts = [part for part in re.split(r"[;,\s]+", text) if part]
    levels = []
    for part in parts:
        if part not in ("6", "7", "8"):
            raise Invalid(
                _(
                    "%(value)s is not a list of EQF levels among 6, 7 and 8 separated by ';', "
                    "like 6;7"
                )
                % {"value": quoted(text)}
            )
        levels.append(int(part))
    return sorted(set(levels))


def _max_text(text: str, length: int) -> str:
    if len(text) > length:
        raise Invalid(
            _("the text is %(length)d characters long, more than %(max)d: shorten it")
            % {"length": len(text), "max": length}
        )
    return text


@dataclass
class _Lookups:
    """What the rows refer to, loaded once."""

    by_erasmus_code: dict[str, Institution]
    by_schac: dict[str, Institution]
    networks: dict[str, Network]
    courses: dict[str, CourseOfStudy]
    schools: dict[str, School]
    school_courses: dict[int, list[CourseOfStudy]]
    promoters_by_username: dict[str, Promoter]
    promoters_by_email: dict[str, list[Promoter]]

    @classmethod
    def load(cls, rows: list[Row]) -> _Lookups:
        codes = set()
        for row in rows:
            with contextlib.suppress(erasmus_code.InvalidErasmusCode):
                codes.add(erasmus_code.normalise(row.text(PARTNER_ERASMUS_CODE)))
        schacs = {row.text(PARTNER_SCHAC).lower() for row in rows} - {""}
        institutions = Institution.objects.filter(
            models.Q(erasmus_code__in=codes) | models.Q(schac_code__in=schacs)
        )
        courses = list(CourseOfStudy.objects.select_related("school"))
        schools = list(School.objects.all())
        school_courses: dict[int, list[CourseOfStudy]] = defaultdict(list)
        parents = {school.pk: school.parent_id for school in schools}
        for course in courses:
            school_id: int | None = course.school_id
            while school_id is not None:  # a course of AUIC-ARCH is also one of AUIC
                school_courses[school_id].append(course)
                school_id = parents.get(school_id)
        promoters = list(Promoter.objects.select_related("user"))
        by_email: dict[str, list[Promoter]] = defaultdict(list)
        for promoter in promoters:
            for email in {promoter.user.email.lower(), promoter.email.lower()} - {""}:
                by_email[email].append(promoter)
        return cls(
            by_erasmus_code={
                erasmus_code.single_space(i.erasmus_code): i for i in institutions if i.erasmus_code
            },
            by_schac={i.schac_code: i for i in institutions if i.schac_code},
            networks={network.code.lower(): network for network in Network.objects.all()},
            courses={course.code.upper(): course for course in courses},
            schools={school.code.upper(): school for school in schools},
            school_courses=school_courses,
            promoters_by_username={p.user.get_username().lower(): p for p in promoters},
            promoters_by_email=by_email,
        )


@dataclass
class _OfferData:
    line: int
    values: dict[str, Any]
    course_ids: frozenset[int]


@dataclass
class _AgreementData:
    code: str
    line: int
    values: dict[str, Any] = field(default_factory=dict)  # parsed agreement columns
    lines: dict[str, int] = field(default_factory=dict)  # where each value was first read
    offers: list[_OfferData] = field(default_factory=list)


_FAILED = object()


class _RowReader:
    def __init__(self, row: Row, columns: set[str], errors: list[RowError]) -> None:
        self.row = row
        self.columns = columns
        self.errors = errors
        self.ok = True

    def error(self, column: str | None, message: str) -> None:
        self.errors.append(RowError(self.row.line, column, message))
        self.ok = False

    def text(self, column: str) -> str:
        return self.row.text(column)

    def read(
        self,
        column: str,
        parse: Callable[[Any, str], Any],
        *,
        required: bool,
        multiline: bool = False,
    ) -> Any:
        """The parsed cell, None when empty and not required, _FAILED after an error."""
        value = self.row[column]
        text = clean_text(value) if multiline else clean(value)
        if not text:
            if required:
                self.error(column, _("the cell is empty: write %(what)s") % _what(column))
                return _FAILED
            return None
        try:
            return parse(value, text)
        except Invalid as error:
            self.error(column, str(error))
            return _FAILED


def _what(column: str) -> dict[str, str]:
    return {"what": dict((c, h) for c, h, _r in column_help())[column]}


def _read_partner(reader: _RowReader, lookups: _Lookups) -> Any:
    code_text = reader.text(PARTNER_ERASMUS_CODE)
    schac_text = reader.text(PARTNER_SCHAC).lower()
    if not code_text and not schac_text:
        reader.error(
            PARTNER_ERASMUS_CODE if PARTNER_ERASMUS_CODE in reader.columns else PARTNER_SCHAC,
            _("no partner: write the partner's Erasmus code or its SCHAC code"),
        )
        return _FAILED
    by_code = by_schac = None
    if code_text:
        try:
            code = erasmus_code.normalise(code_text)
        except erasmus_code.InvalidErasmusCode:
            reader.error(
                PARTNER_ERASMUS_CODE,
                _("%(value)s is not an Erasmus code: write one like 'I MILANO02' or 'NL DELFT01'")
                % {"value": quoted(code_text)},
            )
            return _FAILED
        by_code = lookups.by_erasmus_code.get(erasmus_code.single_space(code))
        if by_code is None:
            reader.error(
                PARTNER_ERASMUS_CODE,
                _(
                    "no institution has the Erasmus code %(value)s: check the code, or add the "
                    "institution first (import-institutions loads the Commission's list)"
                )
                % {"value": quoted(code)},
            )
            return _FAILED
    if schac_text:
        by_schac = lookups.by_schac.get(schac_text)
        if by_schac is None:
            reader.error(
                PARTNER_SCHAC,
                _(
                    "no institution has the SCHAC code %(value)s: check the code, or set it on "
                    "the institution first"
                )
                % {"value": quoted(schac_text)},
            )
            return _FAILED
    if by_code is not None and by_schac is not None and by_code != by_schac:
        reader.error(
            PARTNER_SCHAC,
            _(
                "%(schac)s is the SCHAC code of %(other)s, but the Erasmus code %(code)s is "
                "that of %(partner)s: correct one of the two, or leave one empty"
            )
            % {
                "schac": quoted(schac_text),
                "other": by_schac,
                "code": quoted(code_text),
                "partner": by_code,
            },
        )
        return _FAILED
    return by_code or by_schac


def _read_agreement_columns(
    reader: _RowReader, lookups: _Lookups, present: set[str]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    partner = _read_partner(reader, lookups)
    if partner is not _FAILED:
        values["partner"] = partner
    programme = reader.read(
        PROGRAMME, lambda _v, text: _choice(text, Programme.values), required=True
    )
    if programme is not _FAILED:
        values["programme"] = programme
    if NETWORK in present or programme == Programme.NETWORK:
        codes = ", ".join(sorted(lookups.networks)) or _("none yet")

        def network(_value: Any, text: str) -> Network:
            found = lookups.networks.get(text.lower())
            if found is None:
                raise Invalid(
                    _("no network has the code %(value)s: write one of %(codes)s")
                    % {"value": quoted(text), "codes": codes}
                )
            return found

        found = reader.read(NETWORK, network, required=False)
        if found is None and programme == Programme.NETWORK:
            reader.error(
                NETWORK,
                _("a network programme needs its network's code here: write one of %(codes)s")
                % {"codes": codes},
            )
        elif found is not _FAILED:
            values["network"] = found
    start = reader.read(START_YEAR, lambda _v, text: _parse_year(text), required=True)
    end = reader.read(END_YEAR, lambda _v, text: _parse_year(text), required=True)
    if start is not _FAILED:
        values["start_year"] = start
    if end is not _FAILED:
        if start is not _FAILED and end < start:
            reader.error(
                END_YEAR,
                _(
                    "%(end)s comes before the start_year %(start)s: the last academic year "
                    "cannot come before the first"
                )
                % {"end": quoted(format_year(end)), "start": quoted(format_year(start))},
            )
        else:
            values["end_year"] = end
    if STATUS in present:
        status = reader.read(
            STATUS, lambda _v, text: _choice(text, AgreementStatus.values), required=True
        )
        if status is not _FAILED:
            values["status"] = status
    if PROMOTER in present:

        def promoter(_value: Any, text: str) -> Promoter:
            key = text.lower()
            found = lookups.promoters_by_username.get(key)
            if found is not None:
                return found
            by_email = lookups.promoters_by_email.get(key, [])
            if len(by_email) == 1:
                return by_email[0]
            if len(by_email) > 1:
                raise Invalid(
                    _("%(value)s is the e-mail of several promoters: write the username instead")
                    % {"value": quoted(text)}
                )
            raise Invalid(
                _(
                    "no promoter has the username or e-mail %(value)s: write those of a user "
                    "who is a promoter, or leave the cell empty"
                )
                % {"value": quoted(text)}
            )

        found_promoter = reader.read(PROMOTER, promoter, required=False)
        if found_promoter is not _FAILED:
            values["promoter"] = found_promoter
    for column, name in ((PARTNER_CONTACT, "partner_contact"), (AGREEMENT_NOTES, "notes")):
        if column in present:
            length = _max_length(Agreement, name) if name == "partner_contact" else 10_000

            def limited(_value: Any, text: str, length: int = length) -> str:
                return _max_text(text, length)

            text = reader.read(column, limited, required=False, multiline=True)
            if text is not _FAILED:
                values[name] = text or ""
    return values


def _read_offer(reader: _RowReader, lookups: _Lookups, present: set[str]) -> _OfferData | None:
    values: dict[str, Any] = {}
    mobility_type = reader.read(
        MOBILITY_TYPE, lambda _v, text: _choice(text, MobilityType.values), required=True
    )
    levels = reader.read(EQF_LEVELS, lambda _v, text: _eqf_levels(text), required=True)
    isced = reader.read(ISCED, isced_cell, required=True)
    seats_range = _bounds(Offer, "seats")
    months_range = _bounds(Offer, "months")
    seats = reader.read(SEATS, lambda v, t: _whole_number(v, t, *seats_range), required=True)
    months = reader.read(MONTHS, lambda v, t: _whole_number(v, t, *months_range), required=True)
    extendable = reader.read(
        EXTENDABLE, lambda _v, text: yes_no(text, default=False), required=False
    )
    language = reader.read(
        LANGUAGE,
        lambda _v, text: _choice(
            text,
            Language.values,
            _("an ISO 639-1 language code abroad knows, like en, it, fr, de or es"),
        ),
        required=True,
    )
    language_level = reader.read(
        LANGUAGE_LEVEL,
        lambda _v, text: _choice(
            text, CEFR.values, _("a CEFR level (A1, A2, B1, B2, C1 or C2), or empty")
        ),
        required=False,
    )
    notes = reader.read(NOTES, lambda _v, text: text, required=False, multiline=True)
    language_notes = None
    if LANGUAGE_NOTES in present:
        language_notes = reader.read(
            LANGUAGE_NOTES,
            lambda _v, text: _max_text(text, _max_length(Offer, "language_notes")),
            required=False,
            multiline=True,
        )
    course_ids = _read_courses(reader, lookups, levels)
    if not reader.ok:
        return None
    values = {
        "mobility_type": mobility_type,
        **{name: level in levels for level, name in LEVEL_FIELDS.items()},
        "isced_code": isced,
        "seats": seats,
        "months": months,
        "extendable": bool(extendable),
        "language": language,
        "language_level": language_level or "",
        "notes": notes or "",
    }
    if LANGUAGE_NOTES in present:
        values["language_notes"] = language_notes or ""
    assert course_ids is not None
    return _OfferData(line=reader.row.line, values=values, course_ids=course_ids)


def _read_courses(reader: _RowReader, lookups: _Lookups, levels: Any) -> frozenset[int] | None:
    text = reader.text(COURSES)
    codes = [code.strip() for code in re.split(r"[;,\n]+", text) if code.strip()]
    if not codes:
        reader.error(COURSES, _("the cell is empty: write %(what)s") % _what(COURSES))
        return None
    unknown = [
        code
        for code in codes
        if code.upper() not in lookups.courses and code.upper() not in lookups.schools
    ]
    if unknown:
        reader.error(
            COURSES,
            _(
                "%(codes)s: not the code of a course of study or of a School; check the codes "
                "in the courses of study"
            )
            % {"codes": ", ".join(quoted(code) for code in unknown)},
        )
        return None
    if levels is _FAILED:
        return None
    ids: set[int] = set()
    for code in codes:
        course = lookups.courses.get(code.upper())
        if course is not None:
            if course.eqf not in levels:
                reader.error(
                    COURSES,
                    _(
                        "the course of study %(code)s is at EQF %(eqf)d, which is not among the "
                        "offer's eqf_levels %(levels)s: add its level or remove the course"
                    )
                    % {
                        "code": quoted(code),
                        "eqf": course.eqf,
                        "levels": ";".join(map(str, levels)),
                    },
                )
                continue
            ids.add(course.pk)
            continue
        school = lookups.schools[code.upper()]
        matching = [
            course.pk
            for course in lookups.school_courses.get(school.pk, [])
            if DegreeLevel(course.level).eqf in levels
        ]
        if not matching:
            reader.error(
                COURSES,
                _(
                    "the School %(code)s has no course of study at EQF %(levels)s: name the "
                    "courses, or change eqf_levels"
                )
                % {"code": quoted(code), "levels": ";".join(map(str, levels))},
            )
            continue
        ids.update(matching)
    return frozenset(ids)


# ---------------------------------------------------------------------------------------
# Import


_check_header = header_check(
    known=COLUMNS, required=REQUIRED_COLUMNS, one_of=[(PARTNER_ERASMUS_CODE, PARTNER_SCHAC)]
)


def _display(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name in ("start_year", "end_year"):
        return format_year(value)
    if isinstance(value, Institution):
        return str(value.erasmus_code or value.schac_code or value)
    if isinstance(value, Network):
        return value.code
    if isinstance(value, Promoter):
        return value.user.get_username()
    return str(value)


def _same(name: str, a: Any, b: Any) -> bool:
    if isinstance(a, models.Model) or isinstance(b, models.Model):
        return getattr(a, "pk", None) == getattr(b, "pk", None)
    return bool(a == b)


def _collect(
    table_rows: list[Row],
    present: set[str],
    lookups: _Lookups,
    errors: list[RowError],
    progress: Progress,
) -> dict[str, _AgreementData]:
    agreements: dict[str, _AgreementData] = {}
    code_length = _max_length(Agreement, "code")
    for row in progress(table_rows, total=len(table_rows), desc="checking rows"):
        reader = _RowReader(row, present, errors)
        code = reader.text(AGREEMENT_CODE)
        if not code:
            reader.error(
                AGREEMENT_CODE, _("the cell is empty: write %(what)s") % _what(AGREEMENT_CODE)
            )
        elif len(code) > code_length:
            reader.error(
                AGREEMENT_CODE,
                _("%(value)s is longer than %(max)d characters: shorten it")
                % {"value": quoted(code), "max": code_length},
            )
        values = _read_agreement_columns(reader, lookups, present)
        has_offer = any(clean(row[column]) for column in OFFER_COLUMNS if column in present)
        offer = _read_offer(reader, lookups, present) if has_offer else None
        if not code or len(code) > code_length:
            continue
        data = agreements.setdefault(code, _AgreementData(code=code, line=row.line))
        for name, value in values.items():
            if name not in data.values:
                data.values[name] = value
                data.lines[name] = row.line
            elif not _same(name, data.values[name], value):
                errors.append(
                    RowError(
                        row.line,
                        _column_of(name),
                        _(
                            "%(value)s differs from %(first)s on line %(line)d for the same "
                            "agreement %(code)s: an agreement's columns must be the same on "
                            "all its rows"
                        )
                        % {
                            "value": quoted(_display(name, value)),
                            "first": quoted(_display(name, data.values[name])),
                            "line": data.lines[name],
                            "code": quoted(code),
                        },
                    )
                )
        if offer is not None:
            data.offers.append(offer)
    return agreements


def _column_of(name: str) -> str:
    return {
        "partner": PARTNER_ERASMUS_CODE,
        "network": NETWORK,
        "notes": AGREEMENT_NOTES,
    }.get(name, name)


def _offer_signature(values: Mapping[str, Any], course_ids: frozenset[int]) -> tuple[Any, ...]:
    return (*sorted(values.items()), ("courses", tuple(sorted(course_ids))))


def _existing_signature(offer: Offer, names: Iterable[str]) -> tuple[Any, ...]:
    values = {name: getattr(offer, name) for name in names}
    return _offer_signature(values, frozenset(course.pk for course in offer.courses.all()))


@dataclass
class _Plan:
    data: _AgreementData
    agreement: Agreement | None
    changes: tuple[Change, ...]
    remove: list[Offer]
    create: list[_OfferData]
    unchanged: int


def _plan(data: _AgreementData, existing: Agreement | None) -> _Plan:
    if existing is None:
        return _Plan(data, None, (), [], list(data.offers), 0)
    changes = tuple(
        Change(name, _display(name, getattr(existing, name)), _display(name, value))
        for name, value in data.values.items()
        if not _same(name, getattr(existing, name), value)
    )
    names = sorted(data.offers[0].values) if data.offers else []
    wanted = Counter(_offer_signature(offer.values, offer.course_ids) for offer in data.offers)
    remove = []
    kept: Counter[tuple[Any, ...]] = Counter()
    for offer in existing.offers.all():
        signature = _existing_signature(offer, names) if names else None
        if signature is not None and kept[signature] < wanted[signature]:
            kept[signature] += 1
        else:
            remove.append(offer)
    create = []
    for wanted_offer in data.offers:
        signature = _offer_signature(wanted_offer.values, wanted_offer.course_ids)
        if kept[signature] > 0:
            kept[signature] -= 1
        else:
            create.append(wanted_offer)
    return _Plan(data, existing, changes, remove, create, len(data.offers) - len(create))


class _Rollback(Exception):
    def __init__(self, error: RowError) -> None:
        self.error = error


def _write(plans: list[_Plan], progress: Progress) -> None:
    through = Offer.courses.through
    for plan in progress(plans, total=len(plans), desc="writing"):
        agreement = plan.agreement
        if agreement is None:
            agreement = Agreement.objects.create(code=plan.data.code, **plan.data.values)
        elif plan.changes:
            for name, value in plan.data.values.items():
                setattr(agreement, name, value)
            agreement.save(update_fields=[*plan.data.values, "updated_at"])
        if plan.remove:
            try:
                with transaction.atomic():
                    Offer.objects.filter(pk__in=[offer.pk for offer in plan.remove]).delete()
            except (models.ProtectedError, models.RestrictedError):
                raise _Rollback(
                    RowError(
                        plan.data.line,
                        AGREEMENT_CODE,
                        _(
                            "this file would remove offers of agreement %(code)s that are in "
                            "use (students chose them): keep those offers in the file as they "
                            "are, or change them in the admin"
                        )
                        % {"code": quoted(plan.data.code)},
                    )
                ) from None
        offers = Offer.objects.bulk_create(
            [Offer(agreement=agreement, **offer.values) for offer in plan.create]
        )
        through.objects.bulk_create(
            [
                through(offer_id=offer.pk, courseofstudy_id=course_id)
                for offer, data in zip(offers, plan.create, strict=True)
                for course_id in sorted(data.course_ids)
            ]
        )


def import_agreements(
    source: Source,
    *,
    name: str | None = None,
    dry_run: bool = False,
    actor: User | None = None,
    progress: Progress = no_progress,
) -> AgreementImportReport:
    """Import the agreements in ``source`` (an XLSX or CSV file, or an open file with its
    ``name``): all of them, or none when any row is bad (see the report's ``errors``)."""
    report = AgreementImportReport(file=source_name(source, name), dry_run=dry_run)
    table = read_import_table(source, report, anchors=(AGREEMENT_CODE,), check_header=_check_header)
    if table is None:
        return report
    present = set(table.columns)
    lookups = _Lookups.load(table.rows)
    agreements = _collect(table.rows, present, lookups, report.errors, progress)
    if report.errors:
        return report
    existing = {
        agreement.code: agreement
        for agreement in Agreement.objects.filter(code__in=list(agreements)).prefetch_related(
            Prefetch("offers", queryset=Offer.objects.prefetch_related("courses").order_by("id"))
        )
    }
    plans = [_plan(data, existing.get(code)) for code, data in agreements.items()]
    report.outcomes = [
        Outcome(
            code=plan.data.code,
            created=plan.agreement is None,
            changes=plan.changes,
            offers_created=len(plan.create),
            offers_removed=len(plan.remove),
            offers_unchanged=plan.unchanged,
        )
        for plan in plans
    ]
    if dry_run:
        return report
    try:
        write_atomically(
            report, lambda: _write(plans, progress), actor=actor, action="agreements.imported"
        )
    except _Rollback as rollback:
        report.outcomes = []
        report.errors.append(rollback.error)
    return report


# ---------------------------------------------------------------------------------------
# Export


def export_queryset() -> QuerySet[Agreement]:
    return Agreement.objects.select_related(
        "partner", "network", "promoter__user"
    ).prefetch_related(
        Prefetch(
            "offers",
            queryset=Offer.objects.prefetch_related(
                Prefetch("courses", queryset=CourseOfStudy.objects.order_by("code"))
            ).order_by("id"),
        )
    )


def export_rows(agreements: QuerySet[Agreement] | None = None) -> Iterator[dict[str, Any]]:
    """One row per offer (one row for an agreement without offers), as the import reads it."""
    queryset = export_queryset() if agreements is None else agreements
    for agreement in queryset.order_by("code"):
        base = {
            AGREEMENT_CODE: agreement.code,
            PARTNER_ERASMUS_CODE: agreement.partner.erasmus_code or "",
            PARTNER_SCHAC: agreement.partner.schac_code or "",
            PROGRAMME: agreement.programme,
            NETWORK: agreement.network.code if agreement.network else "",
            START_YEAR: format_year(agreement.start_year),
            END_YEAR: format_year(agreement.end_year),
            STATUS: agreement.status,
            PROMOTER: agreement.promoter.user.get_username() if agreement.promoter else "",
            PARTNER_CONTACT: agreement.partner_contact,
            AGREEMENT_NOTES: agreement.notes,
        }
        offers = list(agreement.offers.all())
        if not offers:
            yield base
        for offer in offers:
            yield {
                **base,
                MOBILITY_TYPE: offer.mobility_type,
                EQF_LEVELS: ";".join(str(level) for level in offer.eqf_levels),
                ISCED: offer.isced_code,
                COURSES: ";".join(course.code for course in offer.courses.all()),
                SEATS: offer.seats,
                MONTHS: offer.months,
                EXTENDABLE: "yes" if offer.extendable else "no",
                LANGUAGE: offer.language,
                LANGUAGE_LEVEL: offer.language_level,
                NOTES: offer.notes,
                LANGUAGE_NOTES: offer.language_notes,
            }


def export_agreements(
    target: str | Path | IO[bytes],
    *,
    agreements: QuerySet[Agreement] | None = None,
    fmt: Format | None = None,
    actor: User | None = None,
) -> int:
    """Write the agreements (all, or ``agreements``) to ``target``, XLSX or CSV by its name
    or by ``fmt``; return the number of rows written."""
    if fmt is None:
        fmt = file_format(str(target) if isinstance(target, str | Path) else target.name)
    if agreements is not None:
        agreements = export_queryset().filter(pk__in=agreements.values("pk"))
    count = write_table(
        target,
        columns=COLUMNS,
        rows=export_rows(agreements),
        fmt=fmt,
        sheet="Agreements",
        text_columns=TEXT_COLUMNS,
    )
    audit.record(actor=actor, action="agreements.exported", format=fmt, rows=count)
    return count
