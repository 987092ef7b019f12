"""AgID's own checker, ``spid-sp-test`` (PyPI), on abroad's SPID and CIE service provider:
the metadata (profiles spid-sp-public and cie-sp-public, with ``--extra``), the
AuthnRequest, and the responses it sends to the ACS (``--test-response``: its IdP's ~90
crafted answers, good and bad, each expected accepted or refused).

spid-sp-test pins xmlschema<3 through pysaml2 and abroad needs xmlschema>=3.4, so it lives in
a venv of its own: ``.ci/run`` makes ``.venv-spid-sp-test`` (``python3 -m venv
.venv-spid-sp-test && .venv-spid-sp-test/bin/pip install spid-sp-test==1.2.18``); another
place can be named by ``ABROAD_SPID_SP_TEST`` (the ``spid_sp_test`` script). Without it these
tests skip, unless ``ABROAD_REQUIRE_SPID_SP_TEST`` is set (CI)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from tests.identity.conftest import reload_urls
from tests.identity.spid_site import organisation, switch_on

from abroad.identity.spid import PROFILES, write_metadata

# AgID's checker judges our metadata and our verdicts on its responses: one database is enough.
pytestmark = [pytest.mark.integration, pytest.mark.once]

ROOT = Path(__file__).resolve().parents[2]
TOOL = Path(
    os.environ.get("ABROAD_SPID_SP_TEST", ROOT / ".venv-spid-sp-test" / "bin" / "spid_sp_test")
)
TOOL_PROFILES = {"spid": "spid-sp-public", "cie": "cie-sp-public"}


def tool() -> Path:
    if not TOOL.exists():
        if os.environ.get("ABROAD_REQUIRE_SPID_SP_TEST"):
            pytest.fail(f"spid-sp-test is not installed at {TOOL}")
        pytest.skip(f"spid-sp-test is not installed at {TOOL} (see this file's docstring)")
    return TOOL


def run(*arguments: str, folder: Path) -> dict[str, Any]:
    """spid-sp-test with ``arguments``; its JSON report."""
    report = folder / "report.json"
    completed = subprocess.run(
        [str(tool()), *arguments, "-rf", "json", "-o", str(report), "-d", "ERROR"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=folder,
        check=False,
    )
    assert report.exists(), completed.stdout + completed.stderr
    result: dict[str, Any] = json.loads(report.read_text())
    result["_exit"] = completed.returncode
    result["_output"] = completed.stdout + completed.stderr
    return result


def failures(report: dict[str, Any]) -> list[str]:
    """Every check in the report that did not succeed (errors; warnings are allowed)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("result") in ("failure", "error") and "test" in node:
                found.append(f"{node.get('test')}: {node.get('value', '')}"[:400])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(report)
    return found


def idp_metadata(folder: Path) -> Path:
    """spid-sp-test's own identity provider (https://localhost:8443), as a metadata file."""
    completed = subprocess.run(
        [str(tool()), "--idp-metadata"], capture_output=True, text=True, timeout=120, check=True
    )
    path = folder / "spid-sp-test-idp.xml"
    path.write_text(completed.stdout.strip())
    return path


@pytest.fixture
def italian_site(settings: Any, tmp_path: Path, db: None) -> Iterator[Any]:
    """``italian_site(profile)``: SPID or CIE switched on, spid-sp-test's IdP trusted."""
    original = list(settings.LOGIN_METHODS)

    def switch(profile: str) -> Path:
        organisation(settings, tmp_path)
        setattr(settings, f"{profile.upper()}_IDP_METADATA_FILES", [str(idp_metadata(tmp_path))])
        setattr(settings, f"{profile.upper()}_IDP_METADATA_URL", "")
        switch_on(settings, ["local", profile])
        return tmp_path

    yield switch
    settings.LOGIN_METHODS = original
    reload_urls()


@pytest.mark.parametrize("profile", ["spid", "cie"])
def test_spid_sp_test_passes_on_the_metadata(italian_site: Any, profile: str) -> None:
    folder = italian_site(profile)
    metadata = write_metadata(PROFILES[profile], str(folder))
    report = run(
        "--metadata-url", f"file://{metadata}", "-pr", TOOL_PROFILES[profile], "--extra",
        folder=folder,
    )  # fmt: skip
    assert failures(report) == [], report["_output"]
    assert report["_exit"] == 0, report["_output"]


@pytest.mark.parametrize("profile", ["spid", "cie"])
def test_spid_sp_test_passes_on_the_authn_request(italian_site: Any, profile: str) -> None:
    folder = italian_site(profile)
    metadata = write_metadata(PROFILES[profile], str(folder))
    start = Client().get(f"/{profile}/login/?next=/mobility/&idp=https://localhost:8443")
    assert start.status_code == 302, start.content
    request = folder / "authn-request.txt"
    request.write_text(start["Location"])
    report = run(
        "--metadata-url", f"file://{metadata}", "--authn-url", f"file://{request}",
        "-pr", TOOL_PROFILES[profile], "--extra",
        folder=folder,
    )  # fmt: skip
    assert failures(report) == [], report["_output"]
    assert report["_exit"] == 0, report["_output"]


@pytest.mark.parametrize("profile", ["spid", "cie"])
def test_spid_sp_test_responses_are_accepted_or_refused_as_they_should(
    italian_site: Any, live_server: Any, settings: Any, profile: str, transactional_db: None
) -> None:
    """Its IdP's answers POSTed to the ACS of a running abroad: the good ones sign in (200
    after the redirects), the others are refused (403 and the refusal page)."""
    settings.SITE_URL = live_server.url
    settings.SPID_ENTITY_ID = f"{live_server.url}/spid/metadata/"
    settings.CIE_ENTITY_ID = f"{live_server.url}/cie/metadata/"
    settings.ALLOWED_HOSTS = ["*"]
    folder = italian_site(profile)
    report = run(
        "--metadata-url", f"{live_server.url}/{profile}/metadata/",
        "--authn-url", f"{live_server.url}/{profile}/login/?idp=https://localhost:8443",
        "-pr", TOOL_PROFILES[profile], "--extra", "-tr",
        folder=folder,
    )  # fmt: skip
    assert failures(report) == [], report["_output"]
