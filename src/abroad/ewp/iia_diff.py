"""How two copies of one inter-institutional agreement differ, field by field, ignoring the
order of elements: the rule the approval readiness panel and the inbox both show, so the
office knows why a partner's approval (or ours) is blocked.

Each partner of an IIA serves its own copy (IIAs v7): the partner that serves it comes first,
and the ``iia-hash`` covers both iia-ids and every cooperation condition. The two copies are
compared on what both are meant to agree on:

- the agreement: ``in-effect``, ``terminated-as-a-whole``;
- each partner, matched by ``hei-id`` (not by position): its iia-id and iia-code (when both
  copies give one: a copy may not know the other's id yet), organisational unit, signing
  contact and date, contacts;
- each cooperation condition, matched by its kind and direction (sending and receiving
  HEI), then by its content: an identical condition anywhere in the other copy is its
  counterpart; then one with the same EQF levels and subject areas; then the most similar
  one (at least half of its fields equal). Conditions left over were added or removed.

Repeated elements (contacts, EQF levels, subject areas, language skills) compare as sets.
Pure: two lxml ``iia`` elements in, a list of :class:`Difference` out (labels translated
with gettext when read).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from lxml import etree

from abroad.ewp.xml import IIAS, local

NS = {"i": IIAS}
NOT_YET_DEFINED = "not-yet-defined"

Value = str | tuple[str, ...]

# The human name of each field compared, by its EWP element (or attribute) name.
LABELS: dict[str, Promise] = {
    "in-effect": gettext_lazy("In effect"),
    "terminated-as-a-whole": gettext_lazy("Terminated as a whole"),
    "hei-id": gettext_lazy("Partner institution"),
    "iia-id": gettext_lazy("IIA id"),
    "iia-code": gettext_lazy("IIA code"),
    "ounit-id": gettext_lazy("Organisational unit"),
    "signing-contact": gettext_lazy("Signing contact"),
    "signing-date": gettext_lazy("Signing date"),
    "contact": gettext_lazy("Contacts"),
    "cooperation-condition": gettext_lazy("Cooperation condition"),
    "sending-ounit-id": gettext_lazy("Sending organisational unit"),
    "sending-contact": gettext_lazy("Sending contacts"),
    "receiving-ounit-id": gettext_lazy("Receiving organisational unit"),
    "receiving-contact": gettext_lazy("Receiving contacts"),
    "receiving-first-academic-year-id": gettext_lazy("First academic year"),
    "receiving-last-academic-year-id": gettext_lazy("Last academic year"),
    "mobilities-per-year": gettext_lazy("Mobilities per year"),
    "recommended-language-skill": gettext_lazy("Recommended language skills"),
    "subject-area": gettext_lazy("Subject areas (ISCED-F)"),
    "other-info-terms": gettext_lazy("Other information"),
    "total-months-per-year": gettext_lazy("Total months per year"),
    "total-days-per-year": gettext_lazy("Total days per year"),
    "blended": gettext_lazy("Blended mobility"),
    "eqf-level": gettext_lazy("EQF levels"),
}

KINDS: dict[str, Promise] = {
    "student-studies-mobility-spec": gettext_lazy("Student studies"),
    "student-traineeship-mobility-spec": gettext_lazy("Student traineeship"),
    "staff-teacher-mobility-spec": gettext_lazy("Staff teaching"),
    "staff-training-mobility-spec": gettext_lazy("Staff training"),
}


@dataclass(frozen=True)
class Difference:
    """One field on which the copies differ. ``where``: the agreement, a partner or a
    condition; ``field``: the EWP element; ``label``: its human name; the two values as
    shown (a dash for absent)."""

    where: str
    field: str
    label: str
    ours: str
    theirs: str


# ------------------------------------------------------------------------ reading values


def _norm(value: str | None) -> str:
    return " ".join((value or "").split())


def _text(node: etree._Element | None) -> str:
    if node is None:
        return ""
    if node.get(NOT_YET_DEFINED) in ("true", "1"):
        return NOT_YET_DEFINED
    return _norm("".join(node.itertext()))


def _contact(node: etree._Element) -> str:
    """A contact as one line: its leaves' texts in document order."""
    leaves = [
        _norm(n.text)
        for n in node.iter()
        if isinstance(n.tag, str) and not any(isinstance(c.tag, str) for c in n) and _norm(n.text)
    ]
    return "; ".join(leaves)


def _children(parent: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in parent if isinstance(c.tag, str) and local(c) == name]


def _one(parent: etree._Element, name: str) -> str:
    found = _children(parent, name)
    return _text(found[0]) if found else ""


