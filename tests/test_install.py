"""`make run` installs only what running needs; `make test` the test extras as well."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _dry_run(folder: Path, target: str) -> str:
    """The commands ``make TARGET`` would run in a fresh clone (``make -n``: none run)."""
    shutil.copy(ROOT / "Makefile", folder / "Makefile")
    (folder / "pyproject.toml").write_text("")
    run = subprocess.run(
        ["make", "-n", target], cwd=folder, capture_output=True, text=True, check=True
    )
    return run.stdout


@pytest.mark.unit
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_installs_no_test_extras_and_make_test_does(tmp_path):
    run = _dry_run(tmp_path, "run")
    installs = [line for line in run.splitlines() if "pip install" in line]
    assert any(line.rstrip().endswith("install --quiet -e .") for line in installs), run
    assert "[test]" not in run
    assert "nexus run districts/buiksloterham.toml" in run
    test = _dry_run(tmp_path, "test")
    assert "-e '.[test]'" in test and "pytest" in test
