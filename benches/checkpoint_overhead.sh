#!/usr/bin/env bash
# Throughput with checkpoints vs without, checkpoint duration and size, and recovery time.
#
#   benches/checkpoint_overhead.sh [QUERIES] [PARALLELISMS] [EVENTS] [INTERVAL]
#     QUERIES       default "q5 q7"
#     PARALLELISMS  default "1 2"
#     EVENTS        default 10000000 (the built-in generator, seed 42)
#     INTERVAL      default 1s
#
# Each configuration runs REPS times (default 3) and the best events per CPU-second is
# kept (the machine's noise is one-sided). With checkpoints, --output goes through the
# exactly-once file sink into a temporary directory (without, rows go to a blackhole), so
# the "with" column also pays for writing and committing the result files.
# Recovery: a run is killed (SIGKILL) half-way and restarted with --restore latest; the
# time from the restart to the restored job's first checkpoint is not measured here —
# reported is the restarted run's total wall time and how much of the input it re-read.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
QUERIES="${1:-q5 q7}"
PARS="${2:-1 2}"
EVENTS="${3:-10000000}"
INTERVAL="${4:-1s}"
REPS="${REPS:-3}"
cargo build --release -q -p weir-cli --manifest-path "$ROOT/Cargo.toml"
WEIR="$ROOT/target/release/weir"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
best() { sort -g | tail -n 1; }

echo "| query | p | events/CPU-s without | events/CPU-s with ${INTERVAL} checkpoints | overhead | checkpoints | mean / max duration | size (last) |"
echo "|---|---|---|---|---|---|---|---|"
for q in $QUERIES; do
  for p in $PARS; do
    without=$(for _ in $(seq "$REPS"); do "$WEIR" nexmark --query "$q" --events "$EVENTS" -p "$p" 2>/dev/null | grep '^RESULT' | field events_per_cpu_s; done | best)
    with=""
    for _ in $(seq "$REPS"); do
      rm -rf "$TMP/ck" "$TMP/out"
      "$WEIR" nexmark --query "$q" --events "$EVENTS" -p "$p" --checkpoint-dir "$TMP/ck" --checkpoint-interval "$INTERVAL" --output "$TMP/out" > "$TMP/with.log" 2>/dev/null
      with="$with $(grep '^RESULT' "$TMP/with.log" | field events_per_cpu_s)"
      cks=$(sed -n 's/^checkpoints *\([0-9]*\)/\1/p' "$TMP/with.log")
      dur=$(sed -n 's/^checkpoint time *\([0-9.]*\) ms mean, \([0-9]*\) ms max.*/\1 \/ \2 ms/p' "$TMP/with.log")
      size=$(sed -n 's/^checkpoint size *\([0-9.]*\) KiB last.*/\1 KiB/p' "$TMP/with.log")
    done
    with=$(echo $with | tr ' ' '\n' | best)
    python3 -c "
w, c = float('$without'), float('$with')
print(f'| $q | $p | {w/1e6:.2f} M | {c/1e6:.2f} M | {100*(w-c)/w:+.1f} % | $cks | $dur | $size |')"
  done
done

echo
echo "Recovery (kill -9 at 60 % of a clean run's time, restart with --restore latest), $((EVENTS * 3)) events, p2:"
for q in $QUERIES; do
  rm -rf "$TMP/ck" "$TMP/out"
  "$WEIR" nexmark --query "$q" --events "$((EVENTS * 3))" -p 2 --checkpoint-dir "$TMP/ck" --checkpoint-interval "$INTERVAL" --output "$TMP/out" > "$TMP/clean.log" 2>/dev/null
  full=$(sed -n 's/^elapsed *\([0-9.]*\).*/\1/p' "$TMP/clean.log")
  rm -rf "$TMP/ck" "$TMP/out"
  "$WEIR" nexmark --query "$q" --events "$((EVENTS * 3))" -p 2 --checkpoint-dir "$TMP/ck" --checkpoint-interval "$INTERVAL" --output "$TMP/out" > /dev/null 2>&1 &
  pid=$!
  sleep "$(python3 -c "print($full * 0.6)")"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  start=$(date +%s.%N)
  "$WEIR" nexmark --query "$q" --events "$((EVENTS * 3))" -p 2 --checkpoint-dir "$TMP/ck" --checkpoint-interval "$INTERVAL" --output "$TMP/out" --restore latest > "$TMP/restored.log" 2>/dev/null
  echo "  $q: clean run ${full} s; killed at 60 %; restored from $(sed -n 's/^restored from *//p' "$TMP/restored.log"), re-read $(grep '^RESULT' "$TMP/restored.log" | field events) events, the restarted run took $(sed -n 's/^elapsed *\([0-9.]*\).*/\1/p' "$TMP/restored.log") s (process start to end: $(python3 -c "import time; print(round(time.time() - $start, 2))") s)"
done
