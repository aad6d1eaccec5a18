"""PyTorch (braindecode 1.8.1) against the burn nets of neuroloop-decode, on
one machine in one run.

Inference: batch 1, eval mode, ``torch.inference_mode()``, p50/p99 of one
forward call for ``EEGNet`` and ``ShallowFBCSPNet`` at 22 × 1000 and 64 × 256
(4 classes), with ``torch.set_num_threads(1)`` and with PyTorch's default
thread count; then the burn inference forms from
``cargo bench -p neuroloop-decode --bench nets_latency -- --json``.

Training: one step (forward, cross entropy, backward, Adam) at batch 32 of
22 × 1000, p50 over 20 steps after 3 warm-up steps, PyTorch (default
threads) against ``cargo bench -p neuroloop-decode --bench train_step -- --json``.

Prints one table with the ratio burn / PyTorch (below 1: burn is faster).

Run from the repository root (needs torch, see requirements-torch.txt):

    /work/torch-venv/bin/python tools/decode/bench_vs_pytorch.py [--calls 2000] [--skip-cargo]
"""

import argparse
import json
import os
import subprocess
import sys
import time
import warnings

import torch

warnings.filterwarnings("ignore")

from braindecode.models import EEGNet, ShallowFBCSPNet  # noqa: E402

SHAPES = [(22, 1000), (64, 256)]
MODELS = {"EEGNet": EEGNet, "ShallowConvNet": ShallowFBCSPNet}
N_OUTPUTS = 4
TRAIN_BATCH, TRAIN_STEPS, TRAIN_WARMUP = 32, 20, 3


def percentile(sorted_values, q):
    i = min(len(sorted_values) - 1, int(round(q * (len(sorted_values) - 1))))
    return sorted_values[i]


def torch_latency(cls, chans, times, threads, calls, warmup):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = cls(n_chans=chans, n_times=times, n_outputs=N_OUTPUTS).eval()
    x = torch.randn(1, chans, times)
    samples = []
    with torch.inference_mode():
        for i in range(warmup + calls):
            t0 = time.perf_counter_ns()
            model(x)
            t1 = time.perf_counter_ns()
            if i >= warmup:
                samples.append((t1 - t0) / 1e3)
    samples.sort()
    return percentile(samples, 0.5), percentile(samples, 0.99)


def torch_train_step(cls, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = cls(n_chans=22, n_times=1000, n_outputs=N_OUTPUTS).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(TRAIN_BATCH, 22, 1000) * 2 - 1
    y = torch.arange(TRAIN_BATCH) % N_OUTPUTS
    loss_fn = torch.nn.CrossEntropyLoss()
    samples = []
    for i in range(TRAIN_WARMUP + TRAIN_STEPS):
        t0 = time.perf_counter_ns()
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.item()
        loss.backward()
        opt.step()
        t1 = time.perf_counter_ns()
        if i >= TRAIN_WARMUP:
            samples.append((t1 - t0) / 1e6)
    samples.sort()
    return percentile(samples, 0.5)


def cargo_json(bench):
    """Runs a cargo bench with --json and returns its JSON objects."""
    cmd = ["cargo", "bench", "-p", "neuroloop-decode", "--bench", bench, "--", "--json"]
    print("$", " ".join(cmd), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("{"):
            rows.append(json.loads(line))
        elif line.startswith("["):
            rows.extend(json.loads(line))
    return rows


def burn_latency(rows, model, chans, times):
    for r in rows:
        name = r.get("model", "")
        if (name.lower().startswith(model.lower()[:6]) and r.get("n_chans") == chans
                and r.get("n_times") == times and r.get("form", "inference") != "faithful"):
            return r.get("p50_us"), r.get("p99_us")
    return None, None


def ratio(a, b):
    return f"{a / b:6.2f}" if a and b else "     -"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--skip-cargo", action="store_true")
    args = parser.parse_args()
    default_threads = torch.get_num_threads()
    print(f"torch {torch.__version__}, braindecode 1.8.1, {os.cpu_count()} logical CPUs, "
          f"default torch threads {default_threads}")

    torch_rows = {}
    for (chans, times) in SHAPES:
        for name, cls in MODELS.items():
            for threads in (1, default_threads):
                torch_rows[(name, chans, times, threads)] = torch_latency(
                    cls, chans, times, threads, args.calls, args.warmup)
    torch_train = {name: torch_train_step(cls, default_threads) for name, cls in MODELS.items()}
    torch.set_num_threads(default_threads)

    burn_rows = [] if args.skip_cargo else cargo_json("nets_latency")
    burn_train = [] if args.skip_cargo else cargo_json("train_step")

    print()
    print("Inference, batch 1, one call (µs)")
    print(f"{'model':<15} {'shape':<9} {'torch 1T p50/p99':>18} "
          f"{'torch ' + str(default_threads) + 'T p50/p99':>18} {'burn p50/p99':>18} "
          f"{'burn/torch1T':>12} {'burn/torch' + str(default_threads) + 'T':>12}")
    for (chans, times) in SHAPES:
        for name in MODELS:
            t1 = torch_rows[(name, chans, times, 1)]
            tn = torch_rows[(name, chans, times, default_threads)]
            b = burn_latency(burn_rows, name, chans, times)
            bs = f"{b[0]:.0f}/{b[1]:.0f}" if b[0] else "-"
            print(f"{name:<15} {chans}x{times:<6} {t1[0]:>9.0f}/{t1[1]:<8.0f} "
                  f"{tn[0]:>9.0f}/{tn[1]:<8.0f} {bs:>18} "
                  f"{ratio(b[0], t1[0]):>12} {ratio(b[0], tn[0]):>12}")
    print()
    print(f"Training step, batch {TRAIN_BATCH} x 22 x 1000, Adam, p50 over {TRAIN_STEPS} steps (ms)")
    print(f"{'model':<15} {'torch ' + str(default_threads) + 'T':>10} {'burn':>10} {'burn/torch':>10}")
    for name in MODELS:
        b = next((r["p50_ms"] for r in burn_train
                  if r.get("model", "").lower()[:6] == name.lower()[:6]), None)
        bs = f"{b:.1f}" if b else "-"
        print(f"{name:<15} {torch_train[name]:>10.1f} {bs:>10} {ratio(b, torch_train[name]):>10}")


if __name__ == "__main__":
    main()
