"""A bigger fuzz run of the hostile-input properties (tests/hostile/), for before a release.

    python bench/fuzz_inputs.py [--scale 20] [-k mime]

Runs the same properties as the test suite with `--scale` times their examples (the suite
runs them at scale 1 in well under two minutes), then prints the cases tried per input
kind and the failures. Needs PostgreSQL and Redis like the tests. Exit code: pytest's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=20.0, help="times the suite's examples")
    parser.add_argument("-k", default="", help="only tests matching (pytest -k)")
    args = parser.parse_args()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/hostile"]
    if args.k:
        command += ["-k", args.k]
    env = os.environ | {"OUTREACH_FUZZ_SCALE": str(args.scale)}
    # The per-kind counts come from tests/hostile/conftest.py's terminal summary, the
    # failures from pytest's own summary: both printed as they are.
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
