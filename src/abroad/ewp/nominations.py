"""Nominations as OMobilities API v3 get-responses, and transcripts of records as IMobility
ToRs API get-responses (v3 with ELMO v2, or v2 with ELMO v1) read into transcript rows.

OMobilities v3 requires of each nominee what abroad keeps only in
:class:`~abroad.ewp.models.NomineeDetails` (date of birth, nationality, gender), and an
e-mail address, the student's EQF level and the ISCED-F codes (four digits) of the agreement's
offer and of the student's course of study: a mobility lacking one cannot be nominated through
EWP, and :func:`missing` says which (the node leaves it out and logs why; the file export names
it to the office)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from lxml import etree

from abroad.ewp import xml
from abroad.ewp.xml import ELMO, RAW, TORS, TORS_GET, EwpError, element, text
from abroad.mobility.enums import MobilityKind, MobilityState
from abroad.mobility.models import Mobility

VENDORED = "ewp-registry-service-vendored/src/main/resources/schemas"


@dataclass(frozen=True)
class VendoredKind(xml.Kind):
    """A kind whose schema is the registry service's vendored copy (the versions the registry
    validates against: OMobilities v3, IMobility ToRs v3), published at ``official``."""

    official: str = ""  # "<repository>/<branch>/<path>" of the published schema

    @property
    def location(self) -> str:
        return f"{self.namespace} {RAW}/{self.official}"


OMOBILITIES = (
    "https://github.com/erasmus-without-paper/ewp-specs-api-omobilities/blob/stable-v3/"
    "endpoints/get-response.xsd"
)
OMOBILITIES_GET = VendoredKind(
    "omobilities",
    OMOBILITIES,
    "omobilities-get-response",
    f"{VENDORED}/ewp-specs-api-omobilities-v3.0.0/endpoints/get-response.xsd",
    "stable-v3",
    "ewp-specs-api-omobilities/stable-v3/endpoints/get-response.xsd",
)
TORS_V3 = (
    "https://github.com/erasmus-without-paper/ewp-specs-api-imobility-tors/blob/stable-v3/"
    "endpoints/get-response.xsd"
)
ELMO_V2 = "https://github.com/emrex-eu/elmo-schemas/tree/v2"
TORS_GET_V3 = VendoredKind(
    "tors-v3",
    TORS_V3,
    "imobility-tors-get-response",
    f"{VENDORED}/ewp-specs-api-imobility-tors-v3.0.0/endpoints/get-response.xsd",
    "stable-v3",
    "ewp-specs-api-imobility-tors/stable-v3/endpoints/get-response.xsd",
)

# OMobilities v3 statuses: pending (nominated, not yet accepted), approved (the receiving HEI
# accepted), rejected, cancelled. abroad keeps no rejection: the office withdraws the mobility.
STATUS: dict[str, str] = {
    MobilityState.NOMINATED: "pending",
    MobilityState.APPLIED: "pending",
    MobilityState.ACCEPTED: "approved",
    MobilityState.IN_MOBILITY: "approved",
    MobilityState.COMPLETED: "approved",
    MobilityState.WITHDRAWN: "cancelled",
}
_ISCED = re.compile(r"^[0-9]{4}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class Nominee:
    """A mobility with the EWP identifiers and the personal data the services found for it."""

    mobility: Mobility
    omobility_id: str
    sending_hei: str
    receiving_hei: str
    sending_iia_id: str
    receiving_iia_id: str
    global_id: str
    eqf: int | None
    isced_code: str  # the offer's (the agreement's cooperation condition)
    nominee_isced_code: str = ""  # the student's course of study
    birth_date: dt.date | None = None
    nationality: str = ""
    gender: int | None = None


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


def missing(n: Nominee) -> str | None:
    """What OMobilities v3 requires and this nominee lacks, for the office (None: nothing)."""
    student = n.mobility.student
    lacking = []
    if not (student.first_name or "").strip():
        lacking.append(_("given names"))
    if not (student.last_name or "").strip():
        lacking.append(_("family name"))
    if not (student.email or "").strip():
        lacking.append(_("e-mail address"))
    if n.birth_date is None:
        lacking.append(_("date of birth"))
    if not _COUNTRY.match(n.nationality or ""):
        lacking.append(_("nationality"))
    if n.gender is None:
        lacking.append(_("gender"))
    if not n.receiving_hei:
        lacking.append(_("the host's SCHAC code"))
    if n.eqf is None:
        lacking.append(_("EQF level of the course of study"))
    if not _ISCED.match(n.isced_code or ""):
        lacking.append(_("four-digit ISCED-F code of the offer"))
    if not _ISCED.match(n.nominee_isced_code or ""):
        lacking.append(_("four-digit ISCED-F code of the course of study"))
    if not lacking:
        return None
    return _(
        "%(student)s at %(host)s cannot be nominated through EWP: OMobilities v3 requires "
        "%(fields)s."
    ) % {"student": student, "host": n.mobility.host, "fields": ", ".join(lacking)}


def proposal_id(nomination: etree._Element) -> str:
    """The nomination's ``proposal-id``: the SHA-256 of its canonical form (without the
    attribute), so it changes exactly when what the receiving HEI approves changes."""
    copy = etree.fromstring(etree.tostring(nomination))
    copy.attrib.pop("proposal-id", None)
    return hashlib.sha256(etree.tostring(copy, method="c14n")).hexdigest()


def _nomination(parent: etree._Element, n: Nominee) -> etree._Element:
    m = n.mobility
    node = element(parent, "nomination")
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
    element(node, "activity-type", "student-studies")
    element(node, "activity-attributes", "long-term")
    element(node, "agreement-isced-f-code", n.isced_code)
    element(node, "eqf-level-studied-at-departure", n.eqf)
    element(node, "nominee-isced-f-code", n.nominee_isced_code)
    node.set("proposal-id", proposal_id(node))
    return node


def render(nominees: Iterable[Nominee]) -> bytes:
    """The get-response of these nominations (each one :func:`not_nominable` and
    :func:`missing` let through; the others are refused with the reason)."""
    root = xml.new_document(OMOBILITIES_GET)
    for n in nominees:
        m = n.mobility
        reason = not_nominable(m) or missing(n)
        if reason:
            raise EwpError(reason)
        node = element(root, "student-mobility")
        element(node, "omobility-id", n.omobility_id)
        student = element(node, "student")
        element(student, "given-names", m.student.first_name)
        element(student, "family-name", m.student.last_name)
        element(student, "global-id", n.global_id)
        element(student, "birth-date", n.birth_date.isoformat() if n.birth_date else "")
        element(student, "nationality", n.nationality)
        element(student, "gender", n.gender)
        element(student, "email", m.student.email)
        _nomination(node, n)
        element(node, "status", STATUS.get(m.state, "pending"))
    return xml.serialize(root)


# ------------------------------------------------------------------- reading nominations

MOB = {"m": OMOBILITIES}


@dataclass(frozen=True)
class Nomination:
    """What we model of a nomination, read from an OMobilities v3 get-response."""

    omobility_id: str
    proposal_id: str
    sending_hei: str
    sending_iia_id: str
    receiving_hei: str
    receiving_iia_id: str
    term_id: str
    academic_year: str
    given_names: str
    family_name: str
    global_id: str
    birth_date: str
    nationality: str
    gender: str
    email: str
    status: str
    activity: str
    eqf: int | None
    isced_code: str
    nominee_isced_code: str
    languages: tuple[tuple[str, str], ...] = ()  # v2 only


def parse(data: bytes | str) -> list[Nomination]:
    """The student mobilities of a get-response, v3 (or v2, as offices exchanged them as
    files), validated first; refused otherwise."""
    if etree.QName(xml.parse(data)).namespace == xml.OMOBILITIES:
        return _parse_v2(data)
    root = xml.read(OMOBILITIES_GET, data)
    found = []
    for node in root.findall("m:student-mobility", MOB):
        nomination = node.find("m:nomination", MOB)
        eqf = text(nomination, "m:eqf-level-studied-at-departure", MOB)
        found.append(
            Nomination(
                omobility_id=text(node, "m:omobility-id", MOB),
                proposal_id=nomination.get("proposal-id", "") if nomination is not None else "",
                sending_hei=text(nomination, "m:sending-hei/m:hei-id", MOB),
                sending_iia_id=text(nomination, "m:sending-hei/m:iia-id", MOB),
                receiving_hei=text(nomination, "m:receiving-hei/m:hei-id", MOB),
                receiving_iia_id=text(nomination, "m:receiving-hei/m:iia-id", MOB),
                term_id=text(nomination, "m:sending-academic-term-ewp-id", MOB),
                academic_year=text(nomination, "m:receiving-academic-year-id", MOB),
                given_names=text(node, "m:student/m:given-names", MOB),
                family_name=text(node, "m:student/m:family-name", MOB),
                global_id=text(node, "m:student/m:global-id", MOB),
                birth_date=text(node, "m:student/m:birth-date", MOB),
                nationality=text(node, "m:student/m:nationality", MOB),
                gender=text(node, "m:student/m:gender", MOB),
                email=text(node, "m:student/m:email", MOB),
                status=text(node, "m:status", MOB),
                activity=text(nomination, "m:activity-type", MOB),
                eqf=int(eqf) if eqf else None,
                isced_code=text(nomination, "m:agreement-isced-f-code", MOB),
                nominee_isced_code=text(nomination, "m:nominee-isced-f-code", MOB),
            )
        )
    return found


def _parse_v2(data: bytes | str) -> list[Nomination]:
    root = xml.read(xml.OMOBILITIES_GET, data)
    ns = {"m": xml.OMOBILITIES}
    found = []
    for node in root.findall("m:student-mobility", ns):
        eqf = text(node, "m:eqf-level-studied-at-nomination", ns)
        found.append(
            Nomination(
                omobility_id=text(node, "m:omobility-id", ns),
                proposal_id="",
                sending_hei=text(node, "m:sending-hei/m:hei-id", ns),
                sending_iia_id=text(node, "m:sending-hei/m:iia-id", ns),
                receiving_hei=text(node, "m:receiving-hei/m:hei-id", ns),
                receiving_iia_id=text(node, "m:receiving-hei/m:iia-id", ns),
                term_id=text(node, "m:sending-academic-term-ewp-id", ns),
                academic_year=text(node, "m:receiving-academic-year-id", ns),
                given_names=text(node, "m:student/m:given-names", ns),
                family_name=text(node, "m:student/m:family-name", ns),
                global_id=text(node, "m:student/m:global-id", ns),
                birth_date=text(node, "m:student/m:birth-date", ns),
                nationality=text(node, "m:student/m:citizenship", ns),
                gender=text(node, "m:student/m:gender", ns),
                email=text(node, "m:student/m:email", ns),
                status=text(node, "m:status", ns),
                activity=text(node, "m:activity-type", ns),
                eqf=int(eqf) if eqf else None,
                isced_code=text(node, "m:nominee-isced-f-code", ns),
                nominee_isced_code=text(node, "m:nominee-isced-f-code", ns),
                languages=tuple(
                    (text(skill, "m:language", ns), text(skill, "m:cefr-level", ns))
                    for skill in node.findall("m:nominee-language-skill", ns)
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


def _opportunities(parent: etree._Element, ns: dict[str, str]) -> Iterator[etree._Element]:
    """Every learning opportunity of a report, parts included (ELMO nests them)."""
    for spec in parent.findall("e:learningOpportunitySpecification", ns):
        yield spec
        for part in spec.findall("e:hasPart", ns):
            yield from _opportunities(part, ns)


def _row(spec: etree._Element, ns: dict[str, str]) -> TorRow | None:
    instance = spec.find("e:specifies/e:learningOpportunityInstance", ns)
    if instance is None:
        return None  # a group (a degree, a module) rather than a course taken
    identifiers = {i.get("type", ""): text(i) for i in spec.findall("e:identifier", ns)}
    code = (
        identifiers.get("local")
        or identifiers.get("ewp-los-code")
        or next(iter(identifiers.values()), "")
    )
    title = text(spec, "e:title", ns)
    ects = None
    for credit in instance.findall("e:credit", ns):
        if text(credit, "e:scheme", ns).lower() == "ects":
            ects = _decimal(text(credit, "e:value", ns))
    return TorRow(
        code=code or title, title=title, ects=ects, grade=text(instance, "e:resultLabel", ns)
    )


def parse_tors(data: bytes | str) -> list[Tor]:
    """The transcripts of an IMobility ToRs get-response: v3 (ELMO v2, what partners' nodes
    serve) or v2 (ELMO v1, the files offices exchanged), told by the root's namespace."""
    first = xml.parse(data)
    v3 = etree.QName(first).namespace == TORS_V3
    root = xml.read(TORS_GET_V3 if v3 else TORS_GET, data)
    ns = {"t": TORS_V3, "e": ELMO_V2} if v3 else NS
    tors = []
    for tor in root.findall("t:tor", ns):
        rows: list[TorRow] = []
        issuer = ""
        for report in tor.findall("e:elmo/e:report", ns):
            for identifier in report.findall("e:issuer/e:identifier", ns):
                if identifier.get("type") == "schac":
                    issuer = text(identifier)
            rows.extend(
                row for spec in _opportunities(report, ns) if (row := _row(spec, ns)) is not None
            )
        distributions = {
            table.get("iscedCode", ""): {
                f.get("label", ""): _decimal(f.get("percentage", "")) or Decimal(0)
                for f in table.findall("t:gradeFrequency", ns)
            }
            for table in tor.findall("t:gradeConversionTable/t:iscedTable", ns)
        }
        tors.append(Tor(text(tor, "t:omobility-id", ns), issuer, tuple(rows), distributions))
    if not tors:
        raise EwpError(_("The document holds no transcript of records."))
    return tors
