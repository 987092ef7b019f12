"""Nominations as OMobilities API v2 get-responses, and transcripts of records as IMobility
ToRs API v2 get-responses (ELMO inside) read into transcript rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from lxml import etree

from abroad.ewp import xml
from abroad.ewp.xml import ELMO, OMOBILITIES_GET, TORS, TORS_GET, EwpError, element, text
from abroad.mobility.enums import MobilityKind, MobilityState
from abroad.mobility.models import Mobility

STATUS: dict[str, str] = {
    MobilityState.WITHDRAWN: "cancelled",
    MobilityState.COMPLETED: "recognized",
}


@dataclass(frozen=True)
class Nominee:
    """A mobility with the EWP identifiers the services found for it."""

    mobility: Mobility
    omobility_id: str
    sending_hei: str
    receiving_hei: str
    sending_iia_id: str
    receiving_iia_id: str
    global_id: str
    eqf: int | None
    isced_code: str
    languages: tuple[tuple[str, str], ...]


def term_id(mobility: Mobility) -> str:
    """The sending institution's academic term (EWP id): the whole year for a year or a
    double degree, else the semester the planned start falls in (from August: first)."""
    year = f"{mobility.academic_year}/{mobility.academic_year + 1}"
    if mobility.kind in (MobilityKind.YEAR, MobilityKind.DOUBLE_DEGREE) or mobility.months > 6:
        return f"{year}-1/1"
    start = mobility.planned_start
    second = start is not None and 2 <= start.month <= 7
    return f"{year}-{2 if second else 1}/2"


def not_nominable(mobility: Mobility) -> str | None:
    """Why an OMobilities document cannot carry this mobility's nomination (None: it can).
    Its activity attributes name long-term stays, blended intensive programmes and short
    doctoral stays only: a short network programme (an ATHENS week) has no value there, and
    is nominated to its host outside EWP."""
    if mobility.kind == MobilityKind.SHORT:
        return _(
            "%(student)s at %(host)s: a short network programme cannot be nominated through "
            "EWP (the nominations API has no value for it); nominate the student to the host "
            "by e-mail."
        ) % {"student": mobility.student, "host": mobility.host}
    return None


def render(nominees: Iterable[Nominee]) -> bytes:
    """The get-response of these nominations (each one :func:`not_nominable` lets through)."""
    root = xml.new_document(OMOBILITIES_GET)
    for n in nominees:
        m = n.mobility
        if not_nominable(m):
            raise EwpError(not_nominable(m) or "")
        node = element(root, "student-mobility")
        element(node, "omobility-id", n.omobility_id)
        sending = element(node, "sending-hei")
        element(sending, "hei-id", n.sending_hei)
        if n.sending_iia_id:
            element(sending, "iia-id", n.sending_iia_id)
        receiving = element(node, "receiving-hei")
        element(receiving, "hei-id", n.receiving_hei)
        if n.receiving_iia_id:
            element(receiving, "iia-id", n.receiving_iia_id)
        element(node, "sending-academic-term-ewp-id", term_id(m))
        element(node, "receiving-academic-year-id", f"{m.academic_year}/{m.academic_year + 1}")
        student = element(node, "student")
        element(student, "given-names", m.student.first_name or "-")
        element(student, "family-name", m.student.last_name or m.student.username)
        element(student, "global-id", n.global_id)
        if m.student.email:
            element(student, "email", m.student.email)
        element(
            node,
            "status",
            STATUS.get(m.state, "nomination" if m.state == MobilityState.NOMINATED else "live"),
        )
        element(node, "activity-type", "student-studies")
        element(node, "activity-attributes", "long-term")
        if m.planned_start:
            element(node, "planned-arrival-date", m.planned_start.isoformat())
        if m.planned_end:
            element(node, "planned-departure-date", m.planned_end.isoformat())
        if n.eqf:
            element(node, "eqf-level-studied-at-nomination", n.eqf)
        if n.isced_code:
            element(node, "nominee-isced-f-code", n.isced_code)
        for language, level in n.languages:
            skill = element(node, "nominee-language-skill")
            element(skill, "language", language)
            if level:
                element(skill, "cefr-level", level)
    return xml.serialize(root)


# ------------------------------------------------------------------- reading nominations

MOB = {"m": xml.OMOBILITIES}


@dataclass(frozen=True)
class Nomination:
    """What we model of a nomination, read from an OMobilities get-response."""

    omobility_id: str
    sending_hei: str
    sending_iia_id: str
    receiving_hei: str
    receiving_iia_id: str
    term_id: str
    academic_year: str
    given_names: str
    family_name: str
    global_id: str
    status: str
    activity: str
    arrival: str
    departure: str
    eqf: int | None
    isced_code: str
    languages: tuple[tuple[str, str], ...]


def parse(data: bytes | str) -> list[Nomination]:
    """The student mobilities of a get-response (validated first; refused otherwise)."""
    root = xml.read(OMOBILITIES_GET, data)
    found = []
    for node in root.findall("m:student-mobility", MOB):
        eqf = text(node, "m:eqf-level-studied-at-nomination", MOB)
        found.append(
            Nomination(
                omobility_id=text(node, "m:omobility-id", MOB),
                sending_hei=text(node, "m:sending-hei/m:hei-id", MOB),
                sending_iia_id=text(node, "m:sending-hei/m:iia-id", MOB),
                receiving_hei=text(node, "m:receiving-hei/m:hei-id", MOB),
                receiving_iia_id=text(node, "m:receiving-hei/m:iia-id", MOB),
                term_id=text(node, "m:sending-academic-term-ewp-id", MOB),
                academic_year=text(node, "m:receiving-academic-year-id", MOB),
                given_names=text(node, "m:student/m:given-names", MOB),
                family_name=text(node, "m:student/m:family-name", MOB),
                global_id=text(node, "m:student/m:global-id", MOB),
                status=text(node, "m:status", MOB),
                activity=text(node, "m:activity-type", MOB),
                arrival=text(node, "m:planned-arrival-date", MOB),
                departure=text(node, "m:planned-departure-date", MOB),
                eqf=int(eqf) if eqf else None,
                isced_code=text(node, "m:nominee-isced-f-code", MOB),
                languages=tuple(
                    (text(skill, "m:language", MOB), text(skill, "m:cefr-level", MOB))
                    for skill in node.findall("m:nominee-language-skill", MOB)
                ),
            )
        )
    return found


# ---------------------------------------------------------------------- transcripts (ToR)

NS = {"t": TORS, "e": ELMO}


@dataclass(frozen=True)
class TorRow:
    """One learning opportunity of a transcript: the host's code (or id), title, ECTS, the
    grade as the host writes it ("" when it has none)."""

    code: str
    title: str
    ects: Decimal | None
    grade: str


@dataclass(frozen=True)
class Tor:
    omobility_id: str
    issuer: str  # the issuer's SCHAC code, "" when the report does not say
    rows: tuple[TorRow, ...]
    distributions: dict[str, dict[str, Decimal]]  # ISCED code -> grade -> percentage


def _decimal(value: str) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        raise EwpError(_("%(value)s is not a number.") % {"value": value}) from None


def _opportunities(parent: etree._Element) -> Iterator[etree._Element]:
    """Every learning opportunity of a report, parts included (ELMO nests them)."""
    for spec in parent.findall("e:learningOpportunitySpecification", NS):
        yield spec
        for part in spec.findall("e:hasPart", NS):
            yield from _opportunities(part)


def _row(spec: etree._Element) -> TorRow | None:
    instance = spec.find("e:specifies/e:learningOpportunityInstance", NS)
    if instance is None:
        return None  # a group (a degree, a module) rather than a course taken
    identifiers = {i.get("type", ""): text(i) for i in spec.findall("e:identifier", NS)}
    code = (
        identifiers.get("local")
        or identifiers.get("ewp-los-code")
        or next(iter(identifiers.values()), "")
    )
    title = text(spec, "e:title", NS)
    ects = None
    for credit in instance.findall("e:credit", NS):
        if text(credit, "e:scheme", NS).lower() == "ects":
            ects = _decimal(text(credit, "e:value", NS))
    return TorRow(
        code=code or title, title=title, ects=ects, grade=text(instance, "e:resultLabel", NS)
    )


def parse_tors(data: bytes | str) -> list[Tor]:
    root = xml.read(TORS_GET, data)
    tors = []
    for tor in root.findall("t:tor", NS):
        rows: list[TorRow] = []
        issuer = ""
        for report in tor.findall("e:elmo/e:report", NS):
            for identifier in report.findall("e:issuer/e:identifier", NS):
                if identifier.get("type") == "schac":
                    issuer = text(identifier)
            rows.extend(row for spec in _opportunities(report) if (row := _row(spec)) is not None)
        distributions = {
            table.get("iscedCode", ""): {
                f.get("label", ""): _decimal(f.get("percentage", "")) or Decimal(0)
                for f in table.findall("t:gradeFrequency", NS)
            }
            for table in tor.findall("t:gradeConversionTable/t:iscedTable", NS)
        }
        tors.append(Tor(text(tor, "t:omobility-id", NS), issuer, tuple(rows), distributions))
    if not tors:
        raise EwpError(_("The document holds no transcript of records."))
    return tors
