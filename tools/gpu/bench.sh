#!/usr/bin/env bash
# GPU decode benchmark, one call, under 8 minutes on a machine with an
# NVIDIA GPU: latency (p50/p99 of one batch: copy in, forward, softmax, copy
# back) at batch 1, 8 and 64 and throughput (windows/s) of EEGNet,
# ShallowConvNet and the patch transformer (22 x 1000, 4 classes) on burn's
# wgpu backend (Vulkan) and on burn's CUDA backend, beside
# PyTorch/braindecode on CUDA with the same
# weights (EEGNet and ShallowConvNet; when torch and braindecode import).
#
#   tools/gpu/bench.sh [OUT_DIR]        (default target/gpu-bench)
#
# BENCH_BIN: a prebuilt bench binary (`cargo bench -p neuroloop-decode
# --features wgpu,cuda --bench device_latency --no-run` prints its path);
# without it the script builds one (release profile). CALLS: calls per
# figure (default 200). Writes OUT_DIR/bench.json and OUT_DIR/bench.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-target/gpu-bench}"
calls="${CALLS:-200}"
mkdir -p "$out"
gpu="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 || true)"
gpu="${gpu:-unknown GPU}"
echo "GPU: $gpu"

files=()
weights=()
if python3 -c "import torch, braindecode; assert torch.cuda.is_available()" 2>/dev/null; then
    python3 tools/gpu/torch_latency.py "$out" --calls "$calls" > "$out/torch.json"
    files+=("$out/torch.json")
    weights=(--weights "$out/weights")
else
    echo "PyTorch side not measured: torch with CUDA and braindecode do not import" >&2
fi

bin="${BENCH_BIN:-}"
if [ -z "$bin" ]; then
    bin="$(cargo bench -p neuroloop-decode --features wgpu,cuda --bench device_latency --no-run \
        --message-format=json 2>/dev/null \
        | python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "device_latency" and m.get("executable"):
        print(m["executable"])')"
fi
# Each backend on its own: one that cannot start (no driver, a build
# without it) is reported and the others still run.
for device in wgpu cuda; do
    if "$bin" --bench --device "$device" --calls "$calls" "${weights[@]}" --json \
        > "$out/burn-$device.json" 2> "$out/burn-$device.log"; then
        files+=("$out/burn-$device.json")
    else
        echo "burn on $device not measured: $(tail -n 1 "$out/burn-$device.log")" >&2
    fi
done
python3 tools/gpu/report.py "$out" "$gpu" "${files[@]}"
