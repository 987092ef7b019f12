"""The node's RSA key pairs: one to sign our requests (client), one to sign our responses
(server). Each private key is a PEM file named in the settings (``ABROAD_EWP_CLIENT_KEY``,
``ABROAD_EWP_SERVER_KEY``), never in the database; ``python -m abroad ewp keys`` writes them.

Rotation: ``ewp keys --next`` writes the next pair beside the current one (``*.next.pem``);
the manifest publishes both, and once the registry's catalogue carries the new keys,
``ewp keys --promote`` makes them current (the old files are kept as ``*.old.pem`` and no
longer published)."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

BITS = 2048  # the registry refuses shorter keys
ROLES = ("client", "server")


class KeyFileError(Exception):
    """A key file that is missing or unreadable; the message says which."""


@dataclass(frozen=True)
class KeyPair:
    private: rsa.RSAPrivateKey

    @property
    def public_der(self) -> bytes:
        """The binary public key (X.509 SubjectPublicKeyInfo, DER), as the registry has it."""
        return self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def key_id(self) -> str:
        """The lower-case hex SHA-256 of the binary public key: the ``keyId`` we sign with."""
        return fingerprint(self.public_der)

    @property
    def public_base64(self) -> str:
        return base64.b64encode(self.public_der).decode("ascii")


def fingerprint(public_der: bytes) -> str:
    return hashlib.sha256(public_der).hexdigest()


def path(role: str) -> Path:
    """The file of the current private key of ``role`` (client or server)."""
    name = settings.EWP_CLIENT_KEY if role == "client" else settings.EWP_SERVER_KEY
    return Path(name)


def next_path(role: str) -> Path:
    current = path(role)
    return current.with_name(f"{current.stem}.next{current.suffix}")


def old_path(role: str) -> Path:
    current = path(role)
    return current.with_name(f"{current.stem}.old{current.suffix}")


def generate() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=BITS)


def write(target: Path, key: rsa.RSAPrivateKey, *, force: bool = False) -> None:
    """Write ``key`` as an unencrypted PKCS#8 PEM readable by its owner only; an existing
    file is kept unless ``force``."""
    if target.exists() and not force:
        raise FileExistsError(str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    temporary = target.with_name(target.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    temporary.replace(target)


@cache
def _load(file: Path, mtime: float) -> KeyPair:
    key = serialization.load_pem_private_key(file.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyFileError(f"{file} does not hold an RSA private key")
    return KeyPair(key)


def load(file: Path) -> KeyPair:
    try:
        return _load(file, file.stat().st_mtime)
    except FileNotFoundError:
        raise KeyFileError(
            f"The EWP key file {file} does not exist: run 'python -m abroad ewp keys'."
        ) from None
    except ValueError as error:
        raise KeyFileError(f"The EWP key file {file} cannot be read: {error}") from None


def current(role: str) -> KeyPair:
    return load(path(role))


def published(role: str) -> list[KeyPair]:
    """The keys of ``role`` the manifest publishes: the current one, and the next one while a
    rotation is under way."""
    keys = [current(role)]
    if next_path(role).exists():
        keys.append(load(next_path(role)))
    return keys


def promote(role: str) -> None:
    """Make the next key of ``role`` the current one; the current one becomes the old one."""
    upcoming = next_path(role)
    if not upcoming.exists():
        raise KeyFileError(f"There is no next key {upcoming}: run 'ewp keys --next' first.")
    present = path(role)
    if present.exists():
        present.replace(old_path(role))
    upcoming.replace(present)
