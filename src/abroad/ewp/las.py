"""Learning agreements as OMobility LAs API v1 documents (schema v1.2): our versions as a
get-response, and a partner's update-request (approve or comment a proposal) read back.

How our versions map (each version is immutable, so its id never needs to change):

* ``first-version``: the first version signed by all three (student, promoter, host), whole.
* ``approved-changes``: when a later version is signed by all three, the components it adds
  to or removes from the first version (``status`` inserted / deleted, with the reason).
* ``changes-proposal``: the newest version the promoter approved and the host has not signed
  yet, with id ``<omobility-id>-v<version>``: whole when nothing is signed yet (the initial
  proposal), else the components it changes. A version only the student signed is not sent:
  in EWP the sending institution signs a proposal before the partner sees it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from lxml import etree

from abroad.ewp import xml
from abroad.ewp.xml import LA_GET, LA_UPDATE_REQUEST, LAS, EwpError, element, text
from abroad.mobility.checks import is_live
from abroad.mobility.enums import LearningAgreementState, Table
from abroad.mobility.models import Component, LearningAgreement, Mobility
from abroad.mobility.queries import live_components

NS = {"la": LAS, "req": xml.LA_UPDATE}
LISTS = {
    Table.A: "components-studied",
    Table.B: "components-recognized",
    Table.C: "virtual-components",
}
SIGNER_APP = "abroad"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


@dataclass(frozen=True)
class Person:
    given_names: str
    family_name: str
    email: str


@dataclass(frozen=True)
class Parties:
    """Who the document names, found by the services: the two HEIs and their contacts."""

    omobility_id: str
    sending_hei: str
    receiving_hei: str
    sending_contact: Person
    receiving_contact: Person
    global_id: str


def split_name(name: str) -> tuple[str, str]:
    """("Anna Maria", "Rossi") from "Anna Maria Rossi"; a single word is a family name."""
    words = name.split()
    if len(words) < 2:
        return "", name.strip()
    return " ".join(words[:-1]), words[-1]


def parse_contact(value: str) -> Person | None:
    """A person from a free text such as "Paweł Kowalski <pawel@uw.edu.pl>"; None without an
    e-mail address."""
    match = _EMAIL.search(value)
    if match is None:
        return None
    name = (value[: match.start()] + value[match.end() :]).strip(" <>,;()-\t")
    given, family = split_name(name or match.group(0).split("@")[0])
    return Person(given or "-", family, match.group(0))


def proposal_id(omobility_id: str, version: LearningAgreement) -> str:
    return f"{omobility_id}-v{version.number}"


def _key(component: Component) -> tuple[str, str]:
    return (component.table, (component.code or component.title).strip().casefold())


def _credit(value: Decimal | None) -> str:
    return "0" if value is None else format(value.normalize(), "f")


def _render_component(parent: etree._Element, c: Component, *, status: str = "") -> None:
    attrs = {}
    if status:
        attrs["status"] = status
        if c.reason_code:
            attrs["reason-code"] = c.reason_code
        if c.reason_text:
            attrs["reason-text"] = c.reason_text
    node = element(parent, "component", **attrs)
    if c.code:
        element(node, "los-code", c.code)
    element(node, "title", c.title)
    credit = element(node, "credit")
    element(credit, "scheme", "ects")
    element(credit, "value", _credit(c.ects))
    if c.is_thesis:
        element(node, "recognition-conditions", _("Credits for the thesis work"))
    if c.term:
        element(node, "short-description", c.term)


def _components(version: LearningAgreement) -> list[Component]:
    """The version's components in force (rows a change deletes are not in it)."""
    return live_components(version)


