"""The Institutions API v2.2 and the Organizational Units API v2.1 of the node
(ewp-specs-api-institutions and ewp-specs-api-ounits, stable-v2), for our own HEI only, and
the client that reads a partner's answers.

Institutions: ``hei_id`` repeatable, at least one, at most :data:`MAX_HEI_IDS` (400
otherwise); an id we do not cover is left out of the answer (HTTP 200, perhaps empty), as the
specification asks. The answer comes from the catalogue: our institution (the home one) with
its names (English, and the official Italian name), its Erasmus code and PIC, its city and
country, its website, its contacts that belong to no School (the International Mobility
Unit, the help desk), and the ids of its units.

OUnits: ``hei_id`` exactly once and ours (400 otherwise), and either ``ounit_id`` or
``ounit_code`` (repeatable, not both, at most :data:`MAX_OUNIT_IDS` /
:data:`MAX_OUNIT_CODES`: 400 otherwise); unknown ids and codes are left out. Our units are
the Schools as abroad models them, under one root unit standing for the whole institution
(:data:`ROOT_OUNIT_ID`, the ``root-ounit-id`` of the Institutions answer): a School that is
part of another (AUIC-ARCH of AUIC) has that School as parent. A School's ``ounit-id`` is its
database key (immutable, as EWP asks), its ``ounit-code`` is its code.

Every caller the registry knows may read both (the specifications say so); the answers are
checked against the schema before they leave (:func:`abroad.ewp.services.emitted`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import translation
from lxml import etree

from abroad.catalogue.enums import ContactKind
from abroad.catalogue.models import Contact, Institution, School
from abroad.ewp import services, xml
from abroad.ewp.network.client import CallError, call, failure
from abroad.ewp.network.httpsig import Refused
from abroad.ewp.network.iias import parameters
from abroad.ewp.network.registry import NS as REGISTRY_NS
from abroad.ewp.network.registry import Api, Catalogue, RegistryError, catalogue
from abroad.ewp.network.server import XML_TYPE, Caller, ewp_api, served_hei, wanted_ids
from abroad.ewp.xml import EwpError

log = logging.getLogger(__name__)

INSTITUTIONS_ENTRY = (
    "https://github.com/erasmus-without-paper/ewp-specs-api-institutions/blob/stable-v2/"
    "manifest-entry.xsd"
)
OUNITS_ENTRY = (
    "https://github.com/erasmus-without-paper/ewp-specs-api-ounits/blob/stable-v2/"
    "manifest-entry.xsd"
)
INSTITUTIONS_VERSION = "2.2.0"
OUNITS_VERSION = "2.1.1"
MAX_HEI_IDS = 10  # the max-hei-ids of our manifest
MAX_OUNIT_IDS = 50  # max-ounit-ids
MAX_OUNIT_CODES = 50  # max-ounit-codes
ROOT_OUNIT_ID = "root"  # the unit standing for the whole institution
INSTITUTIONS_API = Api("institutions", INSTITUTIONS_ENTRY)
OUNITS_API = Api("organizational-units", OUNITS_ENTRY)

INSTITUTIONS_NS = (
    "https://github.com/erasmus-without-paper/ewp-specs-api-institutions/tree/stable-v2"
)
OUNITS_NS = "https://github.com/erasmus-without-paper/ewp-specs-api-ounits/tree/stable-v2"
ADDRESS = "https://github.com/erasmus-without-paper/ewp-specs-types-address/tree/stable-v1"
PHONE = "https://github.com/erasmus-without-paper/ewp-specs-types-phonenumber/tree/stable-v1"
CONTACT = xml.CONTACT
XML_NS = "http://www.w3.org/XML/1998/namespace"
LANG = f"{{{XML_NS}}}lang"
INSTITUTIONS = xml.Kind(
    "institutions",
    INSTITUTIONS_NS,
    "institutions-response",
    "ewp-specs-api-institutions/response.xsd",
    "stable-v2",
)
OUNITS = xml.Kind(
    "ounits", OUNITS_NS, "ounits-response", "ewp-specs-api-ounits/response.xsd", "stable-v2"
)
_EXTRA_NS: dict[str | None, str] = {"a": ADDRESS, "c": CONTACT, "p": PHONE}
_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")
_E164 = re.compile(r"^\+[0-9]{1,15}$")
_EMAIL = re.compile(r"^[^@]+@[^.]+\..+$")  # ewp:Email (Django also takes user@localhost)
_CONTACT_ORDER: dict[str, int] = {
    ContactKind.OFFICE: 0,
    ContactKind.SCHOOL: 1,
    ContactKind.HELPDESK: 2,
}


# ------------------------------------------------------------------------- what we publish


def names(home: Institution | None, hei_id: str) -> list[tuple[str | None, str]]:
    """Our institution's names as (language, name): English first (the English name, else
    the official one), then the official name in Italian for an Italian institution (in no
    language otherwise) when it differs. The manifest names us the same way."""
    if home is None:
        return [("en", hei_id)]
    official = home.name.strip()
    english = home.name_en.strip() or official
    found: list[tuple[str | None, str]] = [("en", english)]
    if home.country == "IT":
        found.append(("it", official))
    elif official != english:
        found.append((None, official))
    return found


def _text(parent: etree._Element, tag: str, value: str, lang: str | None = None) -> None:
    node = xml.element(parent, tag, value)
    if lang:
        node.set(LANG, lang)


def _phone(parent: etree._Element, value: str) -> None:
    number = xml.element(parent, f"{{{PHONE}}}phone-number")
    compact = _PHONE_PUNCTUATION.sub("", value)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if _E164.match(compact):
        xml.element(number, f"{{{PHONE}}}e164", compact)
    else:
        xml.element(number, f"{{{PHONE}}}other-format", value.strip())


def _contact(parent: etree._Element, contact: Contact) -> None:
    node = xml.element(parent, f"{{{CONTACT}}}contact")
    xml.element(node, f"{{{CONTACT}}}contact-name", contact.name)
    if contact.phone.strip():
        _phone(node, contact.phone)
    if _EMAIL.match(contact.email):
        xml.element(node, f"{{{CONTACT}}}email", contact.email)
    if contact.address.strip():
        address = xml.element(node, f"{{{ADDRESS}}}street-address")
        xml.element(address, f"{{{ADDRESS}}}addressLine", contact.address.strip())
    for lang in ("en", "it"):
        with translation.override(lang):
            role = str(ContactKind(contact.kind).label)
        _text(node, f"{{{CONTACT}}}role-description", role, lang)


def _contacts(contacts: Iterable[Contact]) -> list[Contact]:
    return sorted(contacts, key=lambda c: (_CONTACT_ORDER.get(c.kind, 9), c.order, c.name))


def _url(value: str) -> str | None:
    value = value.strip()
    return value if value.startswith(("http://", "https://")) else None


def schools() -> QuerySet[School]:
    return School.objects.select_related("parent").order_by("code")


def ounit_id(school: School) -> str:
    return str(school.pk)


def render_institutions(wanted: list[str], hei_id: str) -> bytes:
    """The Institutions answer for the ids ``wanted``: our HEI when it is among them (a
    fixed number of queries), nothing for the others."""
    root = xml.new_document(INSTITUTIONS, _EXTRA_NS)
    if hei_id in {value.strip().lower() for value in wanted}:
        home = Institution.objects.find_home()
        hei = xml.element(root, "hei")
        xml.element(hei, "hei-id", hei_id)
        if home is not None and home.erasmus_code:
            xml.element(hei, "other-id", home.erasmus_code, type="erasmus")
        if home is not None and home.pic.strip():
            xml.element(hei, "other-id", home.pic.strip(), type="pic")
        for lang, name in names(home, hei_id):
            _text(hei, "name", name, lang)
        if home is not None and (home.city.strip() or home.country):
            address = xml.element(hei, f"{{{ADDRESS}}}street-address")
            xml.element(address, f"{{{ADDRESS}}}recipientName", names(home, hei_id)[0][1])
            if home.city.strip():
                xml.element(address, f"{{{ADDRESS}}}locality", home.city.strip())
            if home.country:
                xml.element(address, f"{{{ADDRESS}}}country", str(home.country))
        if home is not None and (website := _url(home.website)):
            xml.element(hei, "website-url", website)
        for contact in _contacts(Contact.objects.filter(school__isnull=True)):
            _contact(hei, contact)
        xml.element(hei, "root-ounit-id", ROOT_OUNIT_ID)
        xml.element(hei, "ounit-id", ROOT_OUNIT_ID)
        for school in School.objects.order_by("code").only("pk"):
            xml.element(hei, "ounit-id", ounit_id(school))
    return services.emitted(INSTITUTIONS, xml.serialize(root))


def _root_unit(parent: etree._Element, hei_id: str) -> None:
    home = Institution.objects.find_home()
    unit = xml.element(parent, "ounit")
    xml.element(unit, "ounit-id", ROOT_OUNIT_ID)
    xml.element(unit, "ounit-code", hei_id)
    for lang, name in names(home, hei_id):
        _text(unit, "name", name, lang)
    if home is not None and (website := _url(home.website)):
        xml.element(unit, "website-url", website)


def _school_unit(parent: etree._Element, school: School, contacts: list[Contact]) -> None:
    unit = xml.element(parent, "ounit")
    xml.element(unit, "ounit-id", ounit_id(school))
    xml.element(unit, "ounit-code", school.code)
    _text(unit, "name", school.name, "en")
    if school.name_it.strip():
        _text(unit, "name", school.name_it.strip(), "it")
    xml.element(
        unit, "parent-ounit-id", ounit_id(school.parent) if school.parent else ROOT_OUNIT_ID
    )
    if website := _url(school.website):
        xml.element(unit, "website-url", website)
    for contact in _contacts(contacts):
        _contact(unit, contact)


@dataclass(frozen=True)
class OunitsQuery:
    ids: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()


def ounits_query(params: QueryDict, hei_id: str) -> OunitsQuery:
    """The OUnits parameters, checked (400 for what the specification refuses)."""
    heis = params.getlist("hei_id")
    if len(heis) != 1:
        raise Refused(400, "Give hei_id exactly once.")
    if heis[0].strip().lower() != hei_id:
        raise Refused(400, f"This node does not cover the HEI {heis[0]!r}.")
    has_ids, has_codes = bool(params.getlist("ounit_id")), bool(params.getlist("ounit_code"))
    if has_ids == has_codes:
        raise Refused(400, "Give either ounit_id or ounit_code values (not both).")
    if has_ids:
        return OunitsQuery(ids=tuple(wanted_ids(params, "ounit_id", MAX_OUNIT_IDS)))
    return OunitsQuery(codes=tuple(wanted_ids(params, "ounit_code", MAX_OUNIT_CODES)))


def render_ounits(query: OunitsQuery, hei_id: str) -> bytes:
    """The OUnits answer: the units asked for, in the order asked, each once (the root and
    the Schools; three queries whatever their number)."""
    root = xml.new_document(OUNITS, _EXTRA_NS)
    asked = [v.strip() for v in (query.ids or query.codes)]
    wanted = list(dict.fromkeys(asked))
    if query.ids:
        keys = [int(v) for v in wanted if v.isdigit() and len(v) < 19]
        found = {ounit_id(s): s for s in schools().filter(pk__in=keys)}
        root_key = ROOT_OUNIT_ID
    else:
        found = {s.code: s for s in schools().filter(code__in=wanted)}
        root_key = hei_id  # the root unit's ounit-code
    contacts: dict[int, list[Contact]] = {}
    for contact in Contact.objects.filter(school__in=list(found.values())):
        contacts.setdefault(contact.school_id or 0, []).append(contact)
    for value in wanted:
        if value == root_key:
            _root_unit(root, hei_id)
        elif (school := found.get(value)) is not None:
            _school_unit(root, school, contacts.get(school.pk, []))
    return services.emitted(OUNITS, xml.serialize(root))


# ------------------------------------------------------------------------------------ views


@ewp_api(methods=("GET", "POST"))
def institutions(request: HttpRequest, caller: Caller) -> HttpResponse:
    params = parameters(request)
    wanted = wanted_ids(params, "hei_id", MAX_HEI_IDS)
    hei_id = served_hei("Institutions not served")
    try:
        return HttpResponse(render_institutions(wanted, hei_id), content_type=XML_TYPE)
    except EwpError as error:
        log.error("EWP Institutions not served: %s", error)
        raise Refused(500, "Our institution could not be written as a valid answer.") from None


@ewp_api(methods=("GET", "POST"))
def ounits(request: HttpRequest, caller: Caller) -> HttpResponse:
    hei_id = served_hei("OUnits not served")
    query = ounits_query(parameters(request), hei_id)
    try:
        return HttpResponse(render_ounits(query, hei_id), content_type=XML_TYPE)
    except EwpError as error:
        log.error("EWP OUnits not served: %s", error)
        raise Refused(500, "Our units could not be written as a valid answer.") from None


# ----------------------------------------------------------------------------------- client


@dataclass(frozen=True)
class Unit:
    """What the client keeps of an institution or a unit: its id, names (language, name) and
    websites, and for an institution its root unit and units."""

    id: str
    names: tuple[tuple[str, str], ...]
    websites: tuple[str, ...] = ()
    code: str = ""
    parent_id: str = ""
    root_ounit_id: str = ""
    ounit_ids: tuple[str, ...] = field(default=())

    def name(self, lang: str = "en") -> str:
        """The name in ``lang``, else the first one."""
        for found_lang, value in self.names:
            if found_lang == lang:
                return value
        return self.names[0][1] if self.names else self.id


def _names(node: etree._Element, ns: dict[str, str], prefix: str) -> tuple[tuple[str, str], ...]:
    return tuple(
        (n.get(LANG, ""), xml.text(n)) for n in node.iterfind(f"{prefix}:name", ns) if xml.text(n)
    )


def read_institutions(data: bytes) -> list[Unit]:
    """A partner's Institutions v2 answer, valid against the schema (EwpError otherwise)."""
    root = xml.read(INSTITUTIONS, data)
    ns = {"i": INSTITUTIONS_NS}
    return [
        Unit(
            id=xml.text(hei, "i:hei-id", ns),
            names=_names(hei, ns, "i"),
            websites=tuple(xml.text(n) for n in hei.iterfind("i:website-url", ns)),
            root_ounit_id=xml.text(hei, "i:root-ounit-id", ns),
            ounit_ids=tuple(xml.text(n) for n in hei.iterfind("i:ounit-id", ns)),
        )
        for hei in root.iterfind("i:hei", ns)
    ]


