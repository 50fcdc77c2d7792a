#!/usr/bin/env bash
# Nexmark side by side: Apache Flink (through ../shared/peers/flink) and Weir, on the same
# machine, the same events and the same parallelism, one run after the other.
#
#   benches/nexmark_vs_flink.sh [QUERIES] [PARALLELISMS] [EVENTS]
#     QUERIES       default "q0 q1 q2"
#     PARALLELISMS  default "1 2"
#     EVENTS        default 10M (the peers' data set nexmark_<EVENTS>, seed 42)
#   env: PEERS (default ../shared/peers relative to the repo), SKIP_FLINK=1 to rerun Weir only
#
# For each (query, p) it prints one markdown table row:
#   | query | p | input | Flink events/s | Flink events/CPU-s | Weir events/s | Weir events/CPU-s | ratio per CPU-s |
# Flink's time is its net job runtime and the CPU time of its JVM during the job; Weir's is
# the job's wall time and the process CPU time (generator or file reading included in both).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS="${PEERS:-$ROOT/../shared/peers}"
QUERIES="${1:-q0 q1 q2}"
PARS="${2:-1 2}"
EVENTS="${3:-10M}"
DATA_ROOT="${WEIR_PEERS:-$HOME/.cache/weir-peers}/data"
DATA="$DATA_ROOT/nexmark_$EVENTS"
RESULTS="$(mktemp -d)"

cargo build --release -q -p weir-cli --manifest-path "$ROOT/Cargo.toml"
WEIR="$ROOT/target/release/weir"

echo "| query | p | input | Flink events/s | Flink events/CPU-s | Weir events/s | Weir events/CPU-s | Weir/Flink per CPU-s |"
echo "|---|---|---|---|---|---|---|---|"
for q in $QUERIES; do
  for p in $PARS; do
    flink_line="{}"
    if [[ "${SKIP_FLINK:-0}" != 1 ]]; then
      RESULTS_FILE="$RESULTS/flink_${q}_p$p.json"
      RESULTS="$RESULTS_FILE" "$PEERS/flink/run.sh" "$q" "$p" "$EVENTS" bench > "$RESULTS/flink_${q}_p$p.log" 2>&1 || true
      flink_line="$(grep '^{' "$RESULTS/flink_${q}_p$p.log" | tail -n 1 || echo '{}')"
    fi
    weir_line="$("$WEIR" nexmark --query "$q" --input "$DATA" --parallelism "$p" 2>/dev/null | grep '^RESULT')"
    python3 - "$q" "$p" "$flink_line" "$weir_line" <<'PY'
import json, sys
q, p, flink, weir = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
f = json.loads(flink) if flink.strip().startswith("{") else {}
w = dict(kv.split("=", 1) for kv in weir.split()[1:])
events = int(w["events"])
def fmt(x): return f"{x/1e6:.2f} M" if x else "n/a"
f_rate = events / f["net_runtime_s"] if f.get("net_runtime_s") else 0
f_cpu = events / f["jvm_cpu_job_s"] if f.get("jvm_cpu_job_s") else 0
w_rate, w_cpu = float(w["events_per_s"]), float(w["events_per_cpu_s"])
ratio = f"{w_cpu / f_cpu:.1f}x" if f_cpu else "n/a"
print(f"| {q} | {p} | JSON files | {fmt(f_rate)} | {fmt(f_cpu)} | {fmt(w_rate)} | {fmt(w_cpu)} | {ratio} |")
PY
  done
done
echo
echo "(logs in $RESULTS)"
