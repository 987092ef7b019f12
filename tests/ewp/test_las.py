"""OMobility LAs v1: our versions as a valid get-response, a partner's update-request applied
to the version it names, refusals kept with their reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from abroad.catalogue.models import Institution
from abroad.ewp import las, services, xml
from abroad.ewp.models import Inbound
from abroad.ewp.xml import EwpError
from abroad.mobility.enums import ComponentStatus, LearningAgreementState, ReasonCode, Stage, Table
from abroad.mobility.models import LearningAgreement, Mobility
from abroad.people.enums import Role
from tests.ewp.conftest import HOME, official
from tests.factories import UserFactory
from tests.mobility.factories import ComponentFactory, MobilityFactory, agreement_with_rows

SIGNED_AT = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def mobility(home: Institution) -> Mobility:
    mobility = MobilityFactory.create(
        offer__agreement__partner__schac_code="tudelft.nl",
        offer__agreement__partner_contact="Anna de Vries <a.devries@tudelft.nl>",
    )
    mobility.student.student_number = "10654321"
    mobility.student.save()
    return mobility


def signed_first(mobility: Mobility) -> LearningAgreement:
    promoter = UserFactory.create(role=Role.PROMOTER)
    version = agreement_with_rows(
        mobility,
        state=LearningAgreementState.SIGNED,
        student_signed_at=SIGNED_AT,
        promoter=promoter,
        promoter_signed_at=SIGNED_AT + dt.timedelta(days=1),
        host_signer="Dr. Jansen",
        host_signed_at=SIGNED_AT + dt.timedelta(days=2),
    )
    return version


def change(
    mobility: Mobility, base: LearningAgreement, state: str = LearningAgreementState.APPROVED
) -> LearningAgreement:
    promoter = base.promoter
    version = agreement_with_rows(
        mobility,
        a=0,
        b=0,
        number=base.number + 1,
        stage=Stage.DURING,
        state=state,
        based_on=base,
        student_signed_at=timezone.now(),
        promoter=promoter if state != LearningAgreementState.SUBMITTED else None,
        promoter_signed_at=timezone.now() if state != LearningAgreementState.SUBMITTED else None,
    )
    for c in base.components.all():
        deleted = c.table == Table.A and c.position == 1
        ComponentFactory.create(
            agreement=version,
            table=c.table,
            position=c.position,
            code=c.code,
            title=c.title,
            ects=c.ects,
            status=ComponentStatus.DELETED if deleted else ComponentStatus.UNCHANGED,
            reason_code=ReasonCode.TIMETABLE_CONFLICT if deleted else "",
        )
    ComponentFactory.create(
        agreement=version,
        table=Table.A,
        position=9,
        code="NEW01",
        title="Replacement course",
        ects=Decimal(6),
        status=ComponentStatus.INSERTED,
        reason_code=ReasonCode.SUBSTITUTING_DELETED,
    )
    return version


def test_first_version_and_pending_change_validate(mobility: Mobility) -> None:
    first = signed_first(mobility)
    second = change(mobility, first)
    data = services.export_la(mobility)
    root = xml.read(xml.LA_GET, data)
    la = root.find("la:la", las.NS)
    assert la is not None
    link = services.mobility_link(mobility)
    assert xml.text(la, "la:omobility-id", las.NS) == str(link.omobility_id)
    assert xml.text(la, "la:sending-hei/la:hei-id", las.NS) == HOME
    assert (
        xml.text(la, "la:receiving-hei/la:contact-person/la:email", las.NS)
        == "a.devries@tudelft.nl"
    )
    assert xml.text(la, "la:student/la:global-id", las.NS).endswith(f":{HOME}:10654321")
    studied = la.findall("la:first-version/la:components-studied/la:component", las.NS)
    assert len(studied) == 5
    proposal = la.find("la:changes-proposal", las.NS)
    assert proposal is not None
    assert proposal.get("id") == f"{link.omobility_id}-v{second.number}"
    changes = {
        (c.get("status"), c.get("reason-code"), xml.text(c, "la:title", las.NS))
        for c in proposal.iter(f"{{{xml.LAS}}}component")
    }
    assert ("inserted", "substituting-deleted", "Replacement course") in changes
    assert any(
        status == "deleted" and reason == "timetable-conflict" for status, reason, _ in changes
    )
    assert proposal.find("la:receiving-hei-signature", las.NS) is None


def test_nothing_to_send_before_the_promoter_signs(mobility: Mobility) -> None:
    agreement_with_rows(
        mobility, state=LearningAgreementState.SUBMITTED, student_signed_at=SIGNED_AT
    )
    with pytest.raises(EwpError, match="nothing to send"):
        services.export_la(mobility)


def test_a_host_contact_without_email_is_named(mobility: Mobility) -> None:
    signed_first(mobility)
    assert mobility.offer is not None
    agreement = mobility.offer.agreement
    agreement.partner_contact = "the international office"
    agreement.save()
    with pytest.raises(EwpError, match="contact person at the host"):
        services.export_la(mobility)


def test_a_sending_contact_without_email_is_named(mobility: Mobility) -> None:
    """The sending HEI's contact is the promoter who signed: without an e-mail, nothing goes."""
    version = signed_first(mobility)
    assert version.promoter is not None
    version.promoter.email = ""
    version.promoter.save()
    with pytest.raises(EwpError, match="names the promoter who signed, with an e-mail"):
        services.export_la(mobility)


