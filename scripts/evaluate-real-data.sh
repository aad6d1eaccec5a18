#!/usr/bin/env bash
# Within-session 5-fold cross-validation of the decoders on the real
# recordings in ../shared/data (see docs/benchmarks.md, "Decoding accuracy on
# real recordings"): PhysioNet S001 imagined hands vs feet and left vs right
# fist, Kalunga 2016 SSVEP subject 03 (4 classes).
#
# Usage: scripts/evaluate-real-data.sh [ARCHITECTURE ...]
#   (default: bandpower eegnet shallow_convnet)
# Writes one JSON result per run to target/evaluate-real-data/ and prints a
# summary line per run. Environment: DATA (default ../shared/data),
# MAX_EPOCHS, BATCH_SIZE, LEARNING_RATE and PATIENCE for the deep models
# (default 40, 8, the architecture's own rate and 10: the folds train on
# 24-52 epochs, so a small batch gives more steps per pass; the kept
# weights come from pass 20 or later, FitOptions::min_epochs).
set -euo pipefail
cd "$(dirname "$0")/.."

DATA="${DATA:-../shared/data}"
MAX_EPOCHS="${MAX_EPOCHS:-40}"
BATCH_SIZE="${BATCH_SIZE:-8}"
LEARNING_RATE="${LEARNING_RATE:-}"
PATIENCE="${PATIENCE:-10}"
OUT=target/evaluate-real-data
ARCHS=("$@")
[ ${#ARCHS[@]} -eq 0 ] && ARCHS=(bandpower eegnet shallow_convnet)

cargo build --release -p neuroloop-cli
BIN=target/release/neuroloop
mkdir -p "$OUT"

MI="$DATA/physionet-eegmmidb"
SSVEP="$DATA/ssvep-kalunga2016"
# Motor imagery: 64 channels at 160 Hz, causal 4th-order Butterworth
# 4-40 Hz band-pass, 0.5-4.0 s after the cue (the cue lasts ~4.1 s).
MI_ARGS=(--tmin 0.5 --tmax 4.0 --filters "bandpass 4-40" --folds 5 --seed 0)
MI_BANDS="8-13,13-30"
# SSVEP: 8 occipital channels at 256 Hz, causal 5-45 Hz band-pass (13, 17,
# 21 Hz and their second harmonics). The class code comes 0.5 s before the
# 5-s stimulation; the window is 1.0-5.0 s after the code, i.e. 0.5-4.5 s
# into the stimulation (the first 0.5 s of build-up left out).
SSVEP_ARGS=(--tmin 1.0 --tmax 5.0 --filters "bandpass 5-45" --folds 5 --seed 0)
SSVEP_BANDS="12.5-13.5,16.5-17.5,20.5-21.5,25.5-26.5,33.5-34.5,41.5-42.5"

run() {
    local name="$1" arch="$2" bands="$3"
    shift 3
    local extra=()
    if [ "$arch" = bandpower ]; then
        extra=(--bands "$bands")
    else
        extra=(--max-epochs "$MAX_EPOCHS" --batch-size "$BATCH_SIZE" --patience "$PATIENCE")
        if [ -n "$LEARNING_RATE" ]; then
            extra+=(--learning-rate "$LEARNING_RATE")
        fi
    fi
    "$BIN" evaluate "$@" --architecture "$arch" "${extra[@]}" --json >"$OUT/$name-$arch.json"
    python3 - "$OUT/$name-$arch.json" "$name" "$arch" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
cv = d["cv"]
auc = cv.get("auc_mean_sd")
auc = f"AUC {auc[0]:.3f}" if auc else ""
print(f"{sys.argv[2]:<22} {sys.argv[3]:<16} n={d['n_epochs']:<3} "
      f"acc {cv['accuracy_mean']:.3f} ± {cv['accuracy_sd']:.3f} (pooled {cv['accuracy_pooled']:.3f}) "
      f"{auc}  chance {cv['chance_majority']:.3f}  {d['seconds']:.0f} s")
EOF
}

for arch in "${ARCHS[@]}"; do
    run mi-hands-feet "$arch" "$MI_BANDS" \
        --recording "$MI/S001R06.edf" --recording "$MI/S001R10.edf" \
        --events T1=hands,T2=feet "${MI_ARGS[@]}"
    run mi-left-right "$arch" "$MI_BANDS" \
        --recording "$MI/S001R04.edf" --recording "$MI/S001R08.edf" \
        --events T1=left,T2=right "${MI_ARGS[@]}"
    run ssvep-s03 "$arch" "$SSVEP_BANDS" \
        --recording "$SSVEP/subject03-session1.gdf" --recording "$SSVEP/subject03-session2.gdf" \
        --events 33024=rest,33025=13Hz,33026=21Hz,33027=17Hz "${SSVEP_ARGS[@]}"
done
