"""`outreach --version` names the installed release, so a bug report can say which."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version


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
