"""IIAs v7: the hash as the specification computes it, our agreements as valid documents, the
official examples read, partner copies compared and accepted, bad input refused."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from abroad.catalogue.enums import AgreementStatus
from abroad.catalogue.models import Agreement, Institution, Offer
from abroad.core.models import AuditEvent
from abroad.ewp import iia, services, xml
from abroad.ewp.models import IiaLink, Inbound
from abroad.ewp.xml import EwpError
from tests.ewp.conftest import HOME, official
from tests.factories import UserFactory

EXAMPLE = "ewp-specs-api-iias/endpoints/get-response-example.xml"
XSLT_EXAMPLE = "ewp-specs-api-iias/resources/xsltKit/get-response-v7.xml"


def test_the_hash_is_the_specifications_on_its_own_example() -> None:
    """resources/xsltKit: the v7 example declares the hash the XSLT gives; so do we."""
    root = xml.parse(official(XSLT_EXAMPLE))
    node = root.find("i:iia", iia.NS)
    assert node is not None
    text = iia.text_to_hash(node)
    # the README of the xsltKit shows this text: not-yet-defined elements, contacts and the
    # years inside the condition are left out, the v6 ISCED value replaces the v7 one
    assert text.startswith("_iia-id_1=0f7a5682-faf7-49a7-9cc7-ec486c49a281__iia-id_2=1954991_")
    assert "mobilities-per-year=2" not in text.split("staff-teacher")[0]
    assert "subject-area.isced-f-code=031_" in text
    assert "XYZ" not in text
    assert "contact" not in text
    assert text.endswith(
        "_receiving-first-academic-year-id=2016/2017__receiving-last-academic-year-id=2017/2018_"
    )
    assert iia.iia_hash(node) == "87b33170d7a6c6d894215641f39e7b7de36501265479e5ab3922f32d5b225033"


@pytest.mark.parametrize("path", [EXAMPLE, XSLT_EXAMPLE])
def test_official_examples_are_read_with_their_declared_hash(path: str) -> None:
    found = iia.parse(official(path))
    assert len(found) == 1
    one = found[0]
    assert one.iia_hash == one.computed_hash
    assert [p.hei_id for p in one.partners] == ["uw.edu.pl", "hibo.no"]
    assert one.conditions[0].kind == iia.STUDIES


def test_a_changed_condition_changes_the_hash_and_a_contact_does_not() -> None:
    data = official(XSLT_EXAMPLE).decode()
    base = iia.parse(data)[0].computed_hash
    changed = data.replace("<total-months-per-year>5<", "<total-months-per-year>6<", 1)
    assert iia.parse(changed)[0].computed_hash != base
    # the sending contact (XYZ) is not part of the hash
    assert iia.parse(data.replace(">XYZ<", ">Somebody else<"))[0].computed_hash == base


def test_our_agreement_validates_and_carries_the_offers(agreement: Agreement) -> None:
    data = services.export_iia(agreement)
    xml.validate(xml.IIA_GET, xml.parse(data))  # export_iia validates too; say it here
    ours = iia.parse(data)[0]
    link = services.known_iia_link(agreement)  # the export stores nothing
    assert ours.partners[0] == iia.Partner(HOME, str(link.iia_id), "E+ NL DELFT01")
    assert ours.partners[1].hei_id == "tudelft.nl"
    assert ours.in_effect is True
    assert ours.iia_hash == ours.computed_hash
    first, second = ours.conditions
    assert (first.sending_hei, first.receiving_hei) == (HOME, "tudelft.nl")
    assert (first.first_year, first.last_year) == (2026, 2028)
    assert (first.mobilities_per_year, first.total_months) == (3, 15)
    assert first.eqf_levels == (6, 7)
    assert first.isced_codes == ("0715",)
    assert first.languages == (("en", "B2"),)
    assert second.languages == (("nl", ""),)
    assert second.eqf_levels == (7, 8)
    # the document says academic years as EWP writes them
    assert b"<receiving-first-academic-year-id>2026/2027<" in data


def test_the_iia_id_stays_the_same_across_exports(agreement: Agreement) -> None:
    one = iia.parse(services.export_iia(agreement))[0]
    two = iia.parse(services.export_iia(agreement))[0]
    assert one.partners[0].iia_id == two.partners[0].iia_id
    assert one.iia_hash == two.iia_hash


def test_an_offer_with_a_broad_field_is_named(agreement: Agreement) -> None:
    agreement.offers.filter(isced_code="0731").update(isced_code="073")
    with pytest.raises(EwpError, match=r"the offer in 073 \(Architecture and construction\)"):
        services.export_iia(agreement)


def test_an_export_without_the_partners_schac_code_is_refused(agreement: Agreement) -> None:
    Institution.objects.filter(pk=agreement.partner_id).update(schac_code=None)
    agreement.refresh_from_db()
    with pytest.raises(EwpError, match="SCHAC"):
        services.export_iia(agreement)


def test_round_trip_into_a_new_agreement_keeps_every_field_we_model(agreement: Agreement) -> None:
    office = UserFactory.create(username="office-ewp", role="office")
    data = services.export_iia(agreement)
    # the same document comes back as if the partner served it: swap nothing, but make our
    # agreement unknown so that it is imported as new
    original = {
        (o.isced_code, o.seats, o.months, o.language, o.language_level, tuple(o.eqf_levels))
        for o in agreement.offers.all()
    }
    years = (agreement.start_year, agreement.end_year)
    # pretend the document is the partner's: us as second partner, them first
    root = xml.parse(data)
    node = root.find("i:iia", iia.NS)
    assert node is not None
    partners = node.findall("i:partner", iia.NS)
    our_id = partners[0].find("i:iia-id", iia.NS)
    assert our_id is not None
    our_id.text = str(uuid.uuid4())  # an iia-id of ours nobody knows: a new agreement
    node.remove(partners[1])
    node.insert(0, partners[1])
    node.find("i:iia-hash", iia.NS).text = iia.iia_hash(node)
    received = services.receive_iias(data=xml.serialize(root), file_name="delft.xml", actor=office)
    assert len(received) == 1
    assert received[0].agreement is None
    result = services.accept_iia(inbound=received[0], actor=office, code="NL DELFT COPY")
    assert result.created
    copy = result.agreement
    assert copy.partner == agreement.partner
    assert (copy.start_year, copy.end_year) == years
    assert copy.status == AgreementStatus.ACTIVE
    assert {
        (o.isced_code, o.seats, o.months, o.language, o.language_level, tuple(o.eqf_levels))
        for o in copy.offers.all()
    } == original
    received[0].refresh_from_db()
    assert received[0].state == Inbound.State.APPLIED
    assert "courses of study" in received[0].message
    assert AuditEvent.objects.filter(action="ewp.iia_accepted").count() == 1


def partner_copy(
    agreement: Agreement, *, months: int = 15, seats: int = 3, extra: str = ""
) -> bytes:
    """The partner's copy of ``agreement``: them first, our iia-id in our entry."""
    link = services.iia_link(agreement)
    conditions = f"""
      <student-studies-mobility-spec>
        <sending-hei-id>{HOME}</sending-hei-id>
        <receiving-hei-id>tudelft.nl</receiving-hei-id>
        <receiving-first-academic-year-id>2026/2027</receiving-first-academic-year-id>
        <receiving-last-academic-year-id>2029/2030</receiving-last-academic-year-id>
        <mobilities-per-year>{seats}</mobilities-per-year>
        <recommended-language-skill><language>en</language><cefr-level>B2</cefr-level></recommended-language-skill>
        <subject-area><isced-f-code>0715</isced-f-code></subject-area>
        <total-months-per-year>{months}</total-months-per-year>
        <blended>false</blended>
        <eqf-level>6</eqf-level><eqf-level>7</eqf-level>
      </student-studies-mobility-spec>{extra}"""
    body = f"""<iias-get-response xmlns="{xml.IIAS}">
  <iia>
    <partner><hei-id>tudelft.nl</hei-id><iia-id>DELFT-77</iia-id><iia-code>TUD/2026/77</iia-code></partner>
    <partner><hei-id>{HOME}</hei-id><iia-id>{link.iia_id}</iia-id></partner>
    <in-effect>true</in-effect>
    <cooperation-conditions>{conditions}</cooperation-conditions>
    <iia-hash>{"0" * 64}</iia-hash>
  </iia>
</iias-get-response>"""
    root = xml.parse(body)
    node = root.find("i:iia", iia.NS)
    node.find("i:iia-hash", iia.NS).text = iia.iia_hash(node)
    return xml.serialize(root)


