"""What a partner's file may be before it is read (Trust, items 3 and 5): a UTF-8 text of at
most EWP_MAX_BYTES, within the bounds on attributes per element, elements, depth and text
size. Anything else is refused with the reason, on the page (a 400) and on the command line (a
CommandError), for every kind of document, and nothing is stored; the official examples and
our own documents are within the bounds."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from lxml import etree

from abroad.catalogue.models import Agreement
from abroad.ewp import xml
from abroad.ewp.models import Inbound
from abroad.ewp.xml import EwpError
from tests.ewp.conftest import SCHEMAS, official
from tests.ewp.test_iia import partner_copy

pytestmark = pytest.mark.django_db

IIA_EXAMPLE = "ewp-specs-api-iias/endpoints/get-response-example.xml"
KINDS = ("iia", "la-update", "tor")


def with_attributes(data: bytes, count: int) -> bytes:
    """``data`` with ``count`` dummy attributes on its first ``<iia>``."""
    names = " ".join(f'dummy{n}="x"' for n in range(count))
    return data.replace(b"<iia>", f"<iia {names}>".encode(), 1)


def with_elements(count: int) -> bytes:
    return b"<a>" + b"<b/>" * count + b"</a>"


def nested(depth: int) -> bytes:
    return b"<a>" * depth + b"</a>" * depth


# Each family of files that is not one we read: (the file, a part of the message).
ODD_FILES: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "utf-16 with a byte-order mark": (
        lambda good: good.decode().encode("utf-16"),
        "not in UTF-8",
    ),
    "utf-16 without a byte-order mark": (
        lambda good: good.decode().encode("utf-16-be"),
        "not in UTF-8",
    ),
    "utf-32": (lambda good: good.decode().encode("utf-32"), "not in UTF-8"),
    "declared utf-16": (
        lambda good: b'<?xml version="1.0" encoding="UTF-16"?>' + good.split(b"?>", 1)[1],
        "declares the encoding UTF-16",
    ),
    "an unknown encoding": (
        lambda good: b'<?xml version="1.0" encoding="klingon"?>' + good.split(b"?>", 1)[1],
        "declares the encoding klingon, which is unknown",
    ),
    "a codec that is no text encoding": (
        lambda good: b'<?xml version="1.0" encoding="rot13"?>' + good.split(b"?>", 1)[1],
        "declares the encoding rot13, which is unknown",
    ),
    "bytes that are not utf-8": (
        lambda good: good.replace(b"<in-effect>", b"<in-effect>\xff\xfe", 1),
        "not in UTF-8",
    ),
    "a BOM of utf-8 before utf-16": (
        lambda good: codecs.BOM_UTF8 + good.decode().encode("utf-16-le"),
        "NUL bytes",
    ),
    "a NUL byte": (lambda good: good.replace(b"<in-effect>", b"<in-effect>\x00", 1), "NUL"),
    "an empty file": (lambda good: b"", "file is empty."),
    "only blanks": (lambda good: b" \r\n\t ", "The file is empty."),
    "a PDF": (lambda good: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not in UTF-8"),
    "plain text": (lambda good: b"Dear colleagues, here is our IIA.", "not well-formed XML"),
    "a huge file": (
        lambda good: good + b" " * (5 * 1024 * 1024),
        "larger than 5 MB",
    ),
    "too many attributes": (
        lambda good: with_attributes(good, 20_000),
        "has more than 32 attributes",
    ),
    "too many elements": (lambda good: with_elements(100_001), "more than 100000 elements"),
    "too deep": (lambda good: nested(33), "more than 32 deep"),
    "a text too long": (
        lambda good: good.replace(b"<in-effect>", b"<in-effect>" + b"x" * 2_000_001, 1),
        "longer than 2000000 characters",
    ),
    "an attribute too long": (
        lambda good: good.replace(b"<iia>", b'<iia x="' + b"y" * 2_000_001 + b'">', 1),
        "longer than 2000000 characters",
    ),
}


@pytest.fixture
def good(agreement: Agreement) -> bytes:
    """A partner's IIA the inbox takes, with an XML declaration."""
    return partner_copy(agreement)


def upload(client: Client, kind: str, data: bytes) -> Any:
    return client.post(
        reverse("ewp:inbox"),
        {"kind": kind, "file": SimpleUploadedFile("doc.xml", data, content_type="text/xml")},
    )


