#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for a fixed time (FUZZ_SECONDS, default 30)
# on the stable toolchain: the targets are built with libFuzzer's coverage
# instrumentation (sancov passes, no sanitizer, which needs nightly) and run
# as the libFuzzer binaries they are. A crash fails the script and leaves
# its input in fuzz/artifacts/TARGET/. Corpora grow in fuzz/corpus/TARGET/
# (the format readers' seeded from ../shared/data when it is there).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${FUZZ_SECONDS:-30}"
triple="$(rustc -vV | sed -n 's/^host: //p')"
export RUSTFLAGS="-Cpasses=sancov-module \
 -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
 -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares \
 -Cdebug-assertions -Coverflow-checks --cfg fuzzing"
# --target keeps the instrumentation out of build scripts and proc macros.
cargo build --release --target "$triple" --target-dir target
targets=$(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^neuroloop-fuzz$')
for t in $targets; do
    mkdir -p "corpus/$t" "artifacts/$t"
    # Seeds: the first 64 KiB of a real recording, where one is at hand.
    case "$t" in
    edf_reader) real=../../shared/data/physionet-eegmmidb/S001R04.edf ;;
    gdf_reader) real=$(ls ../../shared/data/*/*.gdf 2>/dev/null | head -n 1 || true) ;;
    xdf_reader) real=../../shared/data/xdf/empty_streams.xdf ;;
    *) real= ;;
    esac
    if [ -n "$real" ] && [ -f "$real" ] && [ ! -e "corpus/$t/seed" ]; then
        head -c 65536 "$real" > "corpus/$t/seed"
    fi
    echo "fuzz $t for ${seconds} s"
    "target/$triple/release/$t" -max_total_time="$seconds" -max_len=65536 \
        -rss_limit_mb=2048 -artifact_prefix="artifacts/$t/" -print_final_stats=1 \
        "corpus/$t" 2>&1 | tail -n 4
done
