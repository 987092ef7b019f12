"""Everything abroad holds about a person, found generically from the schema.

The walk starts from the user and follows every reverse relation to the user model whose
``on_delete`` is CASCADE or PROTECT: those rows *belong* to the person (a career, certificates,
passed courses, applications, mobilities, ATHENS applications, a promoter's record...). From
those rows it follows, wave after wave, every reverse CASCADE or PROTECT relation again: the
rows that belong to them (preferences, assignments, documents, learning agreements and their
components, extensions, transcripts with their entries and lines...).

Relations that are SET_NULL or DO_NOTHING are *not* followed: they record somebody acting on
a row (``uploaded_by``, ``decided_by``, ``validated_by``), and following them from an office
user or a promoter would export other students' records. Many-to-many links are exported as
part of the row that declares them (the serializer lists the linked ids).

Then the audit events whose actor is the person or whose object is one of the rows found, and
the e-mails the outbox holds that were written to the person: to their account (a former
address of theirs too) or to their address today (only their subject, when and their state: a
message to several people names the others among its recipients).

The walk runs one query per relation and wave (not per row), and stops at
``settings.PRIVACY_EXPORT_MAX_ROWS`` rows: the result says it was truncated.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from abroad.core.models import AuditEvent, Job, OutboxMessage, OutboxRecipient
from abroad.people.models import User

# Relations that mean "belongs to": the others (SET_NULL, DO_NOTHING, SET_DEFAULT) only say
# who did something to a row.
OWNING = (models.CASCADE, models.PROTECT)
# Chunks of primary keys in one IN (...): well under any database's parameter limit.
CHUNK = 500


def _owning(relation: models.ForeignObjectRel) -> bool:
    return (
        not relation.many_to_many
        and relation.on_delete in OWNING
        and relation.related_model is not AuditEvent
        # the e-mails come as the messages themselves (_collect_messages)
        and relation.related_model is not OutboxRecipient
        # a job holds the office's work (an import's file, an export of other people's
        # records), not data about the person who asked; it is deleted within days
        and relation.related_model is not Job
    )


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


@dataclass
class Holding:
    """The rows about one person, grouped by model (in the order they were found)."""

    person: User
    rows: dict[type[models.Model], dict[Any, models.Model]] = field(default_factory=dict)
    events: list[AuditEvent] = field(default_factory=list)
    messages: list[OutboxMessage] = field(default_factory=list)
    truncated: bool = False
    limit: int = 0

    @property
    def count(self) -> int:
        return (
            1
            + sum(len(rows) for rows in self.rows.values())
            + len(self.events)
            + len(self.messages)
        )

    def instances(self) -> Iterator[models.Model]:
        for rows in self.rows.values():
            yield from rows.values()

    def of(self, model: type[models.Model]) -> list[models.Model]:
        return list(self.rows.get(model, {}).values())

    def _room(self) -> int:
        return self.limit - self.count

    def _add(self, model: type[models.Model], found: list[models.Model]) -> list[Any]:
        """Add the rows not seen yet (within the cap); return their keys."""
        seen = self.rows.setdefault(model, {})
        new = [row for row in found if row.pk not in seen]
        room = self._room()
        if len(new) > room:
            new = new[: max(room, 0)]
            self.truncated = True
        for row in new:
            seen[row.pk] = row
        return [row.pk for row in new]


def collect(person: User, *, limit: int | None = None) -> Holding:
    """Every row abroad holds about ``person`` (see the module's docstring)."""
    holding = Holding(person=person, limit=limit or settings.PRIVACY_EXPORT_MAX_ROWS)
    frontier: list[tuple[type[models.Model], list[Any]]] = [(User, [person.pk])]
    while frontier and not holding.truncated:
        next_frontier: list[tuple[type[models.Model], list[Any]]] = []
        for model, pks in frontier:
            for relation in model._meta.related_objects:
                if not _owning(relation):
                    continue
                child = relation.related_model
                assert isinstance(child, type)
                name = relation.field.name
                for chunk in _chunks(pks):
                    found = list(child._default_manager.filter(**{f"{name}__in": chunk}))
                    new = holding._add(child, found)
                    if new:
                        next_frontier.append((child, new))
                    if holding.truncated:
                        break
                if holding.truncated:
                    break
            if holding.truncated:
                break
        frontier = next_frontier
    holding.rows = {model: rows for model, rows in holding.rows.items() if rows}
    _collect_events(holding)
    _collect_messages(holding)
    return holding


def written_to(person: User) -> list[OutboxMessage]:
    """The outbox's messages written to ``person``, the newest first: those linked to their
    account (whatever address they had then: a former one too) and those with their address
    today among the recipients (whatever its case; a message to a plain address has no
    account). The database narrows by text, the exact address is compared here: a message to
    "anna.rossi@..." is not one to "anna@..."."""
    address = person.email.strip().lower()
    links = OutboxRecipient.objects.filter(user=person)
    linked_ids = set(links.values_list("message_id", flat=True))
    wanted = Q(pk__in=links.values("message_id"))
    if address:
        wanted |= Q(recipients__icontains=address)
    found = OutboxMessage.objects.filter(wanted).order_by("-created_at", "-id")
    return [
        message
        for message in found.iterator()
        if message.pk in linked_ids
        or (address and address in {str(to).strip().lower() for to in message.recipients})
    ]


def _collect_messages(holding: Holding) -> None:
    """The e-mails written to the person, within the cap."""
    if holding.truncated:
        return
    messages = written_to(holding.person)
    room = holding._room()
    if len(messages) > room:
        holding.truncated = True
        messages = messages[: max(room, 0)]
    holding.messages = messages


def _collect_events(holding: Holding) -> None:
    """The audit events by the person or about the person and the rows found."""
    person = holding.person
    found: dict[int, AuditEvent] = {}
    queries = [
        Q(actor_id=person.pk) | Q(object_type=User._meta.label_lower, object_id=str(person.pk))
    ]
    for model, rows in holding.rows.items():
        keys = [str(pk) for pk in rows]
        for chunk in _chunks(keys):
            queries.append(Q(object_type=model._meta.label_lower, object_id__in=chunk))
    for query in queries:
        room = holding._room() - len(found)
        if room <= 0:
            holding.truncated = True
            break
        events = list(AuditEvent.objects.filter(query).order_by("created_at", "id")[: room + 1])
        if len(events) > room:
            holding.truncated = True
            events = events[:room]
        for event in events:
            found.setdefault(event.pk, event)
    holding.events = sorted(found.values(), key=lambda event: (event.created_at, event.pk))