def test_a_partner_copy_is_matched_compared_and_accepted(agreement: Agreement) -> None:
    office = UserFactory.create(username="office-ewp", role="office")
    data = partner_copy(agreement, months=18)
    [inbound] = services.receive_iias(data=data, file_name="tud.xml", actor=office)
    assert inbound.agreement == agreement
    differences = services.iia_diff(inbound, agreement)
    fields = {(d.field, d.ours, d.theirs) for d in differences}
    assert ("receiving-last-academic-year-id", "2028", "2029") in fields
    assert ("total-months-per-year", "15", "18") in fields
    # our Dutch-taught doctoral offer is not in their copy
    assert any(d.field == "condition" and d.theirs == "absent" for d in differences)
    result = services.accept_iia(inbound=inbound, actor=office)
    assert not result.created
    assert result.offers_updated == 1
    assert result.offers_created == 0
    assert len(result.kept) == 1
    agreement.refresh_from_db()
    assert agreement.end_year == 2029
    offer = agreement.offers.get(isced_code="0715")
    assert offer.months == 6  # 18 months for 3 students
    link = IiaLink.objects.get(agreement=agreement)
    assert (link.partner_iia_id, link.partner_iia_code) == ("DELFT-77", "TUD/2026/77")
    assert link.partner_xml == data.decode()
    # and our next export names their iia-id and code
    ours = iia.parse(services.export_iia(agreement))[0]
    assert ours.partners[1] == iia.Partner("tudelft.nl", "DELFT-77", "TUD/2026/77")
    # deciding twice is refused
    with pytest.raises(EwpError, match="decided"):
        services.accept_iia(inbound=inbound, actor=office)


