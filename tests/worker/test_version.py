"""`outreach --version` names the installed release, so a bug report can say which."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path


def test_version_prints_the_installed_release() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from worker.cli import main; main()", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"outreach {version('outreach')}"


def test_python_dash_m_outreach_is_the_command_line(tmp_path: Path) -> None:
    # From elsewhere than the checkout: what answers is the installed package.
    ran = [sys.executable, "-m", "outreach"]
    done = subprocess.run(
        [*ran, "--version"], capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"outreach {version('outreach')}"
    helped = subprocess.run(
        [*ran, "--help"], capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path
    )
    assert helped.returncode == 0, helped.stderr
    assert "python -m outreach" in helped.stdout
    assert "demo" in helped.stdout
