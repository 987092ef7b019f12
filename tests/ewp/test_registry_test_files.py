"""Every document of the registry's test files (``registry-test-files/`` in the schema folder:
the registry's current example of every API, and IIA get-responses with a right and a
deliberately wrong ``iia-hash``) is read by the reader of its kind, with what it says, or
refused with the reason; none is left out (a new file fails the test until it is named here).
The ``iia-hash`` of the IIA fixtures is computed as the specification does: it is the
declared one, except in the wrong-hash fixture, where the difference is found."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from abroad.ewp import iia, las, nominations, xml
from abroad.ewp.network import approval, iias, institutions, omobilities, registry
from abroad.ewp.network import las as las_node
from abroad.ewp.xml import EwpError
from tests.ewp.conftest import SCHEMAS, official

FOLDER = "registry-test-files"
LATEST = f"{FOLDER}/latest-examples"


def _kind(kind: xml.Kind) -> Callable[[bytes], Any]:
    """Read against the schema of ``kind`` (an API whose answers we read as a client)."""
    return lambda data: xml.read(kind, data)


# What each example is read with: (reader, how many items it reads, at least).
READ: dict[str, tuple[Callable[[bytes], Any], int]] = {
    "ewp-specs-api-iias-endpoints-get-response-example.xml": (iia.parse, 1),
    "ewp-specs-api-iias-endpoints-index-response-example.xml": (_kind(iias.IIA_INDEX), 1),
    "ewp-specs-api-iias-approval-response-example.xml": (_kind(approval.RESPONSE), 1),
    "ewp-specs-api-omobility-las-examples-get-response-example.xml": (las.parse, 1),
    "ewp-specs-api-omobility-las-examples-index-response-example.xml": (
        _kind(las_node.LA_INDEX),
        1,
    ),
    "ewp-specs-api-omobility-las-examples-update-request-examples-approve-proposal-v1.xml": (
        las.parse_update,
        0,
    ),
    "ewp-specs-api-omobility-las-examples-update-request-examples-comment-proposal-v1.xml": (
        las.parse_update,
        0,
    ),
    "ewp-specs-api-omobility-las-examples-update-response-example.xml": (
        _kind(las_node.LA_UPDATE_RESPONSE),
        1,
    ),
    "ewp-specs-api-omobilities-endpoints-get-response-example.xml": (nominations.parse, 1),
    "ewp-specs-api-omobilities-endpoints-index-response-example.xml": (
        _kind(omobilities.INDEX),
        1,
    ),
    "ewp-specs-api-omobilities-endpoints-update-response-example.xml": (
        _kind(omobilities.UPDATE_RESPONSE),
        1,
    ),
    "ewp-specs-api-imobility-tors-endpoints-get-response-example.xml": (nominations.parse_tors, 1),
    "ewp-specs-api-institutions-response-example.xml": (institutions.read_institutions, 1),
    "ewp-specs-api-ounits-response-example.xml": (institutions.read_ounits, 1),
    "ewp-specs-api-registry-catalogue-example.xml": (registry.read, 0),
}
# Documents of APIs abroad does not read: uploaded as an IIA file, each is refused with the
# reason (what it is).
NOT_READ = {
    "ewp-specs-api-courses-response-example.xml": "courses-response",
    "ewp-specs-api-course-replication-response-example.xml": "course-replication-response",
    "ewp-specs-api-factsheet-response-example.xml": "factsheet-response",
    "ewp-specs-api-imobilities-endpoints-get-response-example.xml": "imobilities-get-response",
    "ewp-specs-api-imobility-tors-endpoints-index-response-example.xml": (
        "imobility-tors-index-response"
    ),
    "ewp-specs-api-iias-endpoints-stats-response-example.xml": "iias-stats-response",
    "ewp-specs-api-omobility-la-cnr-endpoints-stats-response-example.xml": (
        "las-incoming-stats-response"
    ),
    "ewp-specs-api-discovery-manifest-example.xml": "manifest",
    "ewp-specs-fileext-ewpmobility-example.xml": "ewp-mobility-file",
    "elmo-schemas-example.xml": "elmo",
}


def test_every_example_is_named_here() -> None:
    found = {p.name for p in (SCHEMAS / LATEST).glob("*.xml")}
    assert found == set(READ) | set(NOT_READ)


@pytest.mark.parametrize("name", sorted(READ))
def test_each_example_of_an_api_we_read_is_read(name: str) -> None:
    reader, least = READ[name]
    found = reader(official(f"{LATEST}/{name}"))
    assert found is not None
    if least:
        assert len(found) >= least


@pytest.mark.parametrize("name", sorted(NOT_READ))
def test_each_example_of_an_api_we_do_not_read_is_refused_with_the_reason(name: str) -> None:
    with pytest.raises(EwpError) as refused:
        iia.parse(official(f"{LATEST}/{name}"))
    assert NOT_READ[name] in str(refused.value)


@pytest.mark.parametrize("name", ["get-response-example-v7.xml", "get-response-xsltkit-v7.xml"])
def test_the_iia_fixtures_hash_is_computed_as_the_specification_does(name: str) -> None:
    [one] = iia.parse(official(f"{FOLDER}/iia/{name}"))
    assert one.iia_hash
    assert one.computed_hash == one.iia_hash


def test_the_wrong_hash_fixture_is_detected() -> None:
    [wrong] = iia.parse(official(f"{FOLDER}/iia/get-response-wrong-hash-v7.xml"))
    [right] = iia.parse(official(f"{FOLDER}/iia/get-response-xsltkit-v7.xml"))
    assert wrong.iia_hash != wrong.computed_hash  # the declared hash is not the document's
    assert wrong.computed_hash == right.computed_hash  # the same agreement, another hash said


@pytest.mark.parametrize("name", ["get-response-example-v6.xml", "get-response-xsltkit-v6.xml"])
def test_the_v6_fixtures_are_refused_with_the_reason(name: str) -> None:
    with pytest.raises(EwpError, match="not in the EWP namespace"):
        iia.parse(official(f"{FOLDER}/iia/{name}"))


def test_every_iia_fixture_is_named_here() -> None:
    assert sorted(p.name for p in (SCHEMAS / FOLDER / "iia").glob("*.xml")) == [
        "get-response-example-v6.xml",
        "get-response-example-v7.xml",
        "get-response-wrong-hash-v7.xml",
        "get-response-xsltkit-v6.xml",
        "get-response-xsltkit-v7.xml",
    ]
