"""The export of a person's data: a ZIP with ``data.json`` (every row, grouped by model, the
audit events and the e-mails written to the person), ``index.html`` (the same, readable,
self-contained) and the uploaded files (``documents/``).

:func:`export_person` is the service: it checks the actor, writes the archive and audits it.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from abroad.core.audit import record
from abroad.core.models import AuditEvent, OutboxMessage
from abroad.core.permissions import require_actor
from abroad.people.models import User
from abroad.privacy.collect import Holding, collect

# Never exported: a password hash is of no use to the person and a risk in a downloaded file.
NEVER = {("people.user", "password")}
EVENT_FIELDS = ("created_at", "actor_name", "action", "object_type", "object_id", "object_repr")
# Of an e-mail written to the person, what is theirs: never the recipients (a message to several
# people names the others), the context or the server's last error.
MESSAGE_FIELDS = ("created_at", "sent_at", "subject", "state")


@dataclass(frozen=True)
class ExportSummary:
    rows: int
    files: int
    missing_files: int
    truncated: bool


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    label = model._meta.label_lower
    return [
        field
        for field in [*model._meta.concrete_fields, *model._meta.many_to_many]
        if (label, field.name) not in NEVER
    ]


def _value(obj: models.Model, field: models.Field[Any, Any]) -> Any:
    if field.many_to_many:
        return sorted(related.pk for related in getattr(obj, field.name).all())
    value = field.value_from_object(obj)
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


def _labels(holding: Holding) -> dict[tuple[type[models.Model], Any], str]:
    """A readable label for every row a foreign key of the export points to: one query per
    model pointed to (``select_related`` so that their ``__str__`` needs no more)."""
    wanted: dict[type[models.Model], set[Any]] = {}
    groups: list[tuple[type[models.Model], list[models.Model]]] = [
        (User, [holding.person]),
        *((model, list(rows.values())) for model, rows in holding.rows.items()),
    ]
    for model, rows in groups:
        for field in model._meta.concrete_fields:
            if field.many_to_one or field.one_to_one:
                target = field.related_model
                assert isinstance(target, type)
                ids = {getattr(row, field.attname) for row in rows} - {None}
                wanted.setdefault(target, set()).update(ids)
    labels: dict[tuple[type[models.Model], Any], str] = {}
    for target, ids in wanted.items():
        if not ids:
            continue
        found = target._default_manager.select_related().in_bulk(list(ids))
        for pk, related in found.items():
            labels[(target, pk)] = str(related)
    return labels


def _display(
    obj: models.Model,
    field: models.Field[Any, Any],
    labels: dict[tuple[type[models.Model], Any], str],
) -> str:
    if field.many_to_many:
        return ", ".join(str(pk) for pk in _value(obj, field))
    if field.many_to_one or field.one_to_one:
        key = getattr(obj, field.attname)
        if key is None:
            return ""
        target = field.related_model
        return labels.get((target, key), str(key))  # type: ignore[arg-type]
    if field.choices:
        display = getattr(obj, f"get_{field.name}_display", None)
        if display is not None:
            return str(display())
    value = _value(obj, field)
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime):
        return date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return date_format(value, "DATE_FORMAT")
    if isinstance(value, dict | list):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    return str(value)


def _when(value: dt.datetime | None) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else ""


def _file_name(obj: models.Model, field: models.Field[Any, Any], name: str) -> str:
    return f"documents/{obj._meta.label_lower}/{obj.pk}-{field.name}-{PurePosixPath(name).name}"


def write_archive(holding: Holding, out: IO[bytes]) -> ExportSummary:
    """Write the ZIP of ``holding`` to ``out``."""
    person = holding.person
    for model, rows in holding.rows.items():
        names = [field.name for field in model._meta.many_to_many]
        if names:
            models.prefetch_related_objects(list(rows.values()), *names)
    labels = _labels(holding)
    groups: list[tuple[type[models.Model], list[models.Model]]] = [
        (User, [person]),
        *((model, list(rows.values())) for model, rows in holding.rows.items()),
    ]
    files: list[tuple[str, FieldFile]] = []
    event_labels = [
        str(getattr(AuditEvent._meta.get_field(name), "verbose_name", name))
        for name in EVENT_FIELDS
    ]
    records = []
    sections = []
    for model, group in groups:
        fields = _fields(model)
        records.append(
            {
                "model": model._meta.label_lower,
                "verbose_name": str(model._meta.verbose_name),
                "verbose_name_plural": str(model._meta.verbose_name_plural),
                "labels": {field.name: str(field.verbose_name) for field in fields},
                "rows": [
                    {"pk": row.pk, "fields": {field.name: _value(row, field) for field in fields}}
                    for row in group
                ],
            }
        )
        sections.append(
            {
                "title": str(model._meta.verbose_name_plural),
                "name": str(model._meta.verbose_name),
                "rows": [
                    {
                        "pk": row.pk,
                        "fields": [
                            (str(field.verbose_name), _display(row, field, labels))
                            for field in fields
                        ],
                    }
                    for row in group
                ],
            }
        )
        for row in group:
            for field in fields:
                if isinstance(field, models.FileField):
                    value = getattr(row, field.attname)
                    if value:
                        files.append((_file_name(row, field, value.name), value))
    events = [
        {name: getattr(event, name) for name in (*EVENT_FIELDS, "data")} for event in holding.events
    ]
    messages = [
        {name: getattr(message, name) for name in MESSAGE_FIELDS} for message in holding.messages
    ]
    message_labels = [
        str(getattr(OutboxMessage._meta.get_field(name), "verbose_name", name))
        for name in MESSAGE_FIELDS
    ]
    data = {
        "person": {"id": person.pk, "username": person.get_username()},
        "generated_at": timezone.now(),
        "truncated": holding.truncated,
        "max_rows": holding.limit,
        "records": records,
        "audit_events": events,
        "e_mails": messages,
        "files": [name for name, _file in files],
    }
    missing = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "data.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        )
        for name, value in files:
            try:
                with (
                    value.storage.open(str(value.name), "rb") as source,
                    archive.open(name, "w") as to,
                ):
                    shutil.copyfileobj(source, to)
            except FileNotFoundError:
                missing += 1
        archive.writestr(
            "index.html",
            render_to_string(
                "privacy/export_index.html",
                {
                    "person": person,
                    "generated_at": data["generated_at"],
                    "truncated": holding.truncated,
                    "limit": holding.limit,
                    "sections": sections,
                    "events": [
                        [getattr(event, name) for name in EVENT_FIELDS] for event in holding.events
                    ],
                    "event_labels": event_labels,
                    "messages": [
                        [
                            _when(message.created_at),
                            _when(message.sent_at),
                            message.subject,
                            message.get_state_display(),
                        ]
                        for message in holding.messages
                    ],
                    "message_labels": message_labels,
                    "files": [name for name, _file in files],
                },
            ),
        )
    return ExportSummary(
        rows=holding.count,
        files=len(files) - missing,
        missing_files=missing,
        truncated=holding.truncated,
    )


def export_person(*, actor: User | None, person: User, out: IO[bytes]) -> ExportSummary:
    """Write everything abroad holds about ``person`` to ``out`` (a ZIP), and audit it.

    The person themselves or the office (``privacy.export_person``)."""
    require_actor(actor, "privacy.export_person", person)
    with transaction.atomic():
        holding = collect(person)
        summary = write_archive(holding, out)
        record(
            actor=actor,
            action="privacy.exported",
            obj=person,
            rows=summary.rows,
            files=summary.files,
            missing_files=summary.missing_files,
            truncated=summary.truncated,
        )
    return summary
