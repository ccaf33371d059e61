#!/usr/bin/env bash
# Installs the project with its test dependencies into a virtual environment, then runs the
# linters, the type checker, the import contracts and the whole test suite. The README's
# second quick-start command.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
python -m pip install -q --disable-pip-version-check -e '.[test]'
ruff check .
ruff format --check .
mypy
lint-imports
python -m pytest -q -p no:cacheprovider "$@"
