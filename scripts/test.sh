#!/usr/bin/env bash
# Installs the project with its test dependencies, then runs the linters, the type checker
# and the whole test suite. The README's second quick-start command.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
ruff check .
ruff format --check .
mypy
python3 -m pytest -q -p no:cacheprovider "$@"
