"""Every official example of the APIs we read is read, with what it says; an example that is
not a valid document of these schemas is named and skipped, the reason asserted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from lxml import etree

from abroad.ewp import las, nominations, xml
from abroad.ewp.xml import EwpError
from abroad.mobility.enums import Table
from tests.ewp.conftest import SCHEMAS, official

OLA = "ewp-specs-api-omobility-las/examples/ola-dashboard-example-scenarios/src/xml"
APP = "ewp-specs-api-omobilities/examples/erasmusapp-dashboard-scenarios-examples/src/xml"


def examples(folder: str) -> list[str]:
    return sorted(
        (f"{folder}/{p.name}" for p in (SCHEMAS / folder).glob("Ex*.xml")),
        key=lambda name: int(name.rsplit("Ex", 1)[1].split(".")[0]),
    )


# The reader of each document we read, by its root element.
READERS = {
    (xml.LAS, "omobility-las-get-response"): las.parse,
    (xml.LA_UPDATE, "omobility-las-update-request"): las.parse_update,
    (xml.OMOBILITIES, "omobilities-get-response"): nominations.parse,
}
KINDS = {
    "omobility-las-get-response": xml.LA_GET,
    "la": xml.LA_GET,  # a get-response's element given on its own
    "omobility-las-update-request": xml.LA_UPDATE_REQUEST,
    "omobilities-get-response": xml.OMOBILITIES_GET,
}


def test_the_la_get_response_example_is_read() -> None:
    [la] = las.parse(official("ewp-specs-api-omobility-las/examples/get-response-example.xml"))
    assert (la.omobility_id, la.sending_hei, la.receiving_hei) == (
        "c442c289-5541-4cae-9edb-8ad83e133613",
        "uio.no",
        "uw.edu.pl",
    )
    first = la.first_version
    assert first is not None
    assert [(c.table, c.title, c.ects) for c in first.components] == [
        (Table.A, "Introductory calculus", Decimal(9)),
        (Table.B, "Calculus", Decimal(5)),
        (Table.B, "Algebra with Geometry", Decimal(4)),
    ]
    assert first.receiving is not None
    assert first.receiving.signer_name == "Paweł Tomasz Kowalski"
    assert first.receiving.timestamp == dt.datetime(2018, 11, 14, 6, 18, 19, tzinfo=dt.UTC)
    assert la.approved_changes is not None
    [added] = la.approved_changes.components
    assert (added.los_code, added.status, added.reason_code) == (
        "KR502B",
        "inserted",
        "extending-mobility",
    )
    proposal = la.changes_proposal
    assert proposal is not None
    assert proposal.proposal_id == "59B15BAF222F868493C167125FA32452E946"
    assert proposal.receiving is None
    assert {(c.status, c.reason_code) for c in proposal.components} >= {
        ("inserted", "substituting-deleted"),
        ("deleted", "language-mismatch"),
    }


def test_the_omobilities_get_response_example_is_read() -> None:
    [found] = nominations.parse(
        official("ewp-specs-api-omobilities/endpoints/get-response-example.xml")
    )
    assert found.omobility_id == "c442c289-5541-4cae-9edb-8ad83e133613"
    assert (found.sending_hei, found.sending_iia_id) == (
        "uio.no",
        "dd87538e-49e3-44ae-844e-55ad1b819ce9",
    )
    assert (found.receiving_hei, found.receiving_iia_id) == ("uw.edu.pl", "549117543")
    assert (found.term_id, found.academic_year) == ("2009/2010-2/2", "2009/2010")
    assert (found.status, found.eqf, found.isced_code) == ("live", 7, "1234")
    assert found.languages == (("no", "C2"), ("en", "B2"), ("pl", "A1"))
    assert found.global_id.endswith(":uio.no:1234567890")


def test_the_tors_example_is_read() -> None:
    [tor] = nominations.parse_tors(
        official("ewp-specs-api-imobility-tors/endpoints/get-response-example.xml")
    )
    assert tor.omobility_id == "b1ab0888-a5ce-45e8-8c51-e3c6f677b58f"
    assert tor.issuer == "uw.edu.pl"
    [row] = tor.rows
    # the title mixes an escaped "<" and a CDATA section: read as one text
    assert row == nominations.TorRow(
        code="CR/19560ed8-5183-4842-9bb0-2b7e23f56522",
        title="The importance of <br> in HTML",
        ects=None,
        grade="C",
    )
    assert tor.distributions == {
        "0612": {
            "F": Decimal("0.8"),
            "E": Decimal("24.7"),
            "D": Decimal("26.3"),
            "C": Decimal("36.3"),
            "B": Decimal("9.9"),
            "A": Decimal("2.0"),
        }
    }


def _read_or_refuse(name: str) -> None:
    """Read a dashboard example with the reader of its root element. Many dashboard examples
    are written without the EWP namespaces (and some are a bare ``la`` element, an
    update-response, or another API's document): those fail the official schema, and our
    reader must refuse them with a message saying why (a document of an API we do not read
    has no reader at all)."""
    data = official(name)
    root = xml.parse(data)
    qname = etree.QName(root)
    reader = READERS.get((qname.namespace or "", qname.localname))
    if reader is not None:
        assert reader(data)
        return
    kind = KINDS.get(qname.localname)
    if kind is None:
        assert qname.localname in {"omobility-las-update-response", "imobilities-get-response"}
        return
    with pytest.raises(EwpError) as refused:
        xml.read(kind, data)
    message = str(refused.value)
    if qname.localname == kind.root:
        assert qname.namespace is None
        assert message == (
            f"The root element {kind.root} is not in the EWP namespace {kind.namespace}."
        )
    else:
        assert message == f"This is not {kind.root} but {qname.localname}."


@pytest.mark.parametrize("name", examples(OLA))
def test_the_ola_dashboard_examples(name: str) -> None:
    _read_or_refuse(name)


@pytest.mark.parametrize("name", examples(APP))
def test_the_erasmus_app_dashboard_examples(name: str) -> None:
    _read_or_refuse(name)


def test_the_dashboard_example_folders_are_there() -> None:
    """So that the parametrised tests above are not silently empty."""
    assert len(examples(OLA)) == 20
    assert len(examples(APP)) == 4
