"""A small typed layer over environment variables (``ABROAD_*``).

Every setting can also be read from a file: ``ABROAD_SECRET_KEY_FILE=/run/secrets/key``
wins over ``ABROAD_SECRET_KEY``; that is how container secrets are usually mounted.
"""

from __future__ import annotations

import os
from pathlib import Path

PREFIX = "ABROAD_"


def env(name: str, default: str = "") -> str:
    """The value of ``ABROAD_<name>`` (or of the file named by ``ABROAD_<name>_FILE``)."""
    file_name = os.environ.get(f"{PREFIX}{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(f"{PREFIX}{name}", default)


def envbool(name: str, default: bool = False) -> bool:
    value = env(name, "")
    if value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{PREFIX}{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = env(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{PREFIX}{name} must be a whole number, not {value!r}") from None


def envlist(name: str, default: list[str]) -> list[str]:
    value = env(name, "")
    if value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]
