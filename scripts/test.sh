#!/usr/bin/env bash
# Runs every test: prepares the Python environment for LSL peers, then the
# whole Rust workspace (which also runs the Python client's tests), then the
# GPU decoding tests (`--features wgpu`) on whatever Vulkan driver the
# machine has: a GPU's, or Mesa's software lavapipe (Debian/Ubuntu package
# mesa-vulkan-drivers, which .ci/run installs).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-python.sh
cargo test --workspace
if ! compgen -G "/usr/share/vulkan/icd.d/*.json" > /dev/null \
    && ! compgen -G "/etc/vulkan/icd.d/*.json" > /dev/null; then
    echo "scripts/test.sh: no Vulkan driver for the wgpu tests;" \
        "install one (apt-get install mesa-vulkan-drivers gives the software lavapipe)" >&2
    exit 1
fi
cargo test -p neuroloop-decode --features wgpu --test wgpu
cargo test -p neuroloop-runtime --features wgpu --test wgpu_session
