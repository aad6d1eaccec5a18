#!/usr/bin/env bash
# Runs the same tests N times in a row and stops at the first failure.
#
#   scripts/repeat-tests.sh N [cargo test selection...] [-- test binary args...]
#
# e.g. scripts/repeat-tests.sh 10 -p neuroloop-cli --test signals --test actuator
#
# The test binaries are built once (`cargo test --no-run` with the given
# selection), then run directly, each from its package's directory as
# `cargo test` does, so that a build running beside them (to load the
# machine) never holds them on cargo's lock. Every run's output is kept in
# a temporary folder; a failure prints the failing binary's output. The
# last line is the summary: runs passed, failures, wall time and the load
# average.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ] || ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 N [cargo test selection...] [-- test binary args...]" >&2
  exit 2
fi
runs=$1
shift
selection=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  selection+=("$1")
  shift
done
[ "${1:-}" = "--" ] && shift
test_args=("$@")

logs=$(mktemp -d -t repeat-tests.XXXXXX)
if ! cargo test --no-run --message-format=json "${selection[@]}" >"$logs/build.json" 2>"$logs/build.log"; then
  tail -n 40 "$logs/build.log" >&2
  echo "repeat-tests: the build failed (log in $logs/build.log)" >&2
  exit 1
fi
# One "directory<TAB>executable" line per test binary.
python3 - "$logs/build.json" >"$logs/binaries.tsv" <<'EOF'
import json, os, sys
for line in open(sys.argv[1]):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(os.path.dirname(m["manifest_path"]) + "\t" + m["executable"])
EOF
binaries=$(wc -l <"$logs/binaries.tsv")
if [ "$binaries" -eq 0 ]; then
  echo "repeat-tests: the selection names no test binary" >&2
  exit 2
fi

load() { cut -d' ' -f1-3 /proc/loadavg; }
started=$(date +%s)
for run in $(seq 1 "$runs"); do
  run_started=$(date +%s)
  while IFS=$'\t' read -r dir exe; do
    name=$(basename "$exe")
    log="$logs/run$run-$name.log"
    if ! (cd "$dir" && "$exe" "${test_args[@]}") >"$log" 2>&1; then
      tail -n 60 "$log"
      now=$(date +%s)
      echo "repeat-tests: FAILED in run $run of $runs ($name; $((run - 1)) runs passed before it), $((now - started)) s, load average $(load); logs in $logs"
      exit 1
    fi
  done <"$logs/binaries.tsv"
  now=$(date +%s)
  echo "run $run/$runs: $binaries test binaries passed in $((now - run_started)) s (load average $(load))"
done
now=$(date +%s)
echo "repeat-tests: $runs of $runs runs passed, 0 failures, $binaries test binaries per run, $((now - started)) s, load average at the end $(load)"