def read_ounits(data: bytes) -> list[Unit]:
    """A partner's OUnits v2 answer, valid against the schema (EwpError otherwise)."""
    root = xml.read(OUNITS, data)
    ns = {"o": OUNITS_NS}
    return [
        Unit(
            id=xml.text(unit, "o:ounit-id", ns),
            names=_names(unit, ns, "o"),
            websites=tuple(xml.text(n) for n in unit.iterfind("o:website-url", ns)),
            code=xml.text(unit, "o:ounit-code", ns),
            parent_id=xml.text(unit, "o:parent-ounit-id", ns),
        )
        for unit in root.iterfind("o:ounit", ns)
    ]


def fetch_institution(hei_id: str) -> Unit | None:
    """Call ``hei_id``'s Institutions API v2 for itself; None when it does not describe it."""
    answer = call(hei_id, INSTITUTIONS_API, 2, params=[("hei_id", hei_id)])
    if answer.status != 200:
        raise failure("Institutions", hei_id, answer)
    try:
        found = read_institutions(answer.body)
    except EwpError as error:
        raise CallError(str(error)) from None
    return next((unit for unit in found if unit.id.lower() == hei_id.lower()), None)


def max_ounit_ids(registry: Catalogue, hei_id: str) -> int:
    """The ``max-ounit-ids`` of ``hei_id``'s OUnits v2 entry in the catalogue (1 when it
    gives none: what every server takes)."""
    ns = OUNITS_ENTRY
    found = []
    for host in registry.hosts():
        if hei_id.lower() not in (h.lower() for h in registry.heis_of(host)):
            continue
        apis = host.find("r:apis-implemented", REGISTRY_NS)
        for entry in apis.iterfind(f"{{{ns}}}organizational-units") if apis is not None else ():
            value = xml.text(entry.find(f"{{{ns}}}max-ounit-ids"))
            if entry.get("version", "").startswith("2.") and value.isdigit() and int(value) > 0:
                found.append(int(value))
    return max(found) if found else 1


def fetch_ounits(hei_id: str, ounit_ids: list[str]) -> list[Unit]:
    """Call ``hei_id``'s OUnits API v2 for ``ounit_ids`` (in batches of its
    ``max-ounit-ids``) and read its verified answers."""
    try:
        most = max_ounit_ids(catalogue(), hei_id)
    except RegistryError as error:
        raise CallError(str(error)) from None
    found: list[Unit] = []
    for start in range(0, len(ounit_ids), most):
        batch = ounit_ids[start : start + most]
        params = [("hei_id", hei_id), *(("ounit_id", value) for value in batch)]
        answer = call(hei_id, OUNITS_API, 2, params=params)
        if answer.status != 200:
            raise failure("OUnits", hei_id, answer)
        try:
            found.extend(read_ounits(answer.body))
        except EwpError as error:
            raise CallError(str(error)) from None
    return found
