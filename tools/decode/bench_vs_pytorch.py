"""PyTorch (braindecode 1.8.1) against the burn nets of neuroloop-decode, on
one machine in one run.

Inference: batch 1, eval mode, ``torch.inference_mode()``, p50/p99 of one
forward call for ``EEGNet`` and ``ShallowFBCSPNet`` at 22 × 1000 and 64 × 256
(4 classes), with ``torch.set_num_threads(1)`` and with PyTorch's default
thread count; then the burn nets from
``cargo bench -p neuroloop-decode --bench nets_latency -- --json``: the folded
plain-Rust inference forms (``Decoder::decode``, softmax included) and the
faithful burn forward (eval mode, flex backend).

Training: one step (forward, cross entropy, backward, Adam) at batch 32 of
22 × 1000, p50 over 20 steps after 3 warm-up steps, PyTorch (one thread and
default threads) against ``cargo bench -p neuroloop-decode --bench train_step -- --json``.

Prints one table with the ratio burn / PyTorch (below 1: burn is faster).

Run from the repository root (needs torch, see requirements-torch.txt):

    <venv>/bin/python tools/decode/bench_vs_pytorch.py [--calls 2000] [--skip-cargo]
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


def burn_latency(rows, model, chans, times, form):
    """(p50, p99) in µs of one nets_latency record (form "inference": the
    folded plain-Rust decoder; "burn": the faithful burn forward)."""
    for r in rows:
        if (r.get("model") == model and r.get("form") == form
                and list(r.get("shape", [])) == [chans, times]):
            return r["p50_ms"] * 1e3, r["p99_ms"] * 1e3
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
    torch_train = {(name, threads): torch_train_step(cls, threads)
                   for name, cls in MODELS.items() for threads in (1, default_threads)}
    torch.set_num_threads(default_threads)

    burn_rows = [] if args.skip_cargo else cargo_json("nets_latency")
    burn_train = [] if args.skip_cargo else cargo_json("train_step")

    print()
    print("Inference, batch 1, one call, p50/p99 (µs); ratios of p50")
    tn_head = f"torch {default_threads}T"
    print(f"{'model':<15} {'shape':<8} {'torch 1T':>15} {tn_head:>15} {'burn infer':>15} "
          f"{'burn faithful':>15} {'infer/1T':>8} {'infer/' + str(default_threads) + 'T':>8} "
          f"{'faith/1T':>8}")
    for (chans, times) in SHAPES:
        for name in MODELS:
            t1 = torch_rows[(name, chans, times, 1)]
            tn = torch_rows[(name, chans, times, default_threads)]
            bi = burn_latency(burn_rows, name, chans, times, "inference")
            bf = burn_latency(burn_rows, name, chans, times, "burn")
            cell = lambda p: f"{p[0]:.0f}/{p[1]:.0f}" if p[0] else "-"
            print(f"{name:<15} {f'{chans}x{times}':<8} {cell(t1):>15} {cell(tn):>15} "
                  f"{cell(bi):>15} {cell(bf):>15} {ratio(bi[0], t1[0]):>8} "
                  f"{ratio(bi[0], tn[0]):>8} {ratio(bf[0], t1[0]):>8}")
    print()
    print(f"Training step, batch {TRAIN_BATCH} x 22 x 1000, Adam, p50 over {TRAIN_STEPS} steps (ms)")
    tn_head = f"torch {default_threads}T"
    print(f"{'model':<15} {'torch 1T':>10} {tn_head:>10} {'burn':>10} "
          f"{'burn/1T':>8} {'burn/' + str(default_threads) + 'T':>8}")
    for name in MODELS:
        b = next((r["p50_ms"] for r in burn_train if r.get("model") == name), None)
        t1, tn = torch_train[(name, 1)], torch_train[(name, default_threads)]
        bs = f"{b:.1f}" if b else "-"
        print(f"{name:<15} {t1:>10.1f} {tn:>10.1f} {bs:>10} {ratio(b, t1):>8} {ratio(b, tn):>8}")


if __name__ == "__main__":
    main()