def _contacts(parent: etree._Element, name: str) -> tuple[str, ...]:
    return tuple(sorted(_contact(c) for c in _children(parent, name)))


def _subject(area: etree._Element) -> str:
    code = _one(area, "isced-f-code")
    clarification = _one(area, "isced-clarification")
    return f"{code} ({clarification})" if clarification else code


def _language(skill: etree._Element) -> str:
    if skill.get(NOT_YET_DEFINED) in ("true", "1"):
        return NOT_YET_DEFINED
    parts = [_one(skill, "language"), _one(skill, "cefr-level")]
    areas = _children(skill, "subject-area")
    if areas:
        parts.append(_subject(areas[0]))
    return " ".join(p for p in parts if p)


def condition_fields(spec: etree._Element) -> dict[str, Value]:
    """The compared fields of one cooperation condition (a ``*-mobility-spec`` element)."""
    return {
        "sending-ounit-id": _one(spec, "sending-ounit-id"),
        "sending-contact": _contacts(spec, "sending-contact"),
        "receiving-ounit-id": _one(spec, "receiving-ounit-id"),
        "receiving-contact": _contacts(spec, "receiving-contact"),
        "receiving-first-academic-year-id": _one(spec, "receiving-first-academic-year-id"),
        "receiving-last-academic-year-id": _one(spec, "receiving-last-academic-year-id"),
        "mobilities-per-year": _one(spec, "mobilities-per-year"),
        "recommended-language-skill": tuple(
            sorted(_language(s) for s in _children(spec, "recommended-language-skill"))
        ),
        "subject-area": tuple(sorted(_subject(a) for a in _children(spec, "subject-area"))),
        "other-info-terms": _one(spec, "other-info-terms"),
        "total-months-per-year": _one(spec, "total-months-per-year"),
        "total-days-per-year": _one(spec, "total-days-per-year"),
        "blended": _boolean(_one(spec, "blended")),
        "eqf-level": tuple(sorted(_text(e) for e in _children(spec, "eqf-level"))),
    }


def partner_fields(partner: etree._Element) -> dict[str, Value]:
    signing = _children(partner, "signing-contact")
    return {
        "iia-id": _one(partner, "iia-id"),
        "iia-code": _one(partner, "iia-code"),
        "ounit-id": _one(partner, "ounit-id"),
        "signing-contact": _contact(signing[0]) if signing else "",
        "signing-date": _one(partner, "signing-date"),
        "contact": _contacts(partner, "contact"),
    }


def _boolean(value: str) -> str:
    return {"1": "true", "0": "false"}.get(value, value)


@dataclass(frozen=True)
class Condition:
    kind: str
    sending: str
    receiving: str
    fields: dict[str, Value]

    def direction(self) -> tuple[str, str, str]:
        return (self.kind, self.sending, self.receiving)

    def content(self) -> tuple[tuple[str, Value], ...]:
        return tuple(sorted(self.fields.items()))

    def subject(self) -> tuple[Value, Value]:
        return (self.fields["eqf-level"], self.fields["subject-area"])


def conditions(iia: etree._Element) -> list[Condition]:
    coop = iia.find("i:cooperation-conditions", NS)
    found = []
    for spec in coop if coop is not None else ():
        if not isinstance(spec.tag, str):
            continue
        found.append(
            Condition(
                kind=local(spec),
                sending=_one(spec, "sending-hei-id").lower(),
                receiving=_one(spec, "receiving-hei-id").lower(),
                fields=condition_fields(spec),
            )
        )
    return found


# ---------------------------------------------------------------------------- pairing


def _similarity(a: Condition, b: Condition) -> int:
    return sum(1 for name, value in a.fields.items() if b.fields.get(name) == value)


def pair(
    ours: list[Condition], theirs: list[Condition]
) -> list[tuple[Condition | None, Condition | None]]:
    """Each of our conditions with its counterpart in their copy, whatever the order:
    same kind and direction, then identical content, then the same EQF levels and subject
    areas, then the most similar (at least half of the fields equal)."""
    left = list(theirs)
    matched: dict[int, Condition] = {}
    rules: list[Callable[[Condition, Condition], bool]] = [
        lambda a, b: a.content() == b.content(),
        lambda a, b: a.subject() == b.subject(),
    ]
    for rule in rules:
        for index, mine in enumerate(ours):
            if index in matched:
                continue
            found = next(
                (t for t in left if t.direction() == mine.direction() and rule(mine, t)), None
            )
            if found is not None:
                matched[index] = found
                left.remove(found)
    for index, mine in enumerate(ours):
        if index in matched:
            continue
        candidates = [t for t in left if t.direction() == mine.direction()]
        if not candidates:
            continue
        best = max(candidates, key=lambda t: _similarity(mine, t))
        if _similarity(mine, best) * 2 >= len(mine.fields):
            matched[index] = best
            left.remove(best)
    pairs: list[tuple[Condition | None, Condition | None]] = [
        (mine, matched.get(index)) for index, mine in enumerate(ours)
    ]
    pairs.extend((None, t) for t in left)
    return pairs


