"""Reading, writing and validating EWP XML.

The official schemas are not shipped: ``ABROAD_EWP_SCHEMA_DIR`` names a folder holding one
folder per EWP repository (``ewp-specs-api-iias``, ``ewp-specs-architecture``...), each a
checkout of the branch the documents use (docs/ewp.md lists them). The schemas import each
other by their ``raw.githubusercontent.com`` addresses; :func:`_local` maps those onto the
folder, so validation never touches the network.

Input is parsed by lxml with entities, DTDs and network access off: a document that is not
well-formed, or that tries any of those, is refused with the parser's message. Before that,
:func:`checked_text` refuses what is not a UTF-8 text (another encoding, a byte-order mark of
UTF-16 or UTF-32, NUL bytes, an empty or oversized file) and :func:`check_bounds` makes one
streaming pass that refuses a document over the bounds in settings (attributes per element,
elements, depth, text size) before the schema validation, whose cost grows much faster than
the document; the validation itself stops after ``EWP_VALIDATION_SECONDS``.
"""

from __future__ import annotations

import codecs
import io
import re
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import xmlschema
from django.conf import settings
from django.utils.translation import gettext as _
from lxml import etree

# The namespaces of the documents we read and write.
IIAS = "https://github.com/erasmus-without-paper/ewp-specs-api-iias/blob/stable-v7/endpoints/get-response.xsd"
LAS = "https://github.com/erasmus-without-paper/ewp-specs-api-omobility-las/blob/stable-v1/endpoints/get-response.xsd"
LA_UPDATE = "https://github.com/erasmus-without-paper/ewp-specs-api-omobility-las/blob/stable-v1/endpoints/update-request.xsd"
OMOBILITIES = "https://github.com/erasmus-without-paper/ewp-specs-api-omobilities/blob/stable-v2/endpoints/get-response.xsd"
TORS = "https://github.com/erasmus-without-paper/ewp-specs-api-imobility-tors/blob/stable-v2/endpoints/get-response.xsd"
ELMO = "https://github.com/emrex-eu/elmo-schemas/tree/v1"
TERM = "https://github.com/erasmus-without-paper/ewp-specs-types-academic-term/tree/stable-v2"
CONTACT = "https://github.com/erasmus-without-paper/ewp-specs-types-contact/tree/stable-v1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
RAW = "https://raw.githubusercontent.com/erasmus-without-paper"


@dataclass(frozen=True)
class Kind:
    """A kind of EWP document: its root element, and its schema in the schema folder."""

    key: str
    namespace: str
    root: str
    schema: str  # path under the schema folder
    branch: str  # the repository's branch, for xsi:schemaLocation

    @property
    def repo(self) -> str:
        return self.schema.split("/", 1)[0]

    @property
    def location(self) -> str:
        path = self.schema.split("/", 1)[1]
        return f"{self.namespace} {RAW}/{self.repo}/{self.branch}/{path}"


IIA_GET = Kind(
    "iia", IIAS, "iias-get-response", "ewp-specs-api-iias/endpoints/get-response.xsd", "stable-v7"
)
LA_GET = Kind(
    "la",
    LAS,
    "omobility-las-get-response",
    "ewp-specs-api-omobility-las/endpoints/get-response.xsd",
    "stable-v1",
)
LA_UPDATE_REQUEST = Kind(
    "la-update",
    LA_UPDATE,
    "omobility-las-update-request",
    "ewp-specs-api-omobility-las/endpoints/update-request.xsd",
    "stable-v1",
)
OMOBILITIES_GET = Kind(
    "omobilities",
    OMOBILITIES,
    "omobilities-get-response",
    "ewp-specs-api-omobilities/endpoints/get-response.xsd",
    "stable-v2",
)
TORS_GET = Kind(
    "tors",
    TORS,
    "imobility-tors-get-response",
    "ewp-specs-api-imobility-tors/endpoints/get-response.xsd",
    "stable-v2",
)
KINDS = {kind.key: kind for kind in (IIA_GET, LA_GET, LA_UPDATE_REQUEST, OMOBILITIES_GET, TORS_GET)}