def _render_list(
    parent: etree._Element,
    tag: str,
    version: LearningAgreement,
    student: Person,
    base: LearningAgreement | None = None,
    proposal: str = "",
) -> None:
    node = element(parent, tag, **({"id": proposal} if proposal else {}))
    now = _components(version)
    changes: dict[str, list[tuple[Component, str]]] = {table: [] for table in LISTS}
    if base is None:
        for c in now:
            changes[c.table].append((c, ""))
    else:
        before = {_key(c): c for c in _components(base)}
        after = {_key(c): c for c in now}
        for key, c in after.items():
            if key not in before:
                changes[c.table].append((c, "inserted"))
        for key, c in before.items():
            if key not in after:
                # the reason is written on the deleted row of the change, when there is one
                row = next(
                    (r for r in version.components.all() if not is_live(r) and _key(r) == key),
                    c,
                )
                changes[c.table].append((row, "deleted"))
    for table, name in LISTS.items():
        if changes[table] or (base is None and table != Table.C):
            items = element(node, name)
            for c, status in changes[table]:
                _render_component(items, c, status=status)
    _signature(node, "student-signature", version.student_signed_at, student, "")
    promoter = version.promoter
    _signature(
        node,
        "sending-hei-signature",
        version.promoter_signed_at,
        Person(promoter.first_name, promoter.last_name, promoter.email) if promoter else None,
        _("Promoter"),
    )
    if version.host_signed_at and not proposal:
        element_signature = element(node, "receiving-hei-signature")
        if version.host_signer:
            element(element_signature, "signer-name", version.host_signer)
        element(element_signature, "timestamp", _timestamp(version.host_signed_at))


def _timestamp(moment: dt.datetime | None) -> str:
    if moment is None:
        raise EwpError(_("A signature has no date."))
    return moment.isoformat(timespec="seconds")


def _signature(
    parent: etree._Element,
    tag: str,
    moment: dt.datetime | None,
    person: Person | None,
    position: str,
) -> None:
    node = element(parent, tag)
    if person is not None and (person.given_names or person.family_name):
        element(node, "signer-name", f"{person.given_names} {person.family_name}".strip())
        if position:
            element(node, "signer-position", position)
        if person.email:
            element(node, "signer-email", person.email)
    element(node, "timestamp", _timestamp(moment))
    element(node, "signer-app", SIGNER_APP)


def sendable(versions: Sequence[LearningAgreement]) -> list[LearningAgreement]:
    """The versions a partner may see: approved by the promoter (and maybe signed by the
    host). Refuses (EwpError) when there is none."""
    sent = [
        v
        for v in versions
        if v.state in (LearningAgreementState.APPROVED, LearningAgreementState.SIGNED)
    ]
    if not sent:
        raise EwpError(
            _(
                "No version of this learning agreement is signed by the student and approved "
                "by the promoter yet: there is nothing to send."
            )
        )
    return sent


def waiting_proposal(versions: Sequence[LearningAgreement]) -> LearningAgreement | None:
    """The version a partner sees as the ``changes-proposal`` (the only one it may approve or
    comment): the newest the promoter approved, newer than the last signed by all three."""
    signed = [v for v in versions if v.state == LearningAgreementState.SIGNED]
    pending = [
        v
        for v in versions
        if v.state == LearningAgreementState.APPROVED
        and (not signed or v.number > signed[-1].number)
    ]
    return pending[-1] if pending else None


