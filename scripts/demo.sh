#!/usr/bin/env bash
# Builds neuroloop and runs the demo closed-loop session on the simulated
# headset, with an actuator client printing the intents it receives.
#   usage: scripts/demo.sh [CONFIG] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-configs/demo.toml}
seconds=${2:-120}
cargo build --release -p neuroloop-cli
bin=target/release/neuroloop
"$bin" check "$config"
addr=$(sed -n 's/^tcp *= *"\(.*\)"/\1/p' "$config" | head -n 1)
mkdir -p reports
"$bin" run "$config" --duration "$seconds" --report reports/demo.json &
session=$!
trap 'kill "$session" 2>/dev/null || true' INT TERM
for _ in $(seq 50); do
  "$bin" listen "${addr:-127.0.0.1:7878}" && break
  sleep 0.2
done
wait "$session"
echo "report: reports/demo.json"