def test_a_copy_in_another_encoding_is_kept_in_utf8(agreement: Agreement) -> None:
    office = UserFactory.create(username="office-ewp", role="office")
    text = partner_copy(agreement).decode().replace("TUD/2026/77", "TUD/2026/77 Università")
    body = text.split("?>", 1)[1]
    latin = ('<?xml version="1.0" encoding="ISO-8859-1"?>' + body).encode("iso-8859-1")
    [inbound] = services.receive_iias(data=latin, file_name="latin.xml", actor=office)
    assert "ISO-8859-1" not in inbound.xml
    assert services.inbound_iia(inbound).partners[0].iia_code == "TUD/2026/77 Università"
    services.accept_iia(inbound=inbound, actor=office)
    assert IiaLink.objects.get(agreement=agreement).partner_iia_code == "TUD/2026/77 Università"


def test_a_new_condition_becomes_a_new_offer(agreement: Agreement) -> None:
    office = UserFactory.create(username="office-ewp", role="office")
    extra = f"""
      <student-studies-mobility-spec>
        <sending-hei-id>{HOME}</sending-hei-id>
        <receiving-hei-id>tudelft.nl</receiving-hei-id>
        <receiving-first-academic-year-id>2026/2027</receiving-first-academic-year-id>
        <receiving-last-academic-year-id>2027/2028</receiving-last-academic-year-id>
        <mobilities-per-year>1</mobilities-per-year>
        <recommended-language-skill><language>en</language></recommended-language-skill>
        <subject-area><isced-f-code>0613</isced-f-code></subject-area>
        <blended>false</blended>
      </student-studies-mobility-spec>"""
    [inbound] = services.receive_iias(
        data=partner_copy(agreement, extra=extra), file_name="t.xml", actor=office
    )
    result = services.accept_iia(inbound=inbound, actor=office)
    assert result.offers_created == 1
    new = agreement.offers.get(isced_code="0613")
    # no EQF level: open to all; no total of months: a semester, both said in the notes
    assert (new.level_bachelor, new.level_master, new.level_doctorate) == (True, True, True)
    assert new.months == services.DEFAULT_MONTHS
    assert len(result.notes) == 2


