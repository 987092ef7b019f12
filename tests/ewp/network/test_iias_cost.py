"""What the IIAs API v7 costs follows what is asked, not how many agreements we hold: the
index checks each distinct IIA once (the verdict is remembered by the IIA's content, so any
change the document would show is checked again), ``get`` finds the ids asked without
building the other agreements' ids or documents, in a fixed number of queries; and what the
answers say is what it was (a change moves the hash and the index's ``modified_since``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from abroad.catalogue.models import Agreement, Institution, Offer
from abroad.ewp import iia, services
from abroad.ewp.models import IiaLink
from abroad.ewp.network.iias import iia_id
from tests.ewp.network.test_iias import (
    DELFT,
    HOME,
    Partners,
    delft,
    got_ids,
    index_ids,
    make_agreement,
    partners,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

__all__ = ["delft", "partners"]  # fixtures shared with test_iias

INDEX = "/ewp/iias/index"
GET = "/ewp/iias/get"


def index(partners: Partners, *params: tuple[str, str]) -> list[str]:
    return index_ids(partners.get(DELFT, INDEX, [("hei_id", HOME), *params]))


def get(partners: Partners, *ids: str) -> Any:
    return partners.get(DELFT, GET, [("hei_id", HOME), *(("iia_id", i) for i in ids)])


def counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[object]:
    """The arguments of every call of ``module.name``, which still runs as it is."""
    calls: list[object] = []
    real: Callable[..., Any] = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0] if args else None)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_the_index_renders_and_checks_an_unchanged_agreement_once(
    partners: Partners, delft: Institution, monkeypatch: pytest.MonkeyPatch
) -> None:
    agreements = [make_agreement(delft) for _ in range(5)]
    rendered = counting(monkeypatch, iia, "render")
    first = index(partners)
    assert first == [iia_id(a) for a in agreements]
    assert 0 < len(rendered) <= 5  # (none if another test checked these very IIAs already)
    rendered.clear()
    assert index(partners) == first
    assert rendered == []  # nothing rendered, hashed or parsed again


def test_get_builds_the_agreements_asked_only(
    partners: Partners, delft: Institution, monkeypatch: pytest.MonkeyPatch
) -> None:
    agreements = [make_agreement(delft) for _ in range(20)]
    services.iia_link(agreements[3])  # one stored id among the derived ones
    read = counting(monkeypatch, services, "known_iia_link")
    asked = [iia_id(agreements[7]), iia_id(agreements[3])]
    read.clear()
    assert got_ids(get(partners, *asked)) == asked
    assert {getattr(a, "pk", None) for a in read} <= {agreements[7].pk, agreements[3].pk}


@pytest.mark.parametrize("hei_setting", [HOME, ""], ids=["setting", "home-institution"])
def test_index_and_get_of_one_id_take_as_many_queries_for_50_agreements_as_for_5(
    partners: Partners,
    delft: Institution,
    django_assert_max_num_queries: Any,
    settings: Any,
    hei_setting: str,
) -> None:
    settings.EWP_HEI_ID = hei_setting
    agreements = [make_agreement(delft) for _ in range(5)]
    services.iia_link(agreements[0])
    index(partners)  # the catalogue is read once
    with django_assert_max_num_queries(12) as five_index:
        assert len(index(partners)) == 5
    with django_assert_max_num_queries(12) as five_get:
        assert len(got_ids(get(partners, iia_id(agreements[4])))) == 1
    more = [make_agreement(delft) for _ in range(45)]
    with django_assert_max_num_queries(len(five_index.captured_queries)):
        assert len(index(partners)) == 50
    with django_assert_max_num_queries(len(five_get.captured_queries)):
        assert len(got_ids(get(partners, iia_id(more[-1])))) == 1
    with django_assert_max_num_queries(len(five_get.captured_queries)):
        assert len(got_ids(get(partners, iia_id(agreements[0])))) == 1  # the stored id


def test_a_change_the_document_shows_is_checked_again(
    partners: Partners, delft: Institution
) -> None:
    kept, changed = make_agreement(delft), make_agreement(delft)
    assert index(partners) == [iia_id(kept), iia_id(changed)]
    # An offer edited on its own (not through the agreement): no language asked any more,
    # which the checks before sending refuse; the remembered verdict does not hide it.
    Offer.objects.filter(agreement=changed).update(language="", language_level="")
    assert index(partners) == [iia_id(kept)]
    assert got_ids(get(partners, iia_id(changed), iia_id(kept))) == [iia_id(kept)]
    Offer.objects.filter(agreement=changed).update(language="en", language_level="B2")
    assert index(partners) == [iia_id(kept), iia_id(changed)]
    assert got_ids(get(partners, iia_id(changed))) == [iia_id(changed)]


def test_a_change_moves_the_hash_and_modified_since_as_before(
    partners: Partners, delft: Institution
) -> None:
    agreement = make_agreement(delft)
    long_ago = datetime(2025, 1, 1, tzinfo=UTC)
    Agreement.objects.filter(pk=agreement.pk).update(updated_at=long_ago)
    Institution.objects.filter(pk=delft.pk).update(updated_at=long_ago)
    since = ("modified_since", (long_ago + timedelta(days=1)).isoformat())

    def served_hash() -> str:
        return iia.parse(get(partners, iia_id(agreement)).content)[0].iia_hash

    before = served_hash()
    assert before == iia.parse(services.export_iia(agreement))[0].computed_hash
    assert index(partners, since) == []
    Offer.objects.filter(agreement=agreement).update(seats=7)
    after = served_hash()
    assert after != before
    assert after == iia.parse(services.export_iia(agreement))[0].computed_hash
    agreement.refresh_from_db()
    agreement.end_year += 1
    agreement.save()  # a change of the agreement itself: listed as modified
    assert index(partners, since) == [iia_id(agreement)]
    assert served_hash() not in (before, after)
    link = services.iia_link(agreement)  # the partner's copy accepted: its id in ours
    IiaLink.objects.filter(pk=link.pk).update(partner_iia_id="delft-1")
    assert iia.parse(get(partners, iia_id(agreement)).content)[0].partners[1].iia_id == "delft-1"