# The branch each plain repository folder holds; other branches sit in "<repo>@<branch>".
BRANCHES = {
    "ewp-specs-architecture": "stable-v1",
    "ewp-specs-types-contact": "stable-v1",
    "ewp-specs-types-academic-term": "stable-v2",
    "ewp-specs-types-address": "stable-v1",
    "ewp-specs-types-phonenumber": "stable-v1",
    "ewp-specs-api-courses": "master",
    "ewp-specs-sec-intro": "stable-v2",
    "ewp-specs-api-registry": "stable-v1",
    "ewp-specs-api-omobility-las": "stable-v1",
    "ewp-specs-api-iias": "stable-v7",
    "ewp-specs-api-omobilities": "stable-v2",
    "ewp-specs-api-imobility-tors": "stable-v2",
    "ewp-specs-types-person-id": "master",
}
# Where the W3C's xml.xsd (imported by some schemas) sits in the folder.
XML_XSD = "ewp-registry-service-vendored/src/main/resources/schemas/xml.xsd"
ELMO_V2_DIR = "ewp-registry-service-vendored/src/main/resources/schemas/elmo-schemas-v2.1.1"


class EwpError(Exception):
    """A document we cannot read, write or apply; the message says why, for the office."""


class SchemasMissing(EwpError):
    pass


def schema_dir() -> Path:
    folder = settings.EWP_SCHEMA_DIR
    if not folder:
        raise SchemasMissing(
            _(
                "The EWP schemas are not configured: set ABROAD_EWP_SCHEMA_DIR to the folder "
                "holding them (see docs/ewp.md)."
            )
        )
    path = Path(folder)
    if not path.is_dir():
        raise SchemasMissing(
            _("The EWP schema folder %(folder)s does not exist (ABROAD_EWP_SCHEMA_DIR).")
            % {"folder": folder}
        )
    return path


def _local(root: Path, uri: str) -> str:
    """The local copy of a schema the official schemas import by address."""
    match = re.match(rf"{re.escape(RAW)}/([^/]+)/([^/]+)/(.+)$", uri)
    if match:
        repo, branch, path = match.groups()
        folder = repo if BRANCHES.get(repo) == branch else f"{repo}@{branch}"
        candidate = root / folder / path
        if candidate.exists():
            return candidate.as_uri()
    # ELMO v2 (imported by IMobility ToRs v3): the registry service's vendored copy.
    match = re.match(
        r"https://raw\.githubusercontent\.com/emrex-eu/elmo-schemas/v2[^/]*/(.+)$", uri
    )
    if match and (candidate := root / ELMO_V2_DIR / match.group(1)).exists():
        return candidate.as_uri()
    match = re.match(r"https://raw\.githubusercontent\.com/emrex-eu/elmo-schemas/[^/]+/(.+)$", uri)
    if match and (candidate := root / "emrex-eu+elmo-schemas" / match.group(1)).exists():
        return candidate.as_uri()
    # A vendored schema importing a version the vendored folder lacks (ELMO v2.1.1 imports
    # the address types v1.0.1; v1.0.2 is vendored): the repository's clone at its branch.
    match = re.match(r"file://.*/schemas/(ewp-specs-[a-z-]+?)-v[0-9.]+/(.+)$", uri)
    if match and not Path(unquote(urlsplit(uri).path)).exists():
        candidate = root / match.group(1) / match.group(2)
        if candidate.exists():
            return candidate.as_uri()
    if uri == "http://www.w3.org/2001/03/xml.xsd" and (root / XML_XSD).exists():
        return (root / XML_XSD).as_uri()
    return uri


@cache
def _schema(root: Path, relative: str) -> xmlschema.XMLSchema:
    path = root / relative
    if not path.exists():
        raise SchemasMissing(
            _("The EWP schema %(path)s is missing from %(folder)s (see docs/ewp.md).")
            % {"path": relative, "folder": root}
        )
    return xmlschema.XMLSchema(
        str(path),
        uri_mapper=lambda uri: _local(root, uri),
        allow="local",  # never the network
        defuse="always",
    )


def schema(kind: Kind) -> xmlschema.XMLSchema:
    return _schema(schema_dir(), kind.schema)


class _OutOfTime(Exception):
    pass


def validation_errors(kind: Kind, root: etree._Element, limit: int = 5) -> list[str]:
    """The schema's complaints about a document, the first few, each with its path. Refused
    when the validation takes longer than ``EWP_VALIDATION_SECONDS`` (checked as each element
    is reached)."""
    seconds = settings.EWP_VALIDATION_SECONDS
    deadline = time.monotonic() + seconds

    def on_time(*_args: Any) -> bool:
        if time.monotonic() > deadline:
            raise _OutOfTime
        return False  # go on validating the element

    errors = []
    try:
        for error in schema(kind).iter_errors(root, validation_hook=on_time):
            where = f" ({error.path})" if error.path else ""
            errors.append(f"{error.reason or error.message}{where}")
            if len(errors) >= limit:
                break
    except _OutOfTime:
        raise EwpError(
            _(
                "Checking the document against the EWP schema took longer than %(seconds)s "
                "seconds: it is refused."
            )
            % {"seconds": seconds}
        ) from None
    return errors


