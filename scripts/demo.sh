#!/usr/bin/env bash
# The README's first quick-start command: install into a virtual environment of the project's
# own, then run the demo on the embedded default (SQLite, in-process broker, no account).
# Arguments go to `outreach demo` (e.g. --keep DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
python -m pip install -q --disable-pip-version-check .
outreach demo "$@"
