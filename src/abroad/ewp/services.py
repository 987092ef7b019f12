"""EWP documents from and into our records: agreements (IIAs), learning agreements and
their partners' answers, nominations, transcripts of records.

Everything we emit and everything we read is validated against the official schema (the
folder ABROAD_EWP_SCHEMA_DIR names; without it nothing is emitted nor read, and the reason is
said); a document that fails is refused with the schema's message, changing nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from abroad.catalogue.enums import AgreementStatus, Programme
from abroad.catalogue.models import Agreement, Institution, Offer
from abroad.core import audit
from abroad.core.enums import DegreeLevel
from abroad.core.permissions import require_actor
from abroad.ewp import iia, las, nominations, presend, xml
from abroad.ewp.models import IiaLink, Inbound, MobilityLink, ReceivedFile
from abroad.ewp.xml import EwpError
from abroad.mobility import queries as mobility_queries
from abroad.mobility import services as mobility_services
from abroad.mobility.enums import LearningAgreementState
from abroad.mobility.models import Component, LearningAgreement, Mobility
from abroad.mobility.services import MobilityError
from abroad.people.models import User

DEFAULT_MONTHS = 5  # a semester, when a partner's condition gives no total of months


def home_hei() -> str:
    """Our HEI id in EWP: the setting, else the home institution's SCHAC code."""
    if settings.EWP_HEI_ID:
        return str(settings.EWP_HEI_ID).lower()
    home = Institution.objects.find_home()
    if home is None or not home.schac_code:
        raise EwpError(
            _(
                "The home institution has no SCHAC code, its id in EWP: set it in the catalogue "
                "or set ABROAD_EWP_HEI_ID."
            )
        )
    return home.schac_code.lower()


def emitted(kind: xml.Kind, data: bytes) -> bytes:
    """Check a document we made against the official schema and what partners refuse beyond
    it (:mod:`abroad.ewp.presend`): nothing invalid leaves abroad
    (:class:`~abroad.ewp.xml.SchemasMissing` when the schema folder is not set)."""
    root = xml.parse(data, ours=True)
    problems = presend.problems(root)  # first: they say what to fix in the office's words
    if problems:
        raise EwpError(" ".join(problems))
    xml.validate(kind, root)
    return data


def keep_file(data: bytes) -> ReceivedFile:
    """The received file, kept once (as :func:`xml.stored` gives it): the same file received
    again is the row kept the first time."""
    text = xml.stored(data)
    encoded = text.encode("utf-8")
    kept, _created = ReceivedFile.objects.get_or_create(
        sha256=hashlib.sha256(encoded).hexdigest(), defaults={"text": text, "size": len(encoded)}
    )
    return kept


def _schac(institution: Institution) -> str:
    if not institution.schac_code:
        raise EwpError(
            _("%(name)s has no SCHAC code, which EWP uses to name institutions: set it first.")
            % {"name": institution}
        )
    return institution.schac_code.lower()


# --------------------------------------------------------------------------------- IIAs


# An agreement's iia-id is stored on it (Agreement.iia_id, given when it is created, kept
# whatever the settings and the secret key). A mobility's omobility-id, for a row that has no
# stored EWP identity yet, is derived from its primary key with the secret key: a download (a
# GET) names the same id every time without writing anything, nobody can guess another row's
# id, and the first write that needs the identity (applying a partner's answer) stores that
# same id. Ids stored before this stay as they are.


