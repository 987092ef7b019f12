"""Explanations in the shape calls and ATHENS sessions share (abroad/matching/explanation.py):
a skipped choice names what it skipped "option" (was "course"), and no English "text" is stored
(pages render the explanation in the reader's language). Reversible: going back renames the
key and writes the English text again."""

from __future__ import annotations

from typing import Any

from django.db import migrations

OLD_KEY = "course"


def forward_data(data: dict[str, Any]) -> dict[str, Any]:
    """One stored explanation in the new shape (an empty or already new one as it is)."""
    new = {key: value for key, value in data.items() if key != "text"}
    if data.get("outcome"):
        new.setdefault("option", None)
    if "skipped" in data:
        new["skipped"] = [
            {("option" if key == OLD_KEY else key): value for key, value in item.items()}
            for item in data["skipped"]
        ]
    return new


def backward_data(data: dict[str, Any]) -> dict[str, Any]:
    """One stored explanation in the old shape, with its English text."""
    from django.utils import translation

    from abroad.matching.explanation import summary

    if not data.get("outcome"):
        return data
    with translation.override("en"):
        text = summary(data)
    old = {key: value for key, value in data.items() if key != "option"}
    old["text"] = text
    old["skipped"] = [
        {(OLD_KEY if key == "option" else key): value for key, value in item.items()}
        for item in data.get("skipped") or []
    ]
    return old


def _convert(apps: Any, convert: Any) -> None:
    model = apps.get_model("networks", "AthensAllocation")
    rows = []
    for row in model.objects.only("pk", "explanation").iterator():
        new = convert(row.explanation or {})
        if new != row.explanation:
            row.explanation = new
            rows.append(row)
    model.objects.bulk_update(rows, ["explanation"], batch_size=500)


def forward(apps: Any, schema_editor: Any) -> None:
    _convert(apps, forward_data)


def backward(apps: Any, schema_editor: Any) -> None:
    _convert(apps, backward_data)


class Migration(migrations.Migration):
    dependencies = [("networks", "0002_alter_athenssession_code")]

    operations = [migrations.RunPython(forward, backward)]
