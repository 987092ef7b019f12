"""Explanations stored as data only: the English words stored with them (the line's
``explanation_text`` and each source's ``text``) go, the words being rendered when read in the
reader's language (conversion/wording.py). The structure is brought up to date on the way:

* each conversion's ``method`` takes the one spelling of ``Method`` ("fixed table" ->
  "fixed_table", ...);
* ``honours`` keeps the honours grade instead of an English sentence;
* the ECTS fallback without a home table no longer stores "every passing grade taken as equally
  frequent" as its table;
* a grading table's reference group ("Politecnico di Milano, ISCED-F 0715, second cycle,
  2022/2023, 2023/2024") becomes ``host_group``/``home_group`` data (institution, ISCED-F code,
  cycle, years), read back from the stored text (a text that does not read is kept);
* the line's ``scope`` becomes [kind, name] pairs, rebuilt from its conversion rule (a line whose
  rule is gone keeps the text it has).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.db import migrations, models

METHODS = {
    "fixed table": "fixed_table",
    "grading tables": "grading_tables",
    "two-step table": "two_step",
    "linear formula": "linear",
    "ECTS fallback": "ects_fallback",
}
EQUALLY_FREQUENT = "every passing grade taken as equally frequent"
HONOURS = re.compile(r"gives (?P<grade>\S+) \(lode at best\)")
GROUP = re.compile(
    r"^(?:(?P<institution>.+), )?ISCED-F (?P<isced>\d{2,4}), "
    r"(?P<cycle>first|second|third|long single) cycle, (?P<years>.+)$"
)


def convert_group(text: str) -> dict[str, Any] | None:
    """A reference group's stored words as data, or None when they do not read."""
    found = GROUP.match(text)
    if found is None:
        return None
    years = found["years"]
    return {
        "institution": found["institution"] or "",
        "isced": found["isced"],
        "cycle": found["cycle"],
        "years": [] if years == "no years" else years.split(", "),
    }


def convert_conversion(data: dict[str, Any]) -> dict[str, Any]:
    """One stored conversion explanation, as data only."""
    data = dict(data)
    method = data.get("method")
    if method in METHODS:
        data["method"] = METHODS[method]
    honours = data.get("honours")
    if honours:
        found = HONOURS.search(honours)
        if found:
            data["honours"] = found["grade"]
    if data.get("home_table") == EQUALLY_FREQUENT:
        del data["home_table"]
    for side in ("host", "home"):
        text = data.get(f"{side}_table")
        group = convert_group(text) if isinstance(text, str) else None
        if group is not None:
            data[f"{side}_group"] = group
            del data[f"{side}_table"]
    return data


def convert_explanation(
    data: Any, scope_of: Callable[[Any], list[list[str]] | None] = lambda rule_id: None
) -> dict[str, Any]:
    """One recognition line's stored explanation, as data only; ``scope_of(rule_id)`` gives the
    rule's scope pairs, or None when the rule is gone."""
    if not isinstance(data, dict):
        return {}
    data = dict(data)
    sources = []
    for source in data.get("sources", []):
        source = {key: value for key, value in source.items() if key != "text"}
        if isinstance(source.get("explanation"), dict):
            source["explanation"] = convert_conversion(source["explanation"])
        sources.append(source)
    if "sources" in data:
        data["sources"] = sources
    if isinstance(data.get("scope"), str):
        parts = scope_of(data.get("rule_id"))
        if parts is not None:
            data["scope"] = parts
    return data


def _scope_of(apps: Any) -> Callable[[Any], list[list[str]] | None]:
    ConversionRule = apps.get_model("recognition", "ConversionRule")

    def scope_of(rule_id: Any) -> list[list[str]] | None:
        rule = (
            ConversionRule.objects.filter(pk=rule_id)
            .select_related("partner", "course_of_study", "school")
            .first()
            if rule_id
            else None
        )
        if rule is None:
            return None
        parts = []
        if rule.partner is not None:
            parts.append(["partner", rule.partner.name_en or rule.partner.name])
        if rule.course_of_study is not None:
            course = rule.course_of_study
            parts.append(["course_of_study", f"{course.name} ({course.get_level_display()})"])
        if rule.school is not None:
            parts.append(["school", rule.school.code])
        return parts

    return scope_of


def forwards(apps: Any, schema_editor: Any) -> None:
    RecognitionLine = apps.get_model("recognition", "RecognitionLine")
    scope_of = _scope_of(apps)
    for line in RecognitionLine.objects.all().iterator():
        converted = convert_explanation(line.explanation, scope_of)
        if converted != line.explanation:
            line.explanation = converted
            line.save(update_fields=["explanation"])


class Migration(migrations.Migration):
    dependencies = [
        ("recognition", "0002_standard_scales"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(
            model_name="recognitionline",
            name="explanation_text",
        ),
        migrations.AlterField(
            model_name="recognitionline",
            name="explanation",
            field=models.JSONField(
                default=dict,
                help_text=(
                    "Data only (rule, method, each conversion's inputs); shown in words when "
                    "read."
                ),
                verbose_name="explanation",
            ),
        ),
    ]
