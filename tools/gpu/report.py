"""Merges the JSON records of tools/gpu/bench.sh into one JSON file and a
markdown table (model, batch, then p50 / p99 / windows/s per side, and the
first call of each size: kernel compilation and tuning).

    python3 tools/gpu/report.py OUT_DIR GPU_NAME burn.json [torch.json]
"""

import json
import sys


def main():
    out, gpu, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    records = []
    for path in files:
        with open(path) as f:
            records += json.load(f)
    with open(f"{out}/bench.json", "w") as f:
        json.dump({"gpu": gpu, "records": records}, f, indent=1)
    sides = sorted({r["device"] for r in records})
    rows = sorted({(r["model"], r["batch"]) for r in records})
    by = {(r["model"], r["batch"], r["device"]): r for r in records}
    head = "| model | batch | " + " | ".join(f"{s} p50 / p99 ms, windows/s" for s in sides) + " |"
    lines = [f"GPU: {gpu}", "", head, "|" + "---|" * (2 + len(sides))]
    for model, batch in rows:
        cells = []
        for s in sides:
            r = by.get((model, batch, s))
            if r is None:
                cells.append("not measured")
            elif "error" in r:
                cells.append(f"failed: {r['error']}")
            else:
                cell = f"{r['p50_ms']:.3f} / {r['p99_ms']:.3f}, {r['windows_per_s']:.0f}"
                if "first_call_ms" in r:
                    cell += f" (first call {r['first_call_ms']:.0f} ms)"
                cells.append(cell)
        lines.append(f"| {model} | {batch} | " + " | ".join(cells) + " |")
    with open(f"{out}/bench.md", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
