"""Erasure by pseudonymisation: the person's account stays (the records and the statistics
that count them keep working), but nothing in it identifies them any more.

- the user's identifying fields are replaced: username ``erased-<id>``, names, e-mail,
  student number; the password made unusable, the account deactivated, the last log-in
  forgotten. The role and the course of study stay: the statistics count by them.
- the free text the person wrote is blanked (ATHENS motivations, extension reasons, a
  dispute of a transcript, a double-degree study plan not yet approved).
- the uploaded files are deleted, except the legal records: the documents of a mobility
  whose recognition was validated or whose learning agreement was signed by all three, kept
  until ``RETENTION_RECORDS_YEARS`` after the mobility's end (``apply-retention``).
- the e-mails written to the person leave the outbox: to them alone, deleted; to several
  people, the person's addresses (today's and those their account was written to) are taken
  out of the recipients.

Refused while the person has a mobility in progress, an open application, or a seat offered
and not yet answered. Idempotent:
erasing an erased person changes nothing and writes no event.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, ProtectedError, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from abroad.core.audit import record, redact_names
from abroad.core.models import OutboxMessage, OutboxRecipient
from abroad.core.permissions import require_actor
from abroad.mobility.enums import LearningAgreementState, MobilityState
from abroad.mobility.models import Document, ExtensionRequest, LearningAgreement, Mobility
from abroad.networks.enums import AllocationState, PlanState
from abroad.networks.enums import ApplicationState as AthensApplicationState
from abroad.networks.models import AthensAllocation, AthensApplication, DoubleDegreePlan
from abroad.people.models import User
from abroad.privacy.collect import collect, written_to
from abroad.recognition.enums import TranscriptState
from abroad.recognition.models import Transcript
from abroad.selection.enums import ApplicationState, AssignmentState
from abroad.selection.models import Application, Assignment

ERASED_PREFIX = "erased-"
# A disputed transcript must say why (a database constraint): its reason becomes this.
ERASED_TEXT = "[erased]"


class PrivacyError(Exception):
    """An erasure that may not happen now; the message says why."""


@dataclass(frozen=True)
class ErasureReport:
    person: User
    changed: bool
    texts: int = 0
    files_deleted: int = 0
    files_kept: int = 0


def erased_username(person: User) -> str:
    return f"{ERASED_PREFIX}{person.pk}"


def is_erased(person: User) -> bool:
    return person.username == erased_username(person) and not person.is_active


def legal_mobilities() -> QuerySet[Mobility]:
    """Mobilities whose documents are legal records: the recognition was validated, or a
    learning agreement was signed by all three."""
    return Mobility.objects.filter(
        Exists(Transcript.objects.filter(mobility=OuterRef("pk"), state=TranscriptState.VALIDATED))
        | Exists(
            LearningAgreement.objects.filter(
                mobility=OuterRef("pk"), state=LearningAgreementState.SIGNED
            )
        )
    )


def refusal(person: User, now: dt.datetime | None = None) -> str:
    """Why ``person`` may not be erased now ("" if they may)."""
    now = now or timezone.now()
    if Mobility.objects.filter(student=person, state__in=MobilityState.active_states()).exists():
        return _("This person has a mobility in progress: close or withdraw it first.")
    if Application.objects.filter(
        student=person, state__in=ApplicationState.open_states(), call__closes_at__gt=now
    ).exists():
        return _("This person has an open application to a call: wait for the call to close.")
    if AthensApplication.objects.filter(
        student=person,
        state__in=[AthensApplicationState.DRAFT, AthensApplicationState.SUBMITTED],
        session__applications_close_at__gt=now,
    ).exists():
        return _("This person has an open ATHENS application: wait for the session to close.")
    if (
        Assignment.objects.filter(
            application__student=person,
            state=AssignmentState.OFFERED,
            round__acceptance_deadline__gt=now,
        ).exists()
        or AthensAllocation.objects.filter(
            application__student=person,
            state=AllocationState.OFFERED,
            application__session__acceptance_deadline__gt=now,
        ).exists()
    ):
        return _("This person has been offered a seat and may still accept it.")
    return ""


def delete_documents(documents: QuerySet[Document]) -> int:
    """Delete the documents' files (once the transaction commits) and their rows; a row that
    another record still points to (a learning agreement's host copy, an extension's form)
    stays, with no file. Returns how many files were deleted."""
    deleted = 0
    for document in documents.order_by("pk"):
        name, storage = document.file.name, document.file.storage
        if not name:
            continue
        try:
            with transaction.atomic():
                document.delete()
        except ProtectedError:
            Document.objects.filter(pk=document.pk).update(file="")
        transaction.on_commit(lambda name=name, storage=storage: storage.delete(name))  # type: ignore[misc]
        deleted += 1
    return deleted


def _blank_texts(person: User) -> int:
    count = (
        AthensApplication.objects.filter(student=person)
        .exclude(motivation="")
        .update(motivation="")
    )
    count += (
        ExtensionRequest.objects.filter(mobility__student=person)
        .exclude(reason="")
        .update(reason="")
    )
    count += (
        Transcript.objects.filter(mobility__student=person)
        .exclude(dispute_reason__in=("", ERASED_TEXT))
        .exclude(state=TranscriptState.DISPUTED)
        .update(dispute_reason="")
    )
    count += (
        Transcript.objects.filter(mobility__student=person, state=TranscriptState.DISPUTED)
        .exclude(dispute_reason=ERASED_TEXT)
        .update(dispute_reason=ERASED_TEXT)
    )
    count += (
        DoubleDegreePlan.objects.filter(mobility__student=person)
        .exclude(state=PlanState.APPROVED)
        .exclude(study_plan="")
        .update(study_plan="")
    )
    return count


def _erase_messages(person: User) -> int:
    """The e-mails written to the person leave the outbox (:func:`written_to`: to their
    account, whatever address they had then, or to their address): a message to them alone
    is deleted; from one to several people, their addresses are taken out of the recipients
    and the others' record stays. Returns how many messages changed."""
    theirs = {person.email.strip().lower()} - {""}
    theirs |= {
        address.strip().lower()
        for address in OutboxRecipient.objects.filter(user=person).values_list("address", flat=True)
    }
    alone: list[int] = []
    messages = written_to(person)
    for message in messages:
        others = [to for to in message.recipients if str(to).strip().lower() not in theirs]
        if not others:
            alone.append(message.pk)
            continue
        message.recipients = others
        message.save(update_fields=["recipients", "updated_at"])
    OutboxRecipient.objects.filter(user=person).delete()
    OutboxMessage.objects.filter(pk__in=alone).delete()
    return len(messages)