def update(
    mobility: Mobility, version: LearningAgreement, *, approve: bool = True, hei: str = HOME
) -> bytes:
    link = services.mobility_link(mobility)
    proposal = las.proposal_id(str(link.omobility_id), version)
    action = "approve-proposal-v1" if approve else "comment-proposal-v1"
    comment = "" if approve else "<req:comment>Course X is not taught in spring.</req:comment>"
    return f"""<req:omobility-las-update-request xmlns:req="{xml.LA_UPDATE}" xmlns:la="{xml.LAS}">
  <req:sending-hei-id>{hei}</req:sending-hei-id>
  <req:{action}>
    <req:omobility-id>{link.omobility_id}</req:omobility-id>
    <req:changes-proposal-id>{proposal}</req:changes-proposal-id>
    {comment}
    <req:signature>
      <la:signer-name>Anna de Vries</la:signer-name>
      <la:signer-position>Exchange coordinator</la:signer-position>
      <la:timestamp>2027-03-01T09:30:00+01:00</la:timestamp>
    </req:signature>
  </req:{action}>
</req:omobility-las-update-request>""".encode()


def test_an_approval_signs_the_version_for_the_host(mobility: Mobility) -> None:
    office = UserFactory.create(role=Role.OFFICE)
    second = change(mobility, signed_first(mobility))
    inbound = services.apply_la_update(
        data=update(mobility, second), file_name="ok.xml", actor=office
    )
    assert inbound.state == Inbound.State.APPLIED, inbound.message
    second.refresh_from_db()
    assert second.state == LearningAgreementState.SIGNED
    assert second.host_signer == "Anna de Vries, Exchange coordinator"
    assert second.host_signed_at == dt.datetime(2027, 3, 1, 8, 30, tzinfo=dt.UTC)
    # the next export has it as approved changes, and no proposal
    la = xml.read(xml.LA_GET, services.export_la(mobility)).find("la:la", las.NS)
    assert la is not None
    assert la.find("la:approved-changes", las.NS) is not None
    assert la.find("la:changes-proposal", las.NS) is None


def test_a_comment_returns_the_version_to_the_student(mobility: Mobility) -> None:
    office = UserFactory.create(role=Role.OFFICE)
    second = change(mobility, signed_first(mobility))
    inbound = services.apply_la_update(
        data=update(mobility, second, approve=False), file_name="c.xml", actor=office
    )
    assert inbound.state == Inbound.State.APPLIED
    second.refresh_from_db()
    assert second.state == LearningAgreementState.RETURNED
    assert "Course X is not taught in spring." in second.comment
    assert "Anna de Vries" in second.comment


@pytest.mark.parametrize(
    ("state", "hei", "message"),
    [
        (LearningAgreementState.SUBMITTED, HOME, "not waiting for the host"),
        (LearningAgreementState.APPROVED, "other.example.org", "not of polimi.it"),
    ],
)
def test_an_update_that_cannot_apply_is_kept_as_refused(
    mobility: Mobility, state: str, hei: str, message: str
) -> None:
    office = UserFactory.create(role=Role.OFFICE)
    second = change(mobility, signed_first(mobility), state=state)
    inbound = services.apply_la_update(
        data=update(mobility, second, hei=hei), file_name="r.xml", actor=office
    )
    assert inbound.state == Inbound.State.REFUSED
    assert message in inbound.message
    second.refresh_from_db()
    assert second.state == state


