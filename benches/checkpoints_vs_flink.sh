#!/usr/bin/env bash
# Checkpoint duration and size of Weir and Apache Flink on the same Nexmark files, with
# aligned checkpoints every INTERVAL into a local directory.
#
#   benches/checkpoints_vs_flink.sh [QUERIES] [PARALLELISM] [EVENTS] [INTERVAL]
#     QUERIES      default "q5 q7"
#     PARALLELISM  default 2
#     EVENTS       default 10M (the peer harness's files, ~/.cache/weir-peers/data/nexmark_<EVENTS>)
#     INTERVAL     default 1s
#   WEIR=path uses that binary instead of building target/release/weir.
#
# Flink runs through ../shared/peers/flink/run.sh (blackhole sink); its durations and sizes
# are read from the "Completed checkpoint N for job … (B bytes, checkpointDuration=D ms, …)"
# lines of its log. Weir runs the SQL script (`--api sql`) and the DataStream query, with
# the exactly-once file sink; its figures are the ones `weir nexmark` prints.
# Flink's size is the checkpoint's full state size as its coordinator reports it; Weir's is
# the bytes of the checkpoint's files. Durations are from trigger to completion in both.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS="${PEERS:-$ROOT/../shared/peers/flink}"
QUERIES="${1:-q5 q7}"
P="${2:-2}"
EVENTS="${3:-10M}"
INTERVAL="${4:-1s}"
DATA="${WEIR_PEERS:-$HOME/.cache/weir-peers}/data/nexmark_$EVENTS"
LOG="${WEIR_PEERS:-$HOME/.cache/weir-peers}/logs/flink-root-python-vm.log"
if [ -z "${WEIR:-}" ]; then
  cargo build --release -q -p weir-cli --manifest-path "$ROOT/Cargo.toml"
  WEIR="$ROOT/target/release/weir"
fi
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

flink_summary() { # the completed-checkpoint lines of one job in the log -> summary
  python3 - "$1" <<'PY'
import re, statistics, sys
rows = [(int(b), int(d)) for b, d in re.findall(r"Completed checkpoint \d+ for job \w+ \((\d+) bytes, checkpointDuration=(\d+) ms", open(sys.argv[1]).read())]
if not rows:
    print("no completed checkpoints"); sys.exit()
sizes, durs = [r[0] for r in rows], [r[1] for r in rows]
print(f"{len(rows)} | {statistics.mean(durs):.0f} / {max(durs)} ms | {sizes[-1]/1024:.1f} KiB / {max(sizes)/1024:.1f} KiB")
PY
}

weir_summary() {
  local n dur size
  n=$(sed -n 's/^checkpoints *\([0-9]*\)/\1/p' "$1")
  dur=$(sed -n 's/^checkpoint time *\([0-9.]*\) ms mean, \([0-9]*\) ms max.*/\1 \/ \2 ms/p' "$1")
  size=$(sed -n 's/^checkpoint size *\([0-9.]*\) KiB last, \([0-9.]*\) KiB max.*/\1 KiB \/ \2 KiB/p' "$1")
  echo "${n:-0} | ${dur:-–} | ${size:-–}"
}

echo "| engine | query | p | events | job CPU-s | checkpoints | duration mean / max | size last / max |"
echo "|---|---|---|---|---|---|---|---|"
for q in $QUERIES; do
  rm -rf "$TMP/fck"
  FLINK_EXTRA="--conf execution.checkpointing.interval=$INTERVAL --conf execution.checkpointing.dir=file://$TMP/fck" \
    "$PEERS/run.sh" "$q" "$P" "$EVENTS" bench > "$TMP/flink.out" 2>&1
  # Each run of the harness starts the log afresh.
  cp "$LOG" "$TMP/flink.log"
  cpu=$(python3 -c "import json,sys; l=[x for x in open('$TMP/flink.out') if x.startswith('{')][-1]; print(json.loads(l)['jvm_cpu_job_s'])")
  echo "| Flink 2.3 (SQL) | $q | $P | $EVENTS | $cpu | $(flink_summary "$TMP/flink.log") |"
  for api in sql datastream; do
    rm -rf "$TMP/ck" "$TMP/out"
    "$WEIR" nexmark --api "$api" --query "$q" --input "$DATA" -p "$P" --checkpoint-dir "$TMP/ck" \
      --checkpoint-interval "$INTERVAL" --output "$TMP/out" > "$TMP/weir.log" 2>&1
    cpu=$(sed -n 's/.* cpu_s=\([0-9.]*\).*/\1/p' "$TMP/weir.log")
    echo "| Weir ($api) | $q | $P | $EVENTS | $cpu | $(weir_summary "$TMP/weir.log") |"
  done
done
