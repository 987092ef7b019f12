"""The standard grading scales (scales.STANDARD_SCALES), so that a new installation has them;
services.ensure_standard_scales() adds any that are missing later."""

from django.db import migrations

# key (= code), name, country: as scales.py names them when this migration was written.
SCALES = [
    ("it", "Italy 0-30", "IT"),
    ("fr", "France 0-20", "FR"),
    ("de", "Germany 1.0-5.0", "DE"),
    ("es", "Spain 0-10", "ES"),
    ("nl", "Netherlands 1-10", "NL"),
    ("uk", "UK percentage (undergraduate)", "GB"),
    ("uk-pg", "UK percentage (postgraduate)", "GB"),
    ("us", "US letters", "US"),
    ("ects", "ECTS", ""),
    ("at", "Austria 1-5", "AT"),
]


def create(apps, schema_editor):
    GradingScale = apps.get_model("recognition", "GradingScale")
    for key, name, country in SCALES:
        if not GradingScale.objects.filter(standard=key).exists():
            GradingScale.objects.get_or_create(
                code=key, defaults={"name": name, "country": country, "standard": key}
            )


class Migration(migrations.Migration):
    dependencies = [("recognition", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
