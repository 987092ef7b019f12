"""Deployment hardening (issue 13, item 11): the production example passes Django's deploy
checks, the published development key is refused off this machine, passwords are long,
signed-in pages are never cached, request bodies are capped and idle sessions end."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from abroad.core.middleware import SEEN_KEY, TOUCH_EVERY
from abroad.people.models import User

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_EXAMPLE = ROOT / "docs/production.env"


def _production_environment() -> dict[str, str]:
    variables = {}
    for line in PRODUCTION_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            variables[name] = value
    return variables


def _django(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ABROAD_")}
    base.pop("DJANGO_SETTINGS_MODULE", None)
    base.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the test run's own switch
    return subprocess.run(
        [sys.executable, "-m", "abroad", *args],
        env={**base, **environment},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_the_production_example_passes_the_deploy_checks(tmp_path: Path) -> None:
    environment = _production_environment()
    environment["ABROAD_DATA_DIR"] = str(tmp_path)
    # the example's database is the operator's; the deploy checks do not need one
    environment.pop("ABROAD_DATABASE_URL")
    result = _django(environment, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (2 silenced)."
    assert result.stderr.strip() == ""


def test_the_development_key_is_refused_for_a_public_host_name(tmp_path: Path) -> None:
    environment = {"ABROAD_ALLOWED_HOSTS": "mobility.example.edu", "ABROAD_DATA_DIR": str(tmp_path)}
    refused = _django(environment, "check")
    assert refused.returncode != 0
    assert "ABROAD_SECRET_KEY is not set" in refused.stderr
    # on this machine (the demo) the development key is fine
    assert _django({"ABROAD_DATA_DIR": str(tmp_path)}, "check").returncode == 0


def test_passwords_have_at_least_twelve_characters() -> None:
    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("Kx7#pQ2!mZ9")
    validate_password("Kx7#pQ2!mZ9w")


@pytest.mark.django_db
def test_signed_in_pages_are_never_stored_public_pages_may_be(
    client: Client, student: User
) -> None:
    anonymous = client.get("/")
    assert "no-store" not in anonymous.get("Cache-Control", "")
    client.force_login(student)
    signed_in = client.get("/")
    assert signed_in.status_code == 200
    assert "no-store" in signed_in["Cache-Control"]
    assert "private" in signed_in["Cache-Control"]


@pytest.mark.django_db
@override_settings(MAX_REQUEST_BYTES=1000)
def test_a_request_body_over_the_cap_is_refused_before_it_is_read(
    client: Client, student: User
) -> None:
    client.force_login(student)
    response = client.post("/i18n/setlang/", {"language": "it", "next": "/", "pad": "x" * 2000})
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert client.post("/i18n/setlang/", {"language": "it", "next": "/"}).status_code == 302


@pytest.mark.django_db
def test_an_idle_session_expires_and_a_busy_one_moves_its_expiry_at_most_once_a_minute(
    client: Client, student: User
) -> None:
    client.force_login(student)
    assert client.session.get_expiry_age() == 120 * 60  # the idle timeout
    # within the minute after logging in: the session is not written again
    assert "sessionid" not in client.get("/").cookies
    # a minute later: it is, with a fresh expiry
    session = client.session
    session[SEEN_KEY] = int(time.time()) - TOUCH_EVERY
    session.save()
    assert client.get("/").cookies["sessionid"]["max-age"] == 120 * 60
