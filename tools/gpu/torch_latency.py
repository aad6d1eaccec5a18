"""PyTorch (braindecode) side of tools/gpu/bench.sh: EEGNet and
ShallowFBCSPNet at 22 x 1000, 4 classes, eval mode, on the GPU (CUDA),
latency of one forward + softmax + copy back to the host at batch 1, 8
and 64 (the first call on its own, then p50, p99, windows/s), and the state dicts it ran, saved for the
Rust side (``--weights``) so both run the same weights.

    python3 tools/gpu/torch_latency.py OUT_DIR [--calls 200]

Writes OUT_DIR/weights/{eegnet,shallow}.pt and prints one JSON array.
The patch transformer has no braindecode counterpart: not measured here.
"""

import argparse
import json
import os
import time
import warnings

import torch

warnings.filterwarnings("ignore")

from braindecode.models import EEGNet, ShallowFBCSPNet  # noqa: E402

CHANS, TIMES, CLASSES = 22, 1000, 4
BATCHES = [1, 8, 64]
MODELS = {"EEGNet": ("eegnet", EEGNet), "ShallowConvNet": ("shallow", ShallowFBCSPNet)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    device = torch.device("cuda")
    weights = os.path.join(args.out, "weights")
    os.makedirs(weights, exist_ok=True)
    records = []
    for name, (file, cls) in MODELS.items():
        torch.manual_seed(0)
        model = cls(n_chans=CHANS, n_times=TIMES, n_outputs=CLASSES).eval()
        torch.save(model.state_dict(), os.path.join(weights, f"{file}.pt"))
        model = model.to(device)
        x = torch.randn(64, CHANS, TIMES)
        for batch in BATCHES:
            xb = x[:batch].contiguous()
            with torch.inference_mode():
                t0 = time.perf_counter()
                torch.softmax(model(xb.to(device)), 1).cpu()
                first_ms = (time.perf_counter() - t0) * 1e3
                for _ in range(args.calls // 10 + 3):
                    torch.softmax(model(xb.to(device)), 1).cpu()
                torch.cuda.synchronize()
                ms = []
                started = time.perf_counter()
                for _ in range(args.calls):
                    t0 = time.perf_counter()
                    torch.softmax(model(xb.to(device)), 1).cpu()
                    ms.append((time.perf_counter() - t0) * 1e3)
                total = time.perf_counter() - started
            ms.sort()
            at = lambda q: ms[round((len(ms) - 1) * q)]  # noqa: E731
            records.append({
                "model": name, "device": "cuda (PyTorch " + torch.__version__ + ")",
                "batch": batch, "calls": args.calls, "first_call_ms": first_ms, "p50_ms": at(0.5), "p99_ms": at(0.99),
                "windows_per_s": batch * args.calls / total,
            })
    print(json.dumps(records))


if __name__ == "__main__":
    main()
