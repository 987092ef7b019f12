"""The floors of docs/architecture.md hold: no app imports a floor above its own (the
import-linter contracts in pyproject.toml), and the check does catch an upward import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")

once = pytest.mark.skipif(
    bool(os.environ.get("ABROAD_DATABASE_URL")), reason="checked in the SQLite run"
)


def _lint(source_root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(source_root)}
    return subprocess.run(
        [LINT_IMPORTS, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=source_root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@once
def test_the_floors_hold_on_the_code_base() -> None:
    result = _lint(ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@once
def test_an_upward_import_breaks_the_floors(tmp_path: Path) -> None:
    """A copy of the code in which the ground floor imports the EWP floor fails the check,
    and the report names the offending line."""
    shutil.copytree(ROOT / "src/abroad", tmp_path / "abroad", ignore=shutil.ignore_patterns("var"))
    enums = tmp_path / "abroad/core/enums.py"
    enums.write_text(enums.read_text() + "\nfrom abroad.ewp import xml  # noqa\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "abroad.core is not allowed to import abroad.ewp" in result.stdout
    assert "abroad.core.enums -> abroad.ewp.xml" in result.stdout