def test_an_incoming_only_agreement_is_refused_on_acceptance(agreement: Agreement) -> None:
    office = UserFactory.create(username="office-ewp", role="office")
    data = (
        partner_copy(agreement)
        .decode()
        .replace(f"<sending-hei-id>{HOME}<", "<sending-hei-id>SWAP<")
        .replace("<receiving-hei-id>tudelft.nl<", f"<receiving-hei-id>{HOME}<")
        .replace("<sending-hei-id>SWAP<", "<sending-hei-id>tudelft.nl<")
    )
    [inbound] = services.receive_iias(data=data.encode(), file_name="t.xml", actor=office)
    with pytest.raises(EwpError, match="no student mobility"):
        services.accept_iia(inbound=inbound, actor=office)
    inbound.refresh_from_db()
    assert inbound.state == Inbound.State.PENDING


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"<iias-get-response", "not well-formed"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "DTD"),
        (b"<omobility-las-get-response/>", "not iias-get-response"),
        (
            f'<iias-get-response xmlns="{xml.IIAS}"><iia><in-effect>maybe</in-effect></iia>'
            "</iias-get-response>".encode(),
            "EWP schema",
        ),
    ],
)
def test_bad_documents_are_refused_and_change_nothing(
    home: Institution, data: bytes, message: str
) -> None:
    office = UserFactory.create(username="office-ewp", role="office")
    agreements = Agreement.objects.count()
    with pytest.raises(EwpError, match=message):
        services.receive_iias(data=data, file_name="bad.xml", actor=office)
    assert Inbound.objects.count() == 0
    assert Agreement.objects.count() == agreements


def test_a_document_about_other_institutions_is_refused(home: Institution) -> None:
    office = UserFactory.create(username="office-ewp", role="office")
    with pytest.raises(EwpError, match="None of the 1 agreements"):
        services.receive_iias(data=official(EXAMPLE), file_name="x.xml", actor=office)
    assert Inbound.objects.count() == 0


def test_an_unknown_partner_institution_is_named(agreement: Agreement) -> None:
    office = UserFactory.create(username="office-ewp", role="office")
    data = partner_copy(agreement).decode().replace("tudelft.nl", "unknown.example.org")
    # our iia-id matches the agreement, but it is with another institution
    [inbound] = services.receive_iias(data=data.encode(), file_name="t.xml", actor=office)
    assert inbound.agreement == agreement
    with pytest.raises(EwpError, match=r"not with unknown\.example\.org"):
        services.accept_iia(inbound=inbound, actor=office)
    # without our iia-id it would be a new agreement, with an institution we do not know
    link = services.iia_link(agreement)
    data = data.replace(f"<iia-id>{link.iia_id}</iia-id>", "")
    [inbound] = services.receive_iias(data=data.encode(), file_name="t.xml", actor=office)
    assert inbound.agreement is None
    with pytest.raises(EwpError, match=r"SCHAC code unknown\.example\.org"):
        services.accept_iia(inbound=inbound, actor=office)
    assert Offer.objects.filter(agreement__partner__schac_code="unknown.example.org").count() == 0
    assert Agreement.objects.count() == 1


def test_missing_schemas_are_a_clear_error(agreement: Agreement, settings: Any) -> None:
    settings.EWP_SCHEMA_DIR = ""
    with pytest.raises(xml.SchemasMissing, match="ABROAD_EWP_SCHEMA_DIR"):
        iia.parse(official(EXAMPLE))
    # nor is anything sent unchecked
    with pytest.raises(xml.SchemasMissing, match="ABROAD_EWP_SCHEMA_DIR"):
        services.export_iia(agreement)