# ------------------------------------------------------------------------------ showing


def show(field: str, value: Value) -> str:
    if value == NOT_YET_DEFINED:
        return _("not yet defined")
    if isinstance(value, tuple):
        shown = [_("not yet defined") if v == NOT_YET_DEFINED else v for v in value if v]
        joined = (" | " if field.endswith("contact") else ", ").join(shown)
        return joined or "–"
    if value in ("true", "false"):
        return _("yes") if value == "true" else _("no")
    return value or "–"


def describe(condition: Condition) -> str:
    """A condition as the office reads it: kind, direction, EQF levels, subject areas."""
    kind = KINDS.get(condition.kind, condition.kind)
    text = f"{kind} {condition.sending} → {condition.receiving}"
    if condition.fields["eqf-level"]:
        text += ", EQF " + show("eqf-level", condition.fields["eqf-level"])
    if condition.fields["subject-area"]:
        text += ", ISCED " + show("subject-area", condition.fields["subject-area"])
    return text


def _compare(
    where: str, ours: dict[str, Value], theirs: dict[str, Value], skip_unknown: Iterable[str] = ()
) -> list[Difference]:
    found = []
    optional = set(skip_unknown)
    for name, mine in ours.items():
        other = theirs.get(name, "")
        if mine == other:
            continue
        if name in optional and (not mine or not other):
            continue  # one copy does not know it yet: not a disagreement
        found.append(
            Difference(where, name, str(LABELS[name]), show(name, mine), show(name, other))
        )
    return found


def _partners(iia: etree._Element) -> dict[str, etree._Element]:
    return {_one(p, "hei-id").lower(): p for p in _children(iia, "partner")}


def compare(ours: etree._Element, theirs: etree._Element) -> list[Difference]:
    """How their copy (an ``iia`` element) differs from ours, field by field; empty when the
    two say the same, whatever the order of their elements."""
    differences: list[Difference] = []
    agreement = _("Agreement")
    for name, left, right in (
        ("in-effect", _one(ours, "in-effect"), _one(theirs, "in-effect")),
        (
            "terminated-as-a-whole",
            _coop_attribute(ours, "terminated-as-a-whole"),
            _coop_attribute(theirs, "terminated-as-a-whole"),
        ),
    ):
        left, right = _boolean(left or "false"), _boolean(right or "false")
        if left != right:
            differences.append(
                Difference(agreement, name, str(LABELS[name]), show(name, left), show(name, right))
            )
    our_partners, their_partners = _partners(ours), _partners(theirs)
    for hei_id, node in our_partners.items():
        where = _("Partner %(hei)s") % {"hei": hei_id}
        counterpart = their_partners.get(hei_id)
        if counterpart is None:
            differences.append(Difference(where, "hei-id", str(LABELS["hei-id"]), hei_id, "–"))
            continue
        differences.extend(
            _compare(
                where, partner_fields(node), partner_fields(counterpart), ("iia-id", "iia-code")
            )
        )
    for hei_id in their_partners.keys() - our_partners.keys():
        where = _("Partner %(hei)s") % {"hei": hei_id}
        differences.append(Difference(where, "hei-id", str(LABELS["hei-id"]), "–", hei_id))
    label = str(LABELS["cooperation-condition"])
    for mine, match in pair(conditions(ours), conditions(theirs)):
        if match is None:
            assert mine is not None
            differences.append(
                Difference(
                    describe(mine), "cooperation-condition", label, _("present"), _("absent")
                )
            )
        elif mine is None:
            differences.append(
                Difference(
                    describe(match), "cooperation-condition", label, _("absent"), _("present")
                )
            )
        else:
            differences.extend(_compare(describe(mine), mine.fields, match.fields))
    return differences


def _coop_attribute(iia: etree._Element, name: str) -> str:
    coop = iia.find("i:cooperation-conditions", NS)
    return "" if coop is None else coop.get(name, "")


def first_iia(root: etree._Element, position: int = 0) -> etree._Element:
    """The ``iia`` element at ``position`` of a get-response."""
    found = root.findall("i:iia", NS)
    return found[position]
