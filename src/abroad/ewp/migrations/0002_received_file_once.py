"""Each received file kept once: a ReceivedFile row holds its text, and every Inbound read
from it points at it (with its position in the file), instead of a copy of the whole file per
agreement or transcript. Existing rows move without loss: rows holding the same text share
one ReceivedFile; going back copies the text into each row again."""

import hashlib

import django.db.models.deletion
from django.db import migrations, models


def to_files(apps, schema_editor):
    Inbound = apps.get_model("ewp", "Inbound")
    ReceivedFile = apps.get_model("ewp", "ReceivedFile")
    kept: dict[str, int] = {}
    rows = Inbound.objects.order_by("pk").values_list("pk", "xml")
    for pk, text in rows.iterator(chunk_size=50):
        encoded = text.encode("utf-8")
        digest = hashlib.sha256(encoded).hexdigest()
        if digest not in kept:
            kept[digest] = ReceivedFile.objects.get_or_create(
                sha256=digest, defaults={"text": text, "size": len(encoded)}
            )[0].pk
        Inbound.objects.filter(pk=pk).update(source_id=kept[digest])


def to_copies(apps, schema_editor):
    Inbound = apps.get_model("ewp", "Inbound")
    ReceivedFile = apps.get_model("ewp", "ReceivedFile")
    for kept in ReceivedFile.objects.order_by("pk").iterator(chunk_size=10):
        Inbound.objects.filter(source_id=kept.pk).update(xml=kept.text)


class Migration(migrations.Migration):

    dependencies = [
        ("ewp", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReceivedFile",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sha256", models.CharField(editable=False, max_length=64, unique=True, verbose_name="SHA-256")),
                ("text", models.TextField(verbose_name="document")),
                ("size", models.PositiveIntegerField(verbose_name="size (bytes)")),
            ],
            options={
                "verbose_name": "received EWP file",
                "verbose_name_plural": "received EWP files",
            },
        ),
        migrations.AddField(
            model_name="inbound",
            name="source",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="documents",
                to="ewp.receivedfile",
                verbose_name="file",
            ),
        ),
        migrations.AlterField(
            model_name="inbound",
            name="xml",
            field=models.TextField(default="", verbose_name="document"),
        ),
        migrations.RunPython(to_files, to_copies),
        migrations.RemoveField(model_name="inbound", name="xml"),
        migrations.AlterField(
            model_name="inbound",
            name="source",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="documents",
                to="ewp.receivedfile",
                verbose_name="file",
            ),
        ),
        migrations.AlterField(
            model_name="inbound",
            name="position",
            field=models.PositiveIntegerField(
                default=0, help_text="Which IIA of the document.", verbose_name="position in the document"
            ),
        ),
    ]
