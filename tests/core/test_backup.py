"""python -m abroad backup / restore (issue 13, item 12): a round trip brings back the
database and the uploaded files exactly, on SQLite and on PostgreSQL; a file that cannot be
restored here changes nothing."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from abroad.catalogue.models import Institution
from abroad.core.models import AuditEvent
from tests.factories import InstitutionFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media(tmp_path: Path, settings: Any) -> Path:
    root = tmp_path / "media"
    (root / "documents/7").mkdir(parents=True)
    (root / "documents/7/acceptance.pdf").write_bytes(b"%PDF-1.7 the acceptance letter")
    settings.MEDIA_ROOT = str(root)
    return root


def _names() -> list[str]:
    return sorted(Institution.objects.values_list("name", flat=True))


def test_a_round_trip_brings_back_the_database_and_the_files(tmp_path: Path, media: Path) -> None:
    InstitutionFactory.create(name="TU Delft")
    InstitutionFactory.create(name="KTH")
    target = tmp_path / "backup.tar"
    out = io.StringIO()
    call_command("backup", str(target), stdout=out)
    assert f"the {connection.vendor} database and 1 uploaded files" in out.getvalue()
    with tarfile.open(target) as archive:
        manifest = json.loads(archive.extractfile("manifest.json").read())  # type: ignore[union-attr]
        assert manifest["vendor"] == connection.vendor
        assert "0003_audit_actor_kept" in manifest["migrations"]["core"]
        assert "media/documents/7/acceptance.pdf" in archive.getnames()

    # after the backup: a row deleted, another added, the file lost
    Institution.objects.filter(name="KTH").delete()
    InstitutionFactory.create(name="Aalto")
    (media / "documents/7/acceptance.pdf").unlink()

    call_command("restore", str(target), "--noinput", stdout=io.StringIO())
    assert _names() == ["KTH", "TU Delft"]
    assert (media / "documents/7/acceptance.pdf").read_bytes() == b"%PDF-1.7 the acceptance letter"
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "installation.restored" in actions  # written into the restored database
    assert "installation.backed_up" not in actions  # written after the copy was taken


def test_a_backup_never_overwrites_a_file(tmp_path: Path, media: Path) -> None:
    target = tmp_path / "backup.tar"
    target.write_bytes(b"precious")
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", str(target))
    assert target.read_bytes() == b"precious"


def _archive(path: Path, manifest: dict[str, object], members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as archive:
        for name, data in {"manifest.json": json.dumps(manifest).encode(), **members}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize(
    ("manifest", "members", "message"),
    [
        ({"format": 9}, {}, "not an abroad backup"),
        ({"format": 1, "vendor": "oracle"}, {}, "taken from oracle"),
        (
            {"format": 1, "vendor": None, "migrations": {"core": ["0999_from_the_future"]}},
            {},
            "newer version of abroad",
        ),
        ({"format": 1, "vendor": None, "migrations": {}}, {}, "holds no database"),
        (
            {"format": 1, "vendor": None, "migrations": {}},
            {"DATABASE": b"x", "media/../../etc/passwd": b"x"},
            "outside the media folder",
        ),
    ],
)
def test_a_file_that_cannot_be_restored_here_changes_nothing(
    tmp_path: Path,
    media: Path,
    manifest: dict[str, object],
    members: dict[str, bytes],
    message: str,
) -> None:
    InstitutionFactory.create(name="TU Delft")
    manifest = {**manifest, "vendor": manifest.get("vendor") or connection.vendor}
    database = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}[connection.vendor]
    members = {(database if name == "DATABASE" else name): data for name, data in members.items()}
    bad = _archive(tmp_path / "bad.tar", manifest, members)
    with pytest.raises(CommandError, match=message):
        call_command("restore", str(bad), "--noinput")
    assert _names() == ["TU Delft"]
    assert not (tmp_path / "etc").exists()


def test_something_that_is_not_a_backup_is_refused(tmp_path: Path, media: Path) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"\x00" * 10 + b"not a tar file")
    with pytest.raises(CommandError, match=r"cannot be read|not an abroad backup"):
        call_command("restore", str(junk), "--noinput")
