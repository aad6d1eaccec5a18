#!/usr/bin/env bash
# Runs every test: prepares the Python environment for LSL peers, then the
# whole Rust workspace (which also runs the Python client's tests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-python.sh
cargo test --workspace