def render(mobility: Mobility, versions: Sequence[LearningAgreement], parties: Parties) -> bytes:
    """The get-response for one mobility. ``versions``: its learning agreement versions with
    their components, oldest first. Refuses (EwpError) when nothing can be sent yet."""
    sent = sendable(versions)
    if mobility.planned_start is None or mobility.planned_end is None:
        raise EwpError(_("EWP needs the planned start and end of the mobility: record them first."))
    latest = sent[-1]
    if not latest.isced_code or not latest.language or not latest.eqf:
        raise EwpError(
            _(
                "EWP needs the subject area (ISCED-F), the EQF level and the language of the "
                "learning agreement: version %(number)s lacks one."
            )
            % {"number": latest.number}
        )
    student = mobility.student
    root = xml.new_document(LA_GET)
    la = element(root, "la")
    element(la, "omobility-id", parties.omobility_id)
    for tag, hei, person in (
        ("sending-hei", parties.sending_hei, parties.sending_contact),
        ("receiving-hei", parties.receiving_hei, parties.receiving_contact),
    ):
        node = element(la, tag)
        element(node, "hei-id", hei)
        contact = element(node, "contact-person")
        element(contact, "given-names", person.given_names)
        element(contact, "family-name", person.family_name)
        element(contact, "email", person.email)
    element(
        la, "receiving-academic-year-id", f"{mobility.academic_year}/{mobility.academic_year + 1}"
    )
    me = element(la, "student")
    if student.first_name:
        element(me, "given-names", student.first_name)
    element(me, "family-name", student.last_name)
    element(me, "global-id", parties.global_id)
    if student.email:
        element(me, "email", student.email)
    element(la, "start-date", mobility.planned_start.isoformat())
    element(la, "end-date", mobility.planned_end.isoformat())
    element(la, "eqf-level-studied-at-departure", latest.eqf)
    element(la, "isced-f-code", latest.isced_code)
    skill = element(la, "student-language-skill")
    element(skill, "language", latest.language)
    element(
        skill,
        "cefr-level",
        "C2" if latest.language_level in ("", "native") else latest.language_level,
    )
    me_person = Person(student.first_name, student.last_name, student.email)
    signed = [v for v in sent if v.state == LearningAgreementState.SIGNED]
    first = signed[0] if signed else None
    if first is not None:
        _render_list(la, "first-version", first, me_person)
        if signed[-1] is not first:
            _render_list(la, "approved-changes", signed[-1], me_person, base=first)
    version = waiting_proposal(sent)
    if version is not None:
        _render_list(
            la,
            "changes-proposal",
            version,
            me_person,
            base=signed[-1] if signed else None,
            proposal=proposal_id(parties.omobility_id, version),
        )
    return xml.serialize(root)


# ------------------------------------------------------------------------ update requests


@dataclass(frozen=True)
class Update:
    """A partner's answer to one of our proposals."""

    sending_hei: str
    approve: bool
    omobility_id: str
    proposal_id: str
    comment: str
    signer_name: str
    signer_position: str
    signer_email: str
    signed_at: dt.datetime

    @property
    def version_number(self) -> int | None:
        match = re.fullmatch(rf"{re.escape(self.omobility_id)}-v(\d+)", self.proposal_id)
        return int(match.group(1)) if match else None

    @property
    def signer(self) -> str:
        return ", ".join(filter(None, (self.signer_name, self.signer_position))) or _("the host")


def render_update(update: Update) -> bytes:
    """An ``omobility-las-update-request`` answering a partner's proposal (the receiving HEI's
    side, for a client of their update endpoint and for tests): approve it, or comment it."""
    root = xml.new_document(LA_UPDATE_REQUEST, {"la": LAS})
    element(root, "sending-hei-id", update.sending_hei)
    node = element(root, "approve-proposal-v1" if update.approve else "comment-proposal-v1")
    element(node, "omobility-id", update.omobility_id)
    element(node, "changes-proposal-id", update.proposal_id)
    if not update.approve:
        element(node, "comment", update.comment)
    signature = element(node, "signature")
    for tag, value in (
        ("signer-name", update.signer_name),
        ("signer-position", update.signer_position),
        ("signer-email", update.signer_email),
    ):
        if value:
            element(signature, f"{{{LAS}}}{tag}", value)
    element(signature, f"{{{LAS}}}timestamp", _timestamp(update.signed_at))
    element(signature, f"{{{LAS}}}signer-app", SIGNER_APP)
    return xml.serialize(root)


