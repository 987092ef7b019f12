"""Backups of a whole installation in one file, and their restore (``python -m abroad backup``,
``python -m abroad restore``).

A backup is a tar file holding ``manifest.json`` (format, database vendor, the migrations
applied, the number of media files), the database (SQLite: a copy made with SQLite's online
backup, consistent while the application runs; PostgreSQL: ``pg_dump -Fc``, one consistent
snapshot) and the uploaded files under ``media/``. The database is copied first and the files
second, so that every document row in the copy has its file (abroad never deletes an uploaded
file while it runs).

A restore checks the whole file first (manifest, vendor, migrations this code knows, member
names that stay inside the media folder) and changes nothing if anything is wrong. It then
replaces the database in one step (SQLite's backup into the live database; ``pg_restore
--clean --single-transaction``), puts the files back, and applies the migrations of a newer
code version.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _

from abroad.core import audit

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
MEDIA = "media"


class BackupError(Exception):
    """A backup or restore refused, with the reason to show."""


@dataclass(frozen=True)
class Summary:
    path: Path
    vendor: str
    media_files: int


def _vendor() -> str:
    vendor = connection.vendor
    if vendor not in DATABASE:
        raise BackupError(
            _("Backups support SQLite and PostgreSQL, not %(vendor)s.") % {"vendor": vendor}
        )
    return vendor


def _pg_environment() -> tuple[list[str], dict[str, str]]:
    """The connection arguments for pg_dump / pg_restore, and the password in the environment."""
    db = connection.settings_dict
    arguments = ["--dbname", str(db["NAME"])]
    if db.get("HOST"):
        arguments += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        arguments += ["--port", str(db["PORT"])]
    if db.get("USER"):
        arguments += ["--username", str(db["USER"])]
    environment = {**os.environ}
    if db.get("PASSWORD"):
        environment["PGPASSWORD"] = str(db["PASSWORD"])
    return arguments, environment


def _run(command: list[str], environment: dict[str, str]) -> None:
    try:
        result = subprocess.run(
            command, env=environment, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise BackupError(
            _("%(program)s is not installed (Debian: apt-get install postgresql-client).")
            % {"program": command[0]}
        ) from None
    if result.returncode != 0:
        raise BackupError(f"{command[0]}: {result.stderr.strip()}")


def _applied_migrations() -> dict[str, list[str]]:
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    applied: dict[str, list[str]] = {}
    for app, name in sorted(loader.applied_migrations):
        applied.setdefault(app, []).append(name)
    return applied


def _media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file())


def backup(target: Path, *, actor: Any = None) -> Summary:
    """Write the whole installation to ``target`` (a new tar file)."""
    vendor = _vendor()
    target = Path(target)
    if target.exists():
        raise BackupError(_("%(path)s exists already: choose a new file name.") % {"path": target})
    with tempfile.TemporaryDirectory() as work:
        dump = Path(work) / DATABASE[vendor]
        if vendor == "sqlite":
            connection.ensure_connection()
            destination = sqlite3.connect(dump)
            try:
                connection.connection.backup(destination)
            finally:
                destination.close()
        else:
            arguments, environment = _pg_environment()
            _run(["pg_dump", "--format=custom", "--file", str(dump), *arguments], environment)
        media = _media_files()
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "vendor": vendor,
            "migrations": _applied_migrations(),
            "media_files": len(media),
        }
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w") as archive:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
            archive.add(dump, arcname=DATABASE[vendor])
            root = Path(settings.MEDIA_ROOT)
            for path in media:
                archive.add(path, arcname=f"{MEDIA}/{path.relative_to(root).as_posix()}")
        partial.rename(target)
    audit.record(
        actor=actor, action="installation.backed_up", file=target.name, media_files=len(media)
    )
    return Summary(target, vendor, len(media))


def _check(archive: tarfile.TarFile, vendor: str) -> dict[str, Any]:
    """The manifest, once everything in the file is known to be restorable here."""
    try:
        member = archive.extractfile(MANIFEST)
        manifest = json.loads(member.read()) if member else None
    except (KeyError, ValueError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(
            _("This is not an abroad backup (no manifest of format %(format)s).")
            % {"format": FORMAT}
        )
    if manifest.get("vendor") != vendor:
        raise BackupError(
            _("This backup was taken from %(theirs)s; this installation runs on %(ours)s.")
            % {"theirs": manifest.get("vendor"), "ours": vendor}
        )
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    unknown = [
        f"{app}.{name}"
        for app, names in dict(manifest.get("migrations") or {}).items()
        for name in names
        if (app, name) not in known
    ]
    if unknown:
        raise BackupError(
            _(
                "This backup comes from a newer version of abroad (migrations %(names)s): "
                "upgrade first."
            )
            % {"names": ", ".join(unknown[:5])}
        )
    names = archive.getnames()
    if DATABASE[vendor] not in names:
        raise BackupError(_("The backup holds no database."))
    for name in names:
        path = PurePosixPath(name)
        if name in (MANIFEST, DATABASE[vendor]):
            continue
        if path.parts[:1] != (MEDIA,) or ".." in path.parts or path.is_absolute():
            raise BackupError(
                _("The backup holds a file outside the media folder: %(name)s.") % {"name": name}
            )
    return manifest


def restore(source: Path, *, actor: Any = None) -> Summary:
    """Replace the database and the uploaded files with those of the backup ``source``."""
    vendor = _vendor()
    try:
        archive = tarfile.open(source, "r")  # noqa: SIM115  (closed by the with below)
    except (OSError, tarfile.TarError) as error:
        raise BackupError(_("The backup cannot be read: %(error)s") % {"error": error}) from None
    with archive, tempfile.TemporaryDirectory() as work:
        manifest = _check(archive, vendor)
        archive.extract(DATABASE[vendor], work, filter="data")
        dump = Path(work) / DATABASE[vendor]
        if vendor == "sqlite":
            source_db = sqlite3.connect(dump)
            try:
                source_db.execute("PRAGMA integrity_check").fetchone()
                connection.ensure_connection()
                source_db.backup(connection.connection)
            except sqlite3.DatabaseError as error:
                raise BackupError(
                    _("The backup's database is damaged: %(error)s") % {"error": error}
                ) from None
            finally:
                source_db.close()
        else:
            arguments, environment = _pg_environment()
            connection.close()
            _run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    *arguments,
                    str(dump),
                ],
                environment,
            )
        media_root = Path(settings.MEDIA_ROOT)
        media_root.mkdir(parents=True, exist_ok=True)
        members = [m for m in archive.getmembers() if m.name.startswith(f"{MEDIA}/") and m.isfile()]
        for member in members:
            member.name = member.name[len(MEDIA) + 1 :]
            archive.extract(member, media_root, filter="data")
    call_command("migrate", verbosity=0)
    audit.record(
        actor=actor,
        action="installation.restored",
        file=Path(source).name,
        taken_at=manifest.get("created_at"),
        media_files=len(members),
    )
    return Summary(Path(source), vendor, len(members))