def validate(kind: Kind, root: etree._Element) -> None:
    errors = validation_errors(kind, root)
    if errors:
        raise EwpError(
            _("The document does not follow the EWP schema %(schema)s: %(errors)s")
            % {"schema": kind.schema, "errors": "; ".join(errors)}
        )


_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)
_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_DECLARED = re.compile(rb"""^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_UTF8 = {"utf-8", "ascii"}


def checked_text(data: bytes) -> str:
    """The document as text when it is one we can read: UTF-8 (a UTF-8 byte-order mark is
    dropped), or the 8-bit encoding its XML declaration names (the text is then declared
    UTF-8, as it is kept and read from here on); never UTF-16 or UTF-32, no NUL byte, not
    empty, at most ``EWP_MAX_BYTES``. EwpError saying which not."""
    limit = settings.EWP_MAX_BYTES
    if len(data) > limit:
        raise EwpError(
            _("The file is larger than %(size)s, the most an EWP document may be.")
            % {"size": size_text(limit)}
        )
    if data.startswith(_BOMS) or _wide(data[:4]):
        raise EwpError(
            _(
                "The file is not in UTF-8, the encoding of EWP documents (it looks like "
                "UTF-16 or UTF-32): ask the partner for a UTF-8 copy."
            )
        )
    if 0 in data:
        raise EwpError(_("The file holds NUL bytes: it is not an XML text."))
    data = data.removeprefix(codecs.BOM_UTF8)
    declared = _DECLARED.match(data)
    encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise EwpError(
            _("The file declares the encoding %(encoding)s, which is unknown.")
            % {"encoding": encoding}
        ) from None
    if codec.startswith(("utf-16", "utf-32")):
        raise EwpError(
            _("The file declares the encoding %(encoding)s: ask the partner for a UTF-8 copy.")
            % {"encoding": encoding}
        )
    try:
        content = data.decode(codec)
    except LookupError:  # a codec that is not a text encoding (rot13, base64...)
        raise EwpError(
            _("The file declares the encoding %(encoding)s, which is unknown.")
            % {"encoding": encoding}
        ) from None
    except UnicodeDecodeError as error:
        if not declared:
            raise EwpError(
                _(
                    "The file is not in UTF-8, the encoding of EWP documents (byte %(position)s "
                    "is not UTF-8): ask the partner for a UTF-8 copy."
                )
                % {"position": error.start + 1}
            ) from None
        raise EwpError(
            _(
                "The file is not in %(encoding)s, the encoding it declares (byte %(position)s "
                "is not): ask the partner for a UTF-8 copy."
            )
            % {"encoding": encoding, "position": error.start + 1}
        ) from None
    if not content.strip():
        raise EwpError(_("The file is empty."))
    if declared and codec not in _UTF8:
        # kept and read as UTF-8 from here on: the declaration must say so
        start, end = declared.span(1)
        content = content[:start] + "UTF-8" + content[end:]
    return content


def _wide(start: bytes) -> bool:
    """Whether a text begins as UTF-16 or UTF-32 without a byte-order mark does ("<" is
    00 3C or 3C 00...)."""
    return (len(start) == 4 and all((start[i] == 0) != (start[i + 1] == 0) for i in (0, 2))) or (
        start.count(0) == 3
    )


def size_text(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MB"
    return f"{limit} bytes"


def check_bounds(data: bytes) -> None:
    """Refuse, in one streaming pass whose cost follows the file's size, a document with an
    element with too many attributes, too many elements, too deep, or a text (or attribute
    value) too long: the schema validation that comes next would take far too long on such
    a document. The bounds are settings (EWP_MAX_ATTRIBUTES, _ELEMENTS, _DEPTH,
    _TEXT_CHARS)."""
    attributes = settings.EWP_MAX_ATTRIBUTES
    elements = settings.EWP_MAX_ELEMENTS
    depth_limit = settings.EWP_MAX_DEPTH
    chars = settings.EWP_MAX_TEXT_CHARS
    count = depth = 0
    events = etree.iterparse(
        io.BytesIO(data),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        for event, node in events:
            if event == "end":
                depth -= 1
                text = node.text
                if text is not None and len(text) > chars:
                    raise EwpError(_too_long(chars))
                if len(node):  # its children's tails are complete now (unlike its own)
                    for child in node:
                        tail = child.tail
                        if tail is not None and len(tail) > chars:
                            raise EwpError(_too_long(chars))
                    node.clear(keep_tail=True)  # its tail is its parent's to check
                continue
            count += 1
            depth += 1
            if count > elements:
                raise EwpError(
                    _("The document has more than %(limit)s elements: it is refused unread.")
                    % {"limit": elements}
                )
            if depth > depth_limit:
                raise EwpError(
                    _("The document nests elements more than %(limit)s deep: it is refused unread.")
                    % {"limit": depth_limit}
                )
            values = node.values()  # one list per element: this loop is the cost of the pass
            if not values:
                continue
            if len(values) > attributes:
                raise EwpError(
                    _(
                        "An element of the document (%(element)s) has more than %(limit)s "
                        "attributes: it is refused unread."
                    )
                    % {"element": etree.QName(node).localname, "limit": attributes}
                )
            for value in values:
                if len(value) > chars:
                    raise EwpError(_too_long(chars))
    except etree.XMLSyntaxError as error:
        raise EwpError(_("The file is not well-formed XML: %(error)s") % {"error": error}) from None


def _too_long(limit: int) -> str:
    return _(
        "The document has a text or attribute longer than %(limit)s characters: it is refused "
        "unread."
    ) % {"limit": limit}


def parse(data: bytes | str, *, ours: bool = False) -> etree._Element:
    """The document's root; refuses what is not a UTF-8 text of well-formed XML within the
    bounds (:func:`checked_text`, :func:`check_bounds`), or declares a DTD. ``ours``: a
    document we made, not held to the bounds on received ones."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not ours:
        data = checked_text(data).encode("utf-8")
        check_bounds(data)
    elif not data.strip():
        raise EwpError(_("The file is empty."))
    try:
        tree = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as error:
        raise EwpError(_("The file is not well-formed XML: %(error)s") % {"error": error}) from None
    if tree.getroottree().docinfo.doctype:
        raise EwpError(_("The file declares a DTD, which EWP documents never do."))
    return tree


def stored(data: bytes) -> str:
    """A received document as text to keep: as it came when it is UTF-8, else with the
    encoding its declaration names turned to UTF-8 (:func:`checked_text`)."""
    return checked_text(data)


def read(kind: Kind, data: bytes | str) -> etree._Element:
    """Parse and validate a document of ``kind``; refused with a clear message otherwise."""
    root = parse(data)
    if etree.QName(root).localname == kind.root and etree.QName(root).namespace != kind.namespace:
        raise EwpError(
            _("The root element %(root)s is not in the EWP namespace %(namespace)s.")
            % {"root": kind.root, "namespace": kind.namespace}
        )
    if root.tag != f"{{{kind.namespace}}}{kind.root}":
        raise EwpError(
            _("This is not %(expected)s but %(found)s.")
            % {"expected": kind.root, "found": etree.QName(root).localname}
        )
    validate(kind, root)
    return root


def element(parent: etree._Element | None, tag: str, text: Any = None, **attrs: str) -> Any:
    """A child (or a root, without parent) in the parent's namespace unless ``tag`` has one."""
    if not tag.startswith("{") and parent is not None:
        namespace = etree.QName(parent).namespace
        tag = f"{{{namespace}}}{tag}" if namespace else tag
    node = etree.Element(tag, attrs) if parent is None else etree.SubElement(parent, tag, attrs)
    if text is not None:
        node.text = str(text)
    return node


def new_document(kind: Kind, extra: dict[str | None, str] | None = None) -> etree._Element:
    nsmap: dict[str | None, str] = {None: kind.namespace, "xsi": XSI, **(extra or {})}
    root = etree.Element(f"{{{kind.namespace}}}{kind.root}", nsmap=nsmap)
    root.set(f"{{{XSI}}}schemaLocation", kind.location)
    return root


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def text(
    node: etree._Element | None, path: str = "", namespaces: dict[str, str] | None = None
) -> str:
    """The stripped text of ``node`` or of its first match of ``path``, "" when absent."""
    if node is None:
        return ""
    if path:
        node = node.find(path, namespaces)
        if node is None:
            return ""
    return (node.text or "").strip()


def local(node: etree._Element) -> str:
    return etree.QName(node).localname