def parse_update(data: bytes | str) -> Update:
    root = xml.read(LA_UPDATE_REQUEST, data)
    node = root.find("req:approve-proposal-v1", NS)
    approve = node is not None
    if node is None:
        node = root.find("req:comment-proposal-v1", NS)
    if node is None:
        raise EwpError(_("The update request neither approves nor comments a proposal."))
    signature = node.find("req:signature", NS)
    moment = parse_datetime(text(signature, "la:timestamp", NS))
    if moment is None:
        raise EwpError(_("The signature's timestamp cannot be read."))
    return Update(
        sending_hei=text(root, "req:sending-hei-id", NS),
        approve=approve,
        omobility_id=text(node, "req:omobility-id", NS),
        proposal_id=text(node, "req:changes-proposal-id", NS),
        comment=text(node, "req:comment", NS),
        signer_name=text(signature, "la:signer-name", NS),
        signer_position=text(signature, "la:signer-position", NS),
        signer_email=text(signature, "la:signer-email", NS),
        signed_at=moment,
    )


# ------------------------------------------------------------------------ get-responses


@dataclass(frozen=True)
class ReadComponent:
    """A component as a get-response lists it: ``table`` is our table (A, B, C) for the lists
    we model, else the list's element name (blended, doctoral components)."""

    table: str
    los_code: str
    title: str
    ects: Decimal | None
    status: str  # "" in a first version; "inserted" / "deleted" in changes
    reason_code: str


@dataclass(frozen=True)
class ReadSignature:
    signer_name: str
    signer_position: str
    signer_email: str
    timestamp: dt.datetime | None


@dataclass(frozen=True)
class ReadList:
    """A ``first-version``, ``approved-changes`` or ``changes-proposal``."""

    components: tuple[ReadComponent, ...]
    student: ReadSignature | None
    sending: ReadSignature | None
    receiving: ReadSignature | None
    proposal_id: str = ""


@dataclass(frozen=True)
class ReadLa:
    omobility_id: str
    sending_hei: str
    receiving_hei: str
    first_version: ReadList | None
    approved_changes: ReadList | None
    changes_proposal: ReadList | None


_TABLES = {name: table for table, name in LISTS.items()}


def _read_credit(component: etree._Element) -> Decimal | None:
    for credit in component.findall("la:credit", NS):
        if text(credit, "la:scheme", NS).lower() == "ects":
            value = text(credit, "la:value", NS)
            return Decimal(value) if value else None
    return None


def _read_signature(node: etree._Element | None) -> ReadSignature | None:
    if node is None:
        return None
    return ReadSignature(
        signer_name=text(node, "la:signer-name", NS),
        signer_position=text(node, "la:signer-position", NS),
        signer_email=text(node, "la:signer-email", NS),
        timestamp=parse_datetime(text(node, "la:timestamp", NS)),
    )


def _read_list(node: etree._Element | None) -> ReadList | None:
    if node is None:
        return None
    components = []
    for items in node:
        name = xml.local(items)
        if "components" not in name:
            continue
        for c in items.findall("la:component", NS):
            components.append(
                ReadComponent(
                    table=_TABLES.get(name, name),
                    los_code=text(c, "la:los-code", NS),
                    title=text(c, "la:title", NS),
                    ects=_read_credit(c),
                    status=c.get("status", ""),
                    reason_code=c.get("reason-code", ""),
                )
            )
    return ReadList(
        components=tuple(components),
        student=_read_signature(node.find("la:student-signature", NS)),
        sending=_read_signature(node.find("la:sending-hei-signature", NS)),
        receiving=_read_signature(node.find("la:receiving-hei-signature", NS)),
        proposal_id=node.get("id", ""),
    )


def parse(data: bytes | str) -> list[ReadLa]:
    """The learning agreements of a get-response (validated first; refused otherwise): what
    we model of each, the three lists with their components and signatures."""
    root = xml.read(LA_GET, data)
    return [
        ReadLa(
            omobility_id=text(la, "la:omobility-id", NS),
            sending_hei=text(la, "la:sending-hei/la:hei-id", NS),
            receiving_hei=text(la, "la:receiving-hei/la:hei-id", NS),
            first_version=_read_list(la.find("la:first-version", NS)),
            approved_changes=_read_list(la.find("la:approved-changes", NS)),
            changes_proposal=_read_list(la.find("la:changes-proposal", NS)),
        )
        for la in root.findall("la:la", NS)
    ]