def _derived_ids(kind: str, pk: int) -> list[uuid.UUID]:
    """The id a row of ``kind`` has until its identity is stored: with the secret key first,
    then with each of the older keys (SECRET_KEY_FALLBACKS), for ids already sent."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    ids = []
    for key in keys:
        digest = hmac.new(str(key).encode(), f"abroad.ewp:{kind}:{pk}".encode(), "sha256")
        ids.append(uuid.UUID(bytes=digest.digest()[:16], version=4))
    return ids


def derived_id(kind: str, pk: int) -> uuid.UUID:
    return _derived_ids(kind, pk)[0]


def _derived_match(kind: str, wanted: str, pks: Iterable[int]) -> int | None:
    """Which of ``pks`` has ``wanted`` as its derived id (the current key's or an older's)."""
    try:
        target = uuid.UUID(wanted)
    except ValueError:
        return None
    return next((pk for pk in pks if target in _derived_ids(kind, pk)), None)


def known_iia_link(agreement: Agreement) -> IiaLink:
    """What we know of the agreement in EWP, read only: the stored link, else an empty one
    (not saved; its iia-id is the agreement's)."""
    try:
        return agreement.ewp
    except IiaLink.DoesNotExist:
        return IiaLink(agreement=agreement)


def iia_link(agreement: Agreement) -> IiaLink:
    """What we know of the agreement in EWP, stored (for a write)."""
    link, _created = IiaLink.objects.get_or_create(agreement=agreement)
    return link


def offer_condition(offer: Offer, home: str, partner: str) -> iia.Condition:
    agreement = offer.agreement
    return iia.Condition(
        kind=iia.STUDIES,
        sending_hei=home,
        receiving_hei=partner,
        first_year=agreement.start_year,
        last_year=agreement.end_year,
        mobilities_per_year=offer.seats,
        total_months=offer.total_months,
        eqf_levels=tuple(offer.eqf_levels),
        isced_codes=(offer.isced_code,) if offer.isced_code else (),
        languages=((offer.language, offer.language_level),) if offer.language else (),
    )


def _detailed_fields(offers: Iterable[Offer]) -> None:
    """IIAs v7 name subject areas by detailed ISCED-F fields (four digits) only."""
    for offer in offers:
        if offer.isced_code and len(offer.isced_code) != 4:
            raise EwpError(
                _(
                    "EWP names subject areas by detailed ISCED-F fields (four digits): the offer "
                    "in %(code)s (%(name)s) has a broader field; choose a detailed one for it."
                )
                % {"code": offer.isced_code, "name": offer.isced_name}
            )


def agreement_iia(agreement: Agreement, home: str | None = None) -> iia.Iia:
    """Our agreement as EWP sees it: we serve it, so we are the first partner (``home``: our
    HEI id, when the caller has it already)."""
    home = home or home_hei()
    partner = _schac(agreement.partner)
    offers = list(agreement.offers.all())
    _detailed_fields(offers)
    link = known_iia_link(agreement)
    return iia.Iia(
        partners=(
            iia.Partner(home, str(link.iia_id), agreement.code),
            iia.Partner(partner, link.partner_iia_id, link.partner_iia_code),
        ),
        in_effect=agreement.status == AgreementStatus.ACTIVE,
        conditions=tuple(offer_condition(o, home, partner) for o in offers),
        terminated=agreement.status == AgreementStatus.ENDED,
    )


def export_iias(agreements: Iterable[Agreement]) -> bytes:
    home = home_hei()  # once, not once per agreement
    return emitted(xml.IIA_GET, iia.render([agreement_iia(a, home) for a in agreements]))


def export_iia(agreement: Agreement) -> bytes:
    return export_iias([agreement])


@transaction.atomic
def receive_iias(*, data: bytes, file_name: str, actor: User | None) -> list[Inbound]:
    """Keep a partner's IIA document, one waiting entry per agreement between them and us,
    for the office to compare and accept. Refused whole (nothing kept) when it is not valid
    or names no agreement with us."""
    require_actor(actor, "ewp.exchange")
    home = home_hei()
    found = iia.parse(data)
    ours = [(n, one) for n, one in enumerate(found) if one.partner(home) is not None]
    if not ours:
        raise EwpError(
            _("None of the %(count)s agreements in the file is with %(home)s.")
            % {"count": len(found), "home": home}
        )
    source = keep_file(data)
    received = []
    for position, one in ours:
        other = next(p for p in one.partners if p.hei_id != home)
        match = find_agreement(one, home)
        received.append(
            Inbound.objects.create(
                kind=Inbound.Kind.IIA,
                file_name=file_name[:200],
                source=source,
                summary=_("IIA %(code)s from %(partner)s, item %(n)s")
                % {
                    "code": other.iia_code or other.iia_id,
                    "partner": other.hei_id,
                    "n": position + 1,
                },
                position=position,
                agreement=match,
                received_by=actor,
            )
        )
    audit.record(actor=actor, action="ewp.iia_received", file=file_name, count=len(received))
    return received


def inbound_iia(inbound: Inbound) -> iia.Iia:
    """The agreement an IIA entry holds (the file it came in is kept whole, once)."""
    found = iia.parse(inbound.source.text)
    if inbound.position >= len(found):
        raise EwpError(_("The document no longer holds this agreement."))
    return found[inbound.position]


def inbound_text(inbound: Inbound) -> str:
    """What an entry received: for an IIA, the file with this agreement only (a
    get-response of its own); else the whole file."""
    if inbound.kind != Inbound.Kind.IIA:
        return inbound.source.text
    root = xml.parse(inbound.source.text)
    nodes = root.findall("i:iia", iia.NS)
    if inbound.position >= len(nodes):
        raise EwpError(_("The document no longer holds this agreement."))
    for number, node in enumerate(nodes):
        if number != inbound.position:
            root.remove(node)
    return xml.serialize(root).decode("utf-8")


def find_agreement(theirs: iia.Iia, home: str) -> Agreement | None:
    """Our agreement a partner's copy is about: by our iia-id if they give it, else by their
    iia-id if we have learnt it."""
    mine = theirs.partner(home)
    other = next(p for p in theirs.partners if p.hei_id != home)
    if mine is not None and mine.iia_id:
        try:
            return Agreement.objects.select_related("partner").get(iia_id=uuid.UUID(mine.iia_id))
        except (ValueError, Agreement.DoesNotExist):
            pass
    if other.iia_id:
        known = (
            IiaLink.objects.select_related("agreement")
            .filter(
                partner_iia_id=other.iia_id, agreement__partner__schac_code__iexact=other.hei_id
            )
            .first()
        )
        if known is not None:
            return known.agreement
    return None


def iia_diff(inbound: Inbound, agreement: Agreement | None) -> list[iia.Difference]:
    home = home_hei()
    ours = agreement_iia(agreement) if agreement is not None else None
    return iia.diff(ours, inbound_iia(inbound), home)


@dataclass
class Accepted:
    agreement: Agreement
    created: bool
    offers_created: int
    offers_updated: int
    kept: list[str]  # our offers the partner's copy does not have (kept, to end by hand)
    notes: list[str]


def _pending_inbound(inbound: Inbound, kind: str) -> Inbound:
    inbound = Inbound.objects.select_for_update().get(pk=inbound.pk)
    if inbound.kind != kind or inbound.state != Inbound.State.PENDING:
        raise EwpError(
            _("This document is “%(state)s”: somebody has decided on it already.")
            % {"state": inbound.get_state_display()}
        )
    return inbound


def _offer_fields(condition: iia.Condition, notes: list[str]) -> dict[str, Any]:
    levels = set(condition.eqf_levels)
    if not levels & {6, 7, 8}:
        levels = {6, 7, 8}
        notes.append(
            _("%(condition)s names no EQF level 6-8: open to every level.")
            % {"condition": iia.describe(condition)}
        )
    months = condition.months_per_mobility
    if months is None:
        months = DEFAULT_MONTHS
        notes.append(
            _("%(condition)s gives no total of months: %(months)s months per student.")
            % {"condition": iia.describe(condition), "months": months}
        )
    language, level = condition.languages[0] if condition.languages else ("en", "")
    if len(condition.isced_codes) > 1:
        notes.append(
            _("%(condition)s lists several subject areas; the offer keeps the first.")
            % {"condition": iia.describe(condition)}
        )
    return {
        "level_bachelor": 6 in levels,
        "level_master": 7 in levels,
        "level_doctorate": 8 in levels,
        "isced_code": condition.isced_codes[0] if condition.isced_codes else "",
        "seats": max(1, min(condition.mobilities_per_year or 1, 200)),
        "months": max(1, min(months, 24)),
        "language": language[:2].lower(),
        "language_level": level.upper()[:2],
    }


@transaction.atomic
def accept_iia(
    *, inbound: Inbound, actor: User | None, agreement: Agreement | None = None, code: str = ""
) -> Accepted:
    """Accept a partner's copy into ``agreement`` (its match when not given), or into a new
    agreement with reference ``code``: the years, whether it is in effect and the offers
    follow their copy; the courses of study each offer is open to (the Manifesto) and the
    offers' notes stay ours. Our offers missing from their copy are kept and listed."""
    require_actor(actor, "ewp.exchange")
    inbound = _pending_inbound(inbound, Inbound.Kind.IIA)
    home = home_hei()
    theirs = inbound_iia(inbound)
    other = next(p for p in theirs.partners if p.hei_id != home)
    conditions = theirs.outgoing(home)
    if not conditions:
        raise EwpError(
            _(
                "Their copy has no student mobility from %(home)s to them: there is nothing "
                "to offer."
            )
            % {"home": home}
        )
    agreement = agreement or find_agreement(theirs, home)
    created = agreement is None
    years = (min(c.first_year for c in conditions), max(c.last_year for c in conditions))
    if agreement is None:
        partner = Institution.objects.filter(schac_code__iexact=other.hei_id).first()
        if partner is None:
            raise EwpError(
                _(
                    "No institution in the catalogue has the SCHAC code %(hei)s: import the ECHE "
                    "list or add the institution first."
                )
                % {"hei": other.hei_id}
            )
        code = (code or f"EWP-{other.iia_code or other.iia_id}").strip()[:40]
        if Agreement.objects.filter(code=code).exists():
            raise EwpError(
                _("An agreement with reference %(code)s exists already: choose another.")
                % {"code": code}
            )
        agreement = Agreement.objects.create(
            code=code,
            partner=partner,
            programme=Programme.ERASMUS,
            start_year=years[0],
            end_year=years[1],
        )
    elif (agreement.partner.schac_code or "").lower() != other.hei_id.lower():
        raise EwpError(
            _("%(code)s is an agreement with %(partner)s, not with %(hei)s.")
            % {"code": agreement.code, "partner": agreement.partner, "hei": other.hei_id}
        )
    agreement.start_year, agreement.end_year = years
    if theirs.in_effect:
        agreement.status = AgreementStatus.ACTIVE
    elif theirs.terminated:
        agreement.status = AgreementStatus.ENDED
    agreement.save()
    notes: list[str] = []
    offers = list(agreement.offers.all())
    mine = [offer_condition(o, home, other.hei_id) for o in offers]
    result = Accepted(agreement, created, 0, 0, [], notes)
    for ours, their in iia.pair(mine, conditions):
        if their is None:
            assert ours is not None
            result.kept.append(iia.describe(ours))
            continue
        fields = _offer_fields(their, notes)
        if ours is None:
            Offer.objects.create(agreement=agreement, **fields)
            result.offers_created += 1
            continue
        offer = offers[mine.index(ours)]
        if any(getattr(offer, k) != v for k, v in fields.items()):
            for name, value in fields.items():
                setattr(offer, name, value)
            offer.save()
            result.offers_updated += 1
    link = iia_link(agreement)
    link.partner_iia_id = other.iia_id
    link.partner_iia_code = other.iia_code
    link.partner_hash = theirs.iia_hash
    link.partner_xml = inbound_text(inbound)  # their agreement, not the whole file
    link.partner_updated_at = timezone.now()
    link.save()
    inbound.state = Inbound.State.APPLIED
    inbound.agreement = agreement
    inbound.decided_at = timezone.now()
    inbound.message = accepted_message(result)
    inbound.save()
    audit.record(
        actor=actor,
        action="ewp.iia_accepted",
        obj=agreement,
        inbound=inbound.pk,
        created=created,
        offers_created=result.offers_created,
        offers_updated=result.offers_updated,
    )
    return result


def accepted_message(result: Accepted) -> str:
    lines = [
        _("%(code)s %(what)s: %(created)s offers added, %(updated)s updated.")
        % {
            "code": result.agreement.code,
            "what": _("created") if result.created else _("updated"),
            "created": result.offers_created,
            "updated": result.offers_updated,
        }
    ]
    if result.kept:
        lines.append(_("Not in their copy, kept: %(offers)s.") % {"offers": "; ".join(result.kept)})
    lines.extend(result.notes)
    if result.offers_created:
        lines.append(_("Choose the courses of study the new offers are open to."))
    return "\n".join(lines)


@transaction.atomic
def discard(*, inbound: Inbound, actor: User | None) -> Inbound:
    require_actor(actor, "ewp.exchange")
    inbound = _pending_inbound(inbound, inbound.kind)
    inbound.state = Inbound.State.DISCARDED
    inbound.decided_at = timezone.now()
    inbound.save(update_fields=["state", "decided_at"])
    audit.record(actor=actor, action="ewp.discarded", obj=inbound)
    return inbound


# ---------------------------------------------------------------------- learning agreements


def mobility_link(mobility: Mobility) -> MobilityLink:
    """The mobility's EWP identity, stored (for a write: its omobility-id is the one sent)."""
    link, _created = MobilityLink.objects.get_or_create(
        mobility=mobility, defaults={"omobility_id": derived_id("mobility", mobility.pk)}
    )
    return link


def omobility_id(mobility: Mobility) -> str:
    """The mobility's omobility-id, read only: the stored one, else the derived one."""
    try:
        return str(mobility.ewp.omobility_id)
    except MobilityLink.DoesNotExist:
        return str(derived_id("mobility", mobility.pk))


def global_id(student: User, home: str) -> str:
    """The European Student Identifier: the home HEI and the student number."""
    return (
        f"urn:schac:personalUniqueCode:int:esi:{home}:{student.student_number or student.username}"
    )


def _versions(mobility: Mobility) -> list[LearningAgreement]:
    return list(
        mobility.learning_agreements.select_related("promoter")
        .prefetch_related(
            Prefetch("components", queryset=Component.objects.order_by("table", "position", "pk"))
        )
        .order_by("number")
    )


def parties(mobility: Mobility, versions: Sequence[LearningAgreement]) -> las.Parties:
    home = home_hei()
    agreement = mobility.offer.agreement if mobility.offer else None
    signer = next((v.promoter for v in reversed(versions) if v.promoter is not None), None)
    if signer is None or not signer.email:
        raise EwpError(
            _("EWP names the promoter who signed, with an e-mail: no version has one yet.")
        )
    contact = las.parse_contact(agreement.partner_contact) if agreement else None
    if contact is None:
        raise EwpError(
            _(
                "EWP needs a contact person at the host, with an e-mail: write it as “Name "
                "Surname <e-mail>” in the agreement's contact at the partner."
            )
        )
    return las.Parties(
        omobility_id=omobility_id(mobility),
        sending_hei=home,
        receiving_hei=_schac(mobility.host),
        sending_contact=las.Person(
            signer.first_name or "-", signer.last_name or signer.username, signer.email
        ),
        receiving_contact=contact,
        global_id=global_id(mobility.student, home),
    )


def export_la(mobility: Mobility) -> bytes:
    versions = _versions(mobility)
    las.sendable(versions)
    return emitted(xml.LA_GET, las.render(mobility, versions, parties(mobility, versions)))


def _refuse(inbound: Inbound, message: str) -> Inbound:
    inbound.state = Inbound.State.REFUSED
    inbound.message = message
    inbound.decided_at = timezone.now()
    inbound.save()
    return inbound


def apply_la_update(*, data: bytes, file_name: str, actor: User | None) -> Inbound:
    """Apply a partner's update-request to the version it names: an approval is the host's
    signature, a comment returns the version to the student. The document is kept; when it
    cannot be applied (unknown mobility, a version not waiting for the host) it is kept as
    refused, with the reason, and nothing else changes."""
    require_actor(actor, "ewp.exchange")
    update = las.parse_update(data)
    inbound = Inbound.objects.create(
        kind=Inbound.Kind.LA_UPDATE,
        file_name=file_name[:200],
        source=keep_file(data),
        summary=(_("Approval of %(id)s") if update.approve else _("Comment on %(id)s"))
        % {"id": update.proposal_id},
        received_by=actor,
    )
    try:
        with transaction.atomic():
            inbound.mobility = mobility_of(update.omobility_id)
            version = _proposal(update, inbound.mobility)
            if update.approve:
                mobility_services.record_host_signature(
                    agreement=version,
                    actor=actor,
                    signer=update.signer,
                    document=None,
                    signed_at=update.signed_at,
                )
                message = _("Version %(number)s is signed by the host (%(signer)s).")
            else:
                mobility_services.return_by_host(
                    agreement=version, actor=actor, comment=update.comment, signer=update.signer
                )
                message = _("Version %(number)s went back to the student with the host's comment.")
    except (EwpError, MobilityError) as error:
        _refuse(inbound, str(error))
        audit.record(actor=actor, action="ewp.la_update_refused", obj=inbound, reason=str(error))
        return inbound
    inbound.state = Inbound.State.APPLIED
    inbound.message = message % {"number": version.number, "signer": update.signer}
    inbound.decided_at = timezone.now()
    inbound.save()
    audit.record(actor=actor, action="ewp.la_update_applied", obj=inbound, version=version.pk)
    return inbound


def mobility_of(omobility_id: str) -> Mobility:
    """Our mobility with this omobility-id (a stored one, or the derived id of a mobility
    whose identity is stored now: this is a write); EwpError naming the id when none."""
    try:
        link = MobilityLink.objects.select_related("mobility__host").get(
            omobility_id=uuid.UUID(omobility_id)
        )
        return link.mobility
    except (ValueError, MobilityLink.DoesNotExist):
        pass
    unstored = Mobility.objects.filter(ewp__isnull=True).values_list("pk", flat=True)
    pk = _derived_match("mobility", omobility_id, unstored.iterator())
    if pk is None:
        raise EwpError(
            _("No mobility of ours has the omobility-id %(id)s.") % {"id": omobility_id}
        ) from None
    mobility = Mobility.objects.select_related("host").get(pk=pk)
    mobility_link(mobility)
    return mobility


def _proposal(update: las.Update, mobility: Mobility) -> LearningAgreement:
    home = home_hei()
    if update.sending_hei.lower() != home:
        raise EwpError(
            _("The update is for the learning agreements of %(hei)s, not of %(home)s.")
            % {"hei": update.sending_hei, "home": home}
        )
    number = update.version_number
    version = mobility.learning_agreements.filter(number=number).first() if number else None
    if version is None:
        raise EwpError(
            _("We never sent a proposal %(id)s for this mobility.") % {"id": update.proposal_id}
        )
    if version.state != LearningAgreementState.APPROVED:
        raise EwpError(
            _("Version %(number)s is “%(state)s”, not waiting for the host's signature.")
            % {"number": version.number, "state": version.get_state_display()}
        )
    return version


# --------------------------------------------------------------------------- nominations


def nominee(mobility: Mobility, home: str) -> nominations.Nominee:
    offer = mobility.offer
    link = known_iia_link(offer.agreement) if offer else None
    course = mobility.student.course_of_study
    level = getattr(course, "level", "")
    eqf = DegreeLevel(level).eqf if level else None
    # A reverse one-to-one: absent raises RelatedObjectDoesNotExist, an AttributeError.
    details = getattr(mobility.student, "nominee_details", None)
    return nominations.Nominee(
        mobility=mobility,
        omobility_id=omobility_id(mobility),
        sending_hei=home,
        receiving_hei=_schac(mobility.host),
        sending_iia_id=str(link.iia_id) if link else "",
        receiving_iia_id=link.partner_iia_id if link else "",
        global_id=global_id(mobility.student, home),
        eqf=eqf,
        isced_code=offer.isced_code if offer else "",
        nominee_isced_code=getattr(course, "isced_code", "") or "",
        birth_date=details.birth_date if details else None,
        nationality=details.nationality if details else "",
        gender=details.gender if details else None,
    )


@dataclass(frozen=True)
class NominationsFile:
    """The nominations document, and why each mobility it leaves out is left out."""

    data: bytes
    left_out: tuple[str, ...]


def export_nominations(mobilities: Iterable[Mobility]) -> NominationsFile:
    """The nominations of ``mobilities`` that EWP can carry (:func:`nominations.not_nominable`
    names the others), validated."""
    home = home_hei()
    items: list[nominations.Nominee] = []
    left_out: list[str] = []
    for mobility in mobilities:
        reason = nominations.not_nominable(mobility)
        found = None if reason else nominee(mobility, home)
        reason = reason or (nominations.missing(found) if found else None)
        if reason or found is None:
            left_out.append(reason or "")
        else:
            items.append(found)
    data = emitted(nominations.OMOBILITIES_GET, nominations.render(items))
    return NominationsFile(data, tuple(left_out))


def nomination_queryset(academic_year: int | None = None, host: Institution | None = None) -> Any:
    queryset = Mobility.objects.select_related(
        "student__course_of_study",
        "student__nominee_details",
        "host",
        "offer__agreement__ewp",
        "ewp",
    )
    if academic_year is not None:
        queryset = queryset.filter(academic_year=academic_year)
    if host is not None:
        queryset = queryset.filter(host=host)
    return queryset.order_by("host__name", "student__last_name", "pk")


# ------------------------------------------------------------------- transcripts of records


def import_tors(*, data: bytes, file_name: str, actor: User | None) -> list[Inbound]:
    """Enter each transcript of a ToR document into the recognition of its mobility (found
    by omobility-id), as the office does by hand: rows matched to table A by code or title.
    A transcript that cannot be entered is kept as refused with the reason; the others are
    entered."""
    require_actor(actor, "ewp.exchange")
    from abroad.recognition import services as recognition
    from abroad.recognition.services import EntryData, RecognitionError

    results = []
    tors = nominations.parse_tors(data)
    source = keep_file(data) if tors else None
    for tor in tors:
        assert source is not None
        inbound = Inbound.objects.create(
            kind=Inbound.Kind.TOR,
            file_name=file_name[:200],
            source=source,
            summary=_("Transcript for %(id)s, %(rows)s rows")
            % {"id": tor.omobility_id, "rows": len(tor.rows)},
            received_by=actor,
        )
        try:
            with transaction.atomic():
                mobility = mobility_of(tor.omobility_id)
                inbound.mobility = mobility
                version = mobility_queries.in_force(mobility)
                studied = recognition.table_a(version) if version else []
                entries = []
                for row in tor.rows:
                    component = next(
                        (
                            c
                            for c in studied
                            if (row.code and c.code and c.code.casefold() == row.code.casefold())
                            or c.title.casefold() == row.title.casefold()
                        ),
                        None,
                    )
                    entries.append(
                        EntryData(
                            code=component.code if component and component.code else row.code[:40],
                            title=row.title,
                            ects=row.ects,
                            grade=row.grade,
                            component=component,
                        )
                    )
                scale = recognition.host_scale_of(mobility, None)
                recognition.enter_transcript(
                    mobility=mobility, host_scale=scale, entries=entries, actor=actor
                )
        except (EwpError, RecognitionError) as error:
            results.append(_refuse(inbound, str(error)))
            continue
        inbound.state = Inbound.State.APPLIED
        inbound.message = _("Entered: %(rows)s rows, on the %(scale)s scale.") % {
            "rows": len(entries),
            "scale": scale,
        }
        inbound.decided_at = timezone.now()
        inbound.save()
        audit.record(actor=actor, action="ewp.tor_entered", obj=inbound, mobility=mobility.pk)
        results.append(inbound)
    return results