@pytest.mark.parametrize("name", ["approve-proposal-v1.xml", "comment-proposal-v1.xml"])
def test_official_update_requests_are_read(name: str) -> None:
    found = las.parse_update(
        official(f"ewp-specs-api-omobility-las/examples/update-request-examples/{name}")
    )
    assert found.omobility_id == "c442c289-5541-4cae-9edb-8ad83e133613"
    assert found.approve is name.startswith("approve")
    assert found.signer_name == "Paweł Tomasz Kowalski"


# ------------------------------------------------------------------------------ round trip


def listed(version: LearningAgreement, *, changed: bool = False) -> set[tuple[object, ...]]:
    """What we model of a version's components, as a get-response lists them: a first
    version whole, a change by its inserted and deleted rows."""
    rows = version.components.all()
    if changed:
        rows = rows.exclude(status=ComponentStatus.UNCHANGED)
    else:
        rows = rows.exclude(status=ComponentStatus.DELETED)
    return {
        (
            c.table,
            c.code,
            c.title,
            c.ects,
            c.status if changed else "",
            c.reason_code if changed else "",
        )
        for c in rows
    }


def read(versions: las.ReadList | None) -> set[tuple[object, ...]]:
    assert versions is not None
    return {
        (c.table, c.los_code, c.title, c.ects, c.status, c.reason_code) for c in versions.components
    }


def test_round_trip_keeps_every_field_we_model(mobility: Mobility) -> None:
    """Our LA exported and read back: codes, titles, credits, statuses, reason codes,
    signature times and the proposal id are our versions'; after the partner approves, the
    change is listed as approved, with the host's signature."""
    first = signed_first(mobility)
    second = change(mobility, first)
    omobility_id = str(services.mobility_link(mobility).omobility_id)
    [la] = las.parse(services.export_la(mobility))
    assert (la.omobility_id, la.sending_hei, la.receiving_hei) == (
        omobility_id,
        HOME,
        "tudelft.nl",
    )
    assert la.first_version is not None
    assert la.changes_proposal is not None
    assert read(la.first_version) == listed(first)
    assert la.first_version.student is not None
    assert la.first_version.sending is not None
    assert la.first_version.receiving is not None
    assert la.first_version.student.timestamp == first.student_signed_at
    assert la.first_version.sending.timestamp == first.promoter_signed_at
    assert first.promoter is not None
    assert la.first_version.sending.signer_email == first.promoter.email
    assert la.first_version.receiving.timestamp == first.host_signed_at
    assert la.first_version.receiving.signer_name == "Dr. Jansen"
    proposal = la.changes_proposal
    assert proposal.proposal_id == las.proposal_id(omobility_id, second)
    assert read(proposal) == listed(second, changed=True)
    assert proposal.student is not None
    assert proposal.sending is not None
    assert second.student_signed_at is not None
    assert second.promoter_signed_at is not None
    assert proposal.student.timestamp == second.student_signed_at.replace(microsecond=0)
    assert proposal.sending.timestamp == second.promoter_signed_at.replace(microsecond=0)
    assert proposal.receiving is None
    assert la.approved_changes is None

    office = UserFactory.create(role=Role.OFFICE)
    services.apply_la_update(data=update(mobility, second), file_name="a.xml", actor=office)
    second.refresh_from_db()
    [la] = las.parse(services.export_la(mobility))
    assert la.changes_proposal is None
    assert read(la.approved_changes) == listed(second, changed=True)
    assert la.approved_changes is not None
    assert la.approved_changes.receiving is not None
    assert la.approved_changes.receiving.timestamp == second.host_signed_at
    assert la.approved_changes.receiving.signer_name == second.host_signer
    assert read(la.first_version) == listed(first)


def test_reading_a_get_response_refuses_other_documents() -> None:
    with pytest.raises(EwpError, match="not omobility-las-get-response"):
        las.parse(
            official(
                "ewp-specs-api-omobility-las/examples/update-request-examples/approve-proposal-v1.xml"
            )
        )
