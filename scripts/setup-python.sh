#!/usr/bin/env bash
# Creates (or updates) the Python virtual environment .venv that the tests
# use for real LSL peers (pylsl, which also ships liblsl).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r tools/requirements-test.txt