def _redact_audit_names(person: User) -> int:
    """The audit log keeps what happened; the names beside it go: events by the person show
    the pseudonym, events about the person's rows no longer show their names."""
    holding = collect(person, limit=sys.maxsize)
    objects = [(User._meta.label_lower, str(person.pk))] + [
        (row._meta.label_lower, str(row.pk)) for row in holding.instances()
    ]
    return redact_names(actor_id=person.pk, pseudonym=person.username, objects=objects)


def erase_person(
    *, actor: User | None, person: User, now: dt.datetime | None = None
) -> ErasureReport:
    """Pseudonymise ``person`` (see the module's docstring). The office
    (``privacy.erase_person``), or the system (``apply-retention``)."""
    require_actor(actor, "privacy.erase_person", person)
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=person.pk)
        reason = refusal(person, now)
        if reason:
            raise PrivacyError(reason)
        texts = _blank_texts(person)
        messages = _erase_messages(person)
        documents = Document.objects.filter(mobility__student=person).exclude(file="")
        kept = documents.filter(mobility__in=legal_mobilities()).count()
        files = delete_documents(documents.exclude(mobility__in=legal_mobilities()))
        identity_changed = not is_erased(person) or person.has_usable_password()
        if identity_changed:
            person.username = erased_username(person)
            person.first_name = ""
            person.last_name = ""
            person.email = ""
            person.student_number = ""
            person.last_login = None
            person.is_active = False
            person.is_staff = False
            person.is_superuser = False
            person.set_unusable_password()
            person.save()
            person.groups.clear()
            person.user_permissions.clear()
        redacted = _redact_audit_names(person)
        changed = identity_changed or bool(texts) or bool(files) or bool(redacted) or bool(messages)
        if changed:
            record(
                actor=actor,
                action="privacy.erased",
                obj=person,
                texts=texts,
                files_deleted=files,
                files_kept=kept,
                events_redacted=redacted,
                emails_erased=messages,
            )
    return ErasureReport(
        person=person, changed=changed, texts=texts, files_deleted=files, files_kept=kept
    )
