"""The retention rules of the settings, applied by ``python -m abroad apply-retention``.

- ``RETENTION_REPLACED_DOCUMENTS_MONTHS``: a document replaced by a newer one is deleted
  this many months after it was replaced.
- ``RETENTION_RECORDS_YEARS``: the documents of a mobility (the legal records included) are
  deleted this many years after the mobility's end.
- ``RETENTION_INACTIVE_YEARS``: a student with no activity (log-in, application, mobility)
  for this many years is pseudonymised (:func:`abroad.privacy.erasure.erase_person`).

A rule set to 0 is off. Every deletion and every erasure writes an audit event; a dry run
reports the same and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from abroad.core.audit import record
from abroad.core.permissions import require_actor
from abroad.mobility.enums import MobilityState
from abroad.mobility.models import Document, Mobility
from abroad.networks.models import AthensApplication
from abroad.people.enums import Role
from abroad.people.models import User
from abroad.privacy.erasure import (
    ERASED_PREFIX,
    PrivacyError,
    delete_documents,
    erase_person,
    refusal,
)
from abroad.selection.models import Application


@dataclass
class RetentionReport:
    dry_run: bool
    replaced_documents: list[Document] = field(default_factory=list)
    record_documents: list[Document] = field(default_factory=list)
    erased: list[User] = field(default_factory=list)
    refused: list[tuple[User, str]] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        verb = "would" if self.dry_run else "did"
        lines = [
            f"{verb} delete document {document.pk} ({document.kind}) of mobility "
            f"{document.mobility_id}: replaced on {document.replaced_at:%Y-%m-%d}"
            for document in self.replaced_documents
            if document.replaced_at is not None
        ]
        lines += [
            f"{verb} delete document {document.pk} ({document.kind}) of mobility "
            f"{document.mobility_id}: its retention period ended"
            for document in self.record_documents
        ]
        lines += [f"{verb} pseudonymise user {person.pk}: inactive" for person in self.erased]
        lines += [f"skipped user {person.pk}: {reason}" for person, reason in self.refused]
        return lines


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day ``months`` months earlier (the month's last day if it is shorter)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = moment.day
    while True:
        try:
            return moment.replace(year=year, month=month + 1, day=day)
        except ValueError:
            day -= 1


def replaced_documents(now: dt.datetime) -> QuerySet[Document]:
    months = settings.RETENTION_REPLACED_DOCUMENTS_MONTHS
    if months <= 0:
        return Document.objects.none()
    return Document.objects.filter(
        replaced_at__lt=months_before(now, months), replaced_at__isnull=False
    ).exclude(file="")


def expired_mobilities(now: dt.datetime) -> QuerySet[Mobility]:
    years = settings.RETENTION_RECORDS_YEARS
    if years <= 0:
        return Mobility.objects.none()
    cutoff = months_before(now, 12 * years).date()
    return Mobility.objects.exclude(state__in=MobilityState.active_states()).filter(
        Q(actual_end__lt=cutoff) | Q(actual_end__isnull=True, planned_end__lt=cutoff)
    )


def record_documents(now: dt.datetime) -> QuerySet[Document]:
    return Document.objects.filter(mobility__in=expired_mobilities(now)).exclude(file="")


def inactive_students(now: dt.datetime) -> QuerySet[User]:
    """Students not yet erased with nothing since the cut-off: no log-in, no account
    creation, no application changed, no mobility ending or in progress."""
    years = settings.RETENTION_INACTIVE_YEARS
    if years <= 0:
        return User.objects.none()
    cutoff = months_before(now, 12 * years)
    recent_mobility = Mobility.objects.filter(student=OuterRef("pk")).filter(
        Q(state__in=MobilityState.active_states())
        | Q(actual_end__gte=cutoff.date())
        | Q(actual_end__isnull=True, planned_end__gte=cutoff.date())
        | Q(actual_end__isnull=True, planned_end__isnull=True)
    )
    return (
        User.objects.filter(role=Role.STUDENT, date_joined__lt=cutoff)
        .exclude(username__startswith=ERASED_PREFIX, is_active=False)
        .exclude(last_login__gte=cutoff)
        .exclude(Exists(recent_mobility))
        .exclude(Exists(Application.objects.filter(student=OuterRef("pk"), updated_at__gte=cutoff)))
        .exclude(
            Exists(AthensApplication.objects.filter(student=OuterRef("pk"), updated_at__gte=cutoff))
        )
        .order_by("pk")
    )


def _delete(documents: list[Document], *, actor: User | None, rule: str) -> None:
    for document in documents:
        record(
            actor=actor,
            action="privacy.document_deleted",
            obj=document,
            rule=rule,
            mobility=document.mobility_id,
            kind=document.kind,
        )
    delete_documents(Document.objects.filter(pk__in=[document.pk for document in documents]))


def apply_retention(
    *, actor: User | None = None, dry_run: bool = False, now: dt.datetime | None = None
) -> RetentionReport:
    """Apply the retention rules (see the module's docstring); ``dry_run`` only reports.
    The system (``actor`` None) or an administrator (``privacy.apply_retention``)."""
    require_actor(actor, "privacy.apply_retention")
    now = now or timezone.now()
    report = RetentionReport(dry_run=dry_run)
    with transaction.atomic():
        report.replaced_documents = list(replaced_documents(now).order_by("pk"))
        replaced = {document.pk for document in report.replaced_documents}
        report.record_documents = [
            document
            for document in record_documents(now).order_by("pk")
            if document.pk not in replaced
        ]
        if not dry_run:
            _delete(report.replaced_documents, actor=actor, rule="replaced")
            _delete(report.record_documents, actor=actor, rule="records")
    for person in inactive_students(now):
        if dry_run:
            reason = refusal(person, now)
            if reason:
                report.refused.append((person, reason))
            else:
                report.erased.append(person)
            continue
        try:
            erase_person(actor=actor, person=person, now=now)
        except PrivacyError as error:
            report.refused.append((person, str(error)))
        else:
            report.erased.append(person)
    return report
