"""``ewp keys``: the node's RSA keys, written into the files the settings name, never
replaced without --force, rotated with --next and --promote; the manifest publishes them."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from lxml import etree

from abroad.ewp.network import keys, manifest

pytestmark = pytest.mark.integration

MANIFEST_NS = "https://github.com/erasmus-without-paper/ewp-specs-api-discovery/tree/stable-v6"


@pytest.fixture
def key_settings(tmp_path: Path, settings: Any) -> Path:
    folder = tmp_path / "secrets"
    settings.EWP_CLIENT_KEY = str(folder / "client.pem")
    settings.EWP_SERVER_KEY = str(folder / "server.pem")
    settings.EWP_HEI_ID = "polimi.it"
    return folder


def published(role: str) -> list[str]:
    root = etree.fromstring(manifest.build())
    path = f"m:host/m:{role}-credentials-in-use/m:rsa-public-key"
    return ["".join((n.text or "").split()) for n in root.iterfind(path, {"m": MANIFEST_NS})]


@pytest.mark.django_db
def test_keys_are_written_to_the_files_set_and_never_replaced_without_force(
    key_settings: Path, capsys: Any
) -> None:
    call_command("ewp", "keys")
    client, server = keys.current("client"), keys.current("server")
    assert client.key_id != server.key_id
    for file in ("client.pem", "server.pem"):
        path = key_settings / file
        assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600  # the owner's only
    assert client.private.key_size >= 2048
    assert client.key_id in capsys.readouterr().out

    with pytest.raises(CommandError, match="exists"):
        call_command("ewp", "keys")
    assert keys.current("client").key_id == client.key_id  # kept

    call_command("ewp", "keys", "--force")
    assert keys.current("client").key_id != client.key_id
    assert published("client") == [keys.current("client").public_base64]
    assert published("server") == [keys.current("server").public_base64]


@pytest.mark.django_db
def test_rotation_publishes_the_next_key_before_it_is_used(key_settings: Path) -> None:
    call_command("ewp", "keys")
    old = keys.current("server")
    call_command("ewp", "keys", "--next")
    upcoming = keys.load(keys.next_path("server"))
    assert keys.current("server").key_id == old.key_id  # still signing with the old one
    assert published("server") == [old.public_base64, upcoming.public_base64]

    call_command("ewp", "keys", "--promote")
    assert keys.current("server").key_id == upcoming.key_id
    assert published("server") == [upcoming.public_base64]
    assert keys.old_path("server").exists()
    with pytest.raises(CommandError, match="no next key"):
        call_command("ewp", "keys", "--promote")


def test_a_missing_key_file_says_how_to_make_it(key_settings: Path) -> None:
    with pytest.raises(keys.KeyFileError, match="ewp keys"):
        keys.current("client")
