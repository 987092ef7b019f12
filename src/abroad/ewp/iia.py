"""Inter-institutional agreements as IIAs API v7 documents: the plain data (:class:`Iia`),
its XML both ways, the ``iia-hash``, and the differences between two copies.

The hash follows the specification's XSLT (resources/xsltKit/transform_version_7.xsl in
ewp-specs-api-iias): a text made of both iia-ids and every leaf of every cooperation condition
(contacts, the academic years and elements marked not-yet-defined left out, the years added
at the end of each condition), hashed with SHA-256. The XSLT needs XSLT 2.0, which lxml does
not have, so :func:`text_to_hash` does the same walk in Python; the tests check it against
the specification's own example and hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from django.utils.translation import gettext as _
from lxml import etree

from abroad.ewp import xml
from abroad.ewp.xml import IIA_GET, IIAS, EwpError, element, local, text

NS = {"i": IIAS}
STUDIES = "student-studies-mobility-spec"
SPECS = (
    STUDIES,
    "student-traineeship-mobility-spec",
    "staff-teacher-mobility-spec",
    "staff-training-mobility-spec",
)
_HIDDEN = {"sending-contact", "receiving-contact"}
_YEARS = {"receiving-first-academic-year-id", "receiving-last-academic-year-id"}


@dataclass(frozen=True)
class Partner:
    hei_id: str
    iia_id: str = ""
    iia_code: str = ""


@dataclass(frozen=True)
class Condition:
    """One cooperation condition (a mobility spec). Our offers are student-studies
    conditions from the home HEI to the partner."""

    kind: str
    sending_hei: str
    receiving_hei: str
    first_year: int  # 2027 for 2027/2028
    last_year: int
    mobilities_per_year: int | None
    total_months: int | None = None
    eqf_levels: tuple[int, ...] = ()
    isced_codes: tuple[str, ...] = ()
    languages: tuple[tuple[str, str], ...] = ()  # (language, CEFR level or "")
    blended: bool = False
    other_info: str = ""

    @property
    def months_per_mobility(self) -> int | None:
        if not self.total_months or not self.mobilities_per_year:
            return None
        return -(-self.total_months // self.mobilities_per_year)  # rounded up

    def key(self) -> tuple[object, ...]:
        """What pairs a condition with its counterpart in another copy."""
        return (self.kind, self.sending_hei, self.receiving_hei, self.isced_codes[:1])


@dataclass(frozen=True)
class Iia:
    """One IIA as a get-response carries it; ``partners[0]`` is the HEI that serves it."""

    partners: tuple[Partner, Partner]
    in_effect: bool
    conditions: tuple[Condition, ...]
    iia_hash: str = ""
    terminated: bool = False
    computed_hash: str = field(default="", compare=False)

    def outgoing(self, home: str) -> list[Condition]:
        """The conditions we model as offers: student studies from ``home``."""
        return [c for c in self.conditions if c.kind == STUDIES and c.sending_hei == home]

    def partner(self, hei_id: str) -> Partner | None:
        return next((p for p in self.partners if p.hei_id == hei_id), None)


def academic_year(year: int) -> str:
    return f"{year}/{year + 1}"


def _year(value: str) -> int:
    return int(value.split("/", 1)[0])


# ------------------------------------------------------------------------------- the hash


def text_to_hash(iia: etree._Element) -> str:
    """The text the v7 XSLT builds for one ``iia`` element."""
    parts: list[str] = []
    coop = iia.find("i:cooperation-conditions", NS)
    if coop is not None and coop.get("terminated-as-a-whole") in ("true", "1"):
        parts.append("_@terminated-as-a-whole@_")
    for number, partner in enumerate(iia.findall("i:partner", NS), 1):
        parts.append(f"_iia-id_{number}={text_raw(partner.find('i:iia-id', NS))}_")
    for spec in coop if coop is not None else ():
        if not isinstance(spec.tag, str):
            continue
        for node in spec.iterdescendants():
            if not isinstance(node.tag, str) or local(node) in _YEARS:
                continue
            if any(local(a) in _HIDDEN for a in node.iterancestors()):
                continue
            if any(_not_yet_defined(n) for n in (node, *node.iterancestors())):
                continue
            parent = node.getparent()
            grand = parent.getparent() if parent is not None else None
            for name, value in node.attrib.items():
                name = etree.QName(name).localname
                if name in ("not-yet-defined", "v6-value"):
                    continue
                parts.append(f"_@{_names(grand, parent, node)}.{name}={value}@_")
            if not any(isinstance(child.tag, str) for child in node):
                value = text_raw(node)
                if local(node) == "isced-f-code" and node.get("v6-value"):
                    value = node.get("v6-value", "")
                parts.append(f"_{_names(grand, parent, node)}={value}_")
        for name in ("receiving-first-academic-year-id", "receiving-last-academic-year-id"):
            parts.append(f"_{name}={text_raw(spec.find(f'i:{name}', NS))}_")
    return "".join(parts)


def _names(*nodes: etree._Element | None) -> str:
    """local-name() of each node, joined by dots as the XSLT does."""
    return ".".join(local(n) if n is not None else "" for n in nodes)


def text_raw(node: etree._Element | None) -> str:
    """The element's string value, unstripped (as XSLT's value-of gives it)."""
    return "" if node is None else "".join(node.itertext())


def _not_yet_defined(node: etree._Element) -> bool:
    return node.get("not-yet-defined") in ("true", "1")


def iia_hash(iia: etree._Element) -> str:
    return hashlib.sha256(text_to_hash(iia).encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------ to XML


def render(iias: Iterable[Iia]) -> bytes:
    """An IIAs get-response holding ``iias``, each with its ``iia-hash`` computed."""
    root = xml.new_document(IIA_GET)
    for iia in iias:
        node = element(root, "iia")
        for partner in iia.partners:
            p = element(node, "partner")
            element(p, "hei-id", partner.hei_id)
            if partner.iia_id:
                element(p, "iia-id", partner.iia_id)
            if partner.iia_code:
                element(p, "iia-code", partner.iia_code)
        element(node, "in-effect", "true" if iia.in_effect else "false")
        coop = element(node, "cooperation-conditions")
        if iia.terminated:
            coop.set("terminated-as-a-whole", "true")
        for kind in SPECS:  # the schema wants the kinds in this order
            for condition in (c for c in iia.conditions if c.kind == kind):
                _render_condition(coop, condition)
        element(node, "iia-hash", iia_hash(node))
    return xml.serialize(root)


def _render_condition(coop: etree._Element, c: Condition) -> None:
    spec = element(coop, c.kind)
    element(spec, "sending-hei-id", c.sending_hei)
    element(spec, "receiving-hei-id", c.receiving_hei)
    element(spec, "receiving-first-academic-year-id", academic_year(c.first_year))
    element(spec, "receiving-last-academic-year-id", academic_year(c.last_year))
    if c.mobilities_per_year is None:
        element(spec, "mobilities-per-year", "1", **{"not-yet-defined": "true"})
    else:
        element(spec, "mobilities-per-year", c.mobilities_per_year)
    for language, level in c.languages:
        skill = element(spec, "recommended-language-skill")
        element(skill, "language", language)
        if level:
            element(skill, "cefr-level", level)
    for code in c.isced_codes:
        area = element(spec, "subject-area")
        element(area, "isced-f-code", code)
    if c.other_info:
        element(spec, "other-info-terms", c.other_info)
    if c.kind.startswith("student"):
        if c.total_months is not None:
            element(spec, "total-months-per-year", c.total_months)
        element(spec, "blended", "true" if c.blended else "false")
        for eqf in c.eqf_levels:
            element(spec, "eqf-level", eqf)


# ---------------------------------------------------------------------------- from XML


def parse(data: bytes | str) -> list[Iia]:
    """The IIAs of a get-response, validated against the official schema; each with the
    hash it declares and the one we compute (they differ when the sender computed it
    wrongly, or the document was changed after)."""
    root = xml.read(IIA_GET, data)
    iias = [_parse_iia(node) for node in root.findall("i:iia", NS)]
    if not iias:
        raise EwpError(_("The document holds no agreement."))
    return iias


def _int(node: etree._Element | None) -> int | None:
    value = text(node)
    return int(value) if value else None


def _parse_iia(node: etree._Element) -> Iia:
    partners = tuple(
        Partner(
            hei_id=text(p, "i:hei-id", NS),
            iia_id=text(p, "i:iia-id", NS),
            iia_code=text(p, "i:iia-code", NS),
        )
        for p in node.findall("i:partner", NS)
    )
    coop = node.find("i:cooperation-conditions", NS)
    assert coop is not None  # the schema requires it
    conditions = tuple(_parse_condition(spec) for spec in coop if isinstance(spec.tag, str))
    return Iia(
        partners=(partners[0], partners[1]),
        in_effect=text(node, "i:in-effect", NS) in ("true", "1"),
        conditions=conditions,
        iia_hash=text(node, "i:iia-hash", NS),
        terminated=coop.get("terminated-as-a-whole") in ("true", "1"),
        computed_hash=iia_hash(node),
    )


def _parse_condition(spec: etree._Element) -> Condition:
    mobilities = spec.find("i:mobilities-per-year", NS)
    isced = []
    for area in spec.findall("i:subject-area", NS):
        code = area.find("i:isced-f-code", NS)
        if code is not None and not _not_yet_defined(code):
            isced.append(text(code))
    languages = []
    for skill in spec.findall("i:recommended-language-skill", NS):
        if not _not_yet_defined(skill):
            languages.append((text(skill, "i:language", NS), text(skill, "i:cefr-level", NS)))
    return Condition(
        kind=local(spec),
        sending_hei=text(spec, "i:sending-hei-id", NS),
        receiving_hei=text(spec, "i:receiving-hei-id", NS),
        first_year=_year(text(spec, "i:receiving-first-academic-year-id", NS)),
        last_year=_year(text(spec, "i:receiving-last-academic-year-id", NS)),
        mobilities_per_year=(
            None if mobilities is None or _not_yet_defined(mobilities) else _int(mobilities)
        ),
        total_months=_int(spec.find("i:total-months-per-year", NS)),
        eqf_levels=tuple(int(text(e)) for e in spec.findall("i:eqf-level", NS)),
        isced_codes=tuple(isced),
        languages=tuple(languages),
        blended=text(spec, "i:blended", NS) in ("true", "1"),
        other_info=text(spec, "i:other-info-terms", NS),
    )


# ---------------------------------------------------------------------------- the diff


@dataclass(frozen=True)
class Difference:
    """One field on which two copies differ; ``where`` names the condition or the IIA."""

    where: str
    field: str
    ours: str
    theirs: str


def _show(value: object) -> str:
    if value is None or value == () or value == "":
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, tuple):
        return ", ".join(
            " ".join(filter(None, v)) if isinstance(v, tuple) else str(v) for v in value
        )
    return str(value)


CONDITION_FIELDS = (
    ("first_year", "receiving-first-academic-year-id"),
    ("last_year", "receiving-last-academic-year-id"),
    ("mobilities_per_year", "mobilities-per-year"),
    ("total_months", "total-months-per-year"),
    ("eqf_levels", "eqf-level"),
    ("isced_codes", "subject-area"),
    ("languages", "recommended-language-skill"),
    ("blended", "blended"),
)


def describe(condition: Condition) -> str:
    subject = ", ".join(condition.isced_codes) or "–"
    return _("%(kind)s %(sending)s → %(receiving)s, ISCED %(subject)s") % {
        "kind": condition.kind.removesuffix("-mobility-spec"),
        "sending": condition.sending_hei,
        "receiving": condition.receiving_hei,
        "subject": subject,
    }


def pair(
    ours: list[Condition], theirs: list[Condition]
) -> list[tuple[Condition | None, Condition | None]]:
    """Pair each condition with its counterpart: same kind, direction and first subject
    area, in order; the rest are ours only or theirs only."""
    left = list(theirs)
    pairs: list[tuple[Condition | None, Condition | None]] = []
    for condition in ours:
        match = next((t for t in left if t.key() == condition.key()), None)
        if match is not None:
            left.remove(match)
        pairs.append((condition, match))
    pairs.extend((None, t) for t in left)
    return pairs


def diff(ours: Iia | None, theirs: Iia, home: str) -> list[Difference]:
    """What accepting ``theirs`` would change in ``ours`` (None: a new agreement), field by
    field; only the conditions we model (student studies from home) are compared."""
    differences: list[Difference] = []
    base = ours or Iia(partners=(Partner(""), Partner("")), in_effect=False, conditions=())
    if base.in_effect != theirs.in_effect:
        differences.append(
            Difference(_("agreement"), "in-effect", _show(base.in_effect), _show(theirs.in_effect))
        )
    for mine, other in pair(base.outgoing(home), theirs.outgoing(home)):
        if other is None:
            assert mine is not None
            differences.append(
                Difference(describe(mine), _("condition"), _("present"), _("absent"))
            )
            continue
        if mine is None:
            differences.append(
                Difference(describe(other), _("condition"), _("absent"), _("present"))
            )
            continue
        for name, label in CONDITION_FIELDS:
            a, b = getattr(mine, name), getattr(other, name)
            if a != b:
                differences.append(Difference(describe(mine), label, _show(a), _show(b)))
    return differences


def normalised(iia: Iia) -> Iia:
    """The copy without what never compares (hashes), for equality tests."""
    return replace(iia, iia_hash="", computed_hash="")