@pytest.mark.parametrize("family", ODD_FILES)
@pytest.mark.parametrize("kind", KINDS)
def test_an_odd_upload_is_refused_with_the_reason(
    personas: dict[str, Client], good: bytes, kind: str, family: str
) -> None:
    make, message = ODD_FILES[family]
    response = upload(personas["office"], kind, make(good))
    assert response.status_code == 400
    page = response.content.decode()
    assert "nothing was stored" in page
    assert message in page
    assert Inbound.objects.count() == 0


@pytest.mark.parametrize("family", ODD_FILES)
@pytest.mark.parametrize("kind", KINDS)
def test_an_odd_file_is_refused_by_the_command(
    good: bytes, tmp_path: Path, kind: str, family: str
) -> None:
    make, message = ODD_FILES[family]
    path = tmp_path / "doc.xml"
    path.write_bytes(make(good))
    with pytest.raises(CommandError) as error:
        call_command("ewp", "import", kind, str(path), stdout=StringIO(), stderr=StringIO())
    assert error.value.returncode == 1
    assert message in str(error.value)
    assert Inbound.objects.count() == 0


def test_the_bounds_are_settings(settings: Any, good: bytes) -> None:
    settings.EWP_MAX_ATTRIBUTES = 1
    with pytest.raises(EwpError, match="more than 1 attributes"):
        xml.parse(with_attributes(good, 2))
    settings.EWP_MAX_DEPTH = 3
    with pytest.raises(EwpError, match="more than 3 deep"):
        xml.parse(nested(4))
    xml.parse(nested(3))
    settings.EWP_MAX_ELEMENTS = 10
    with pytest.raises(EwpError, match="more than 10 elements"):
        xml.parse(with_elements(10))
    xml.parse(with_elements(9))
    settings.EWP_MAX_TEXT_CHARS = 5
    with pytest.raises(EwpError, match="longer than 5 characters"):
        xml.parse(b"<a>123456</a>")
    xml.parse(b"<a>12345</a>")
    with pytest.raises(EwpError, match="longer than 5 characters"):
        xml.parse(b"<a><b/>123456<c/></a>")  # a text between elements (a tail)
    with pytest.raises(EwpError, match="longer than 5 characters"):
        xml.parse(b"<a><b/>123456</a>")
    with pytest.raises(EwpError, match="longer than 5 characters"):
        xml.parse(b'<a b="123456"/>')
    xml.parse(b'<a b="12345"><b/>12345<c/>12345</a>')
    settings.EWP_MAX_BYTES = 10
    with pytest.raises(EwpError, match="larger than 10 bytes"):
        xml.parse(b"<a>123456</a>")


def test_the_validation_has_a_time_budget(settings: Any) -> None:
    settings.EWP_VALIDATION_SECONDS = -1  # out of time at the first element
    with pytest.raises(EwpError, match="took longer than -1 seconds"):
        xml.read(xml.IIA_GET, official(IIA_EXAMPLE))


def test_a_utf8_byte_order_mark_and_a_declared_8_bit_encoding_are_read(good: bytes) -> None:
    assert xml.parse(codecs.BOM_UTF8 + good).tag == xml.parse(good).tag
    assert xml.stored(codecs.BOM_UTF8 + good) == good.decode()
    text = good.decode().replace("TUD/2026/77", "TUD/2026/77 Università")
    latin = text.replace("encoding='UTF-8'", "encoding='windows-1252'").encode("cp1252")
    assert xml.stored(latin) == text


def every_official_example() -> list[Path]:
    return sorted(p for p in SCHEMAS.rglob("*.xml") if not p.name.endswith(".part.xml"))


def test_every_official_example_is_within_the_bounds() -> None:
    examples = every_official_example()
    assert len(examples) > 70
    largest = max(examples, key=lambda p: p.stat().st_size)
    assert largest.stat().st_size > 18_000
    for path in examples:
        xml.check_bounds(xml.checked_text(path.read_bytes()).encode())


def test_a_file_of_many_real_iias_is_within_the_bounds() -> None:
    """800 copies of the official IIA: about 5 MB, the most a file may be."""
    root = xml.parse(official(IIA_EXAMPLE))
    one = root[0]
    for _ in range(800):
        root.append(etree.fromstring(etree.tostring(one)))
    data = xml.serialize(root)
    assert 4_500_000 < len(data) < 5 * 1024 * 1024
    xml.check_bounds(data)
