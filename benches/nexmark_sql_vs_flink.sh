#!/usr/bin/env bash
# Every Nexmark SQL script of queries/nexmark/ on Weir and on Apache Flink 2.3, over the same
# JSON files of the peers' data set: results compared, speed measured, one after the other.
#
#   benches/nexmark_sql_vs_flink.sh STEP [QUERIES] [EVENTS]
#     STEP     check  both engines write their result over nexmark_<EVENTS> (default 1M) and
#                     the results are compared (benches/flink/nexmark_compare.py)
#              bench  timing runs over nexmark_<EVENTS> (default 10M) at parallelism 1:
#                     Flink with its blackhole sink, then `weir nexmark --api sql`, then
#                     `weir nexmark --api datastream` where a DataStream version exists
#              table  the markdown table of the records collected so far
#     QUERIES  default "q0 q1 ... q22"
#   env: PEERS (default ../shared/peers), WEIR_PEERS (default ~/.cache/weir-peers),
#        RECORDS (JSON lines of every run; default $WEIR_PEERS/out/sql_vs_flink.jsonl),
#        FLINK_TIMEOUT (seconds, default 600: a Flink run killed after it is recorded as such),
#        WEIR (the weir binary; default: built here with cargo build --release)
#        FLINK_ONLY=1 runs Flink alone (check: and keeps its results); WEIR_ONLY=1 (bench) runs
#        Weir alone; REUSE_FLINK=1 (check) compares Weir with the kept Flink results instead
#        of running Flink again
#
# Flink runs benches/flink/nexmark_sql_flink.py in the peers' venv (made by
# $PEERS/flink/run.sh): the same SQL script as Weir with the tables' WITH options pointed at
# the files; its CPU is the MiniCluster JVM's user+system time from job submission to end,
# its memory the JVM's peak RSS (VmHWM). Weir's figures are its RESULT line (process CPU
# time, peak RSS). Events = all events of the data set (persons, auctions and bids).
# Outputs go under $WEIR_PEERS/out/sqlcmp/ (never into the repository) and are deleted
# after comparison unless KEEP=1.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS="${PEERS:-$ROOT/../shared/peers}"
export PEERS
WP="${WEIR_PEERS:-$HOME/.cache/weir-peers}"
PY="$WP/flink-venv/bin/python"
STEP="${1:?usage: nexmark_sql_vs_flink.sh check|bench|table [QUERIES] [EVENTS]}"
QUERIES="${2:-q0 q1 q2 q3 q4 q5 q6 q7 q8 q9 q10 q11 q12 q13 q14 q15 q16 q17 q18 q19 q20 q21 q22}"
RECORDS="${RECORDS:-$WP/out/sql_vs_flink.jsonl}"
FLINK_TIMEOUT="${FLINK_TIMEOUT:-600}"
OUT="$WP/out/sqlcmp"
mkdir -p "$OUT" "$(dirname "$RECORDS")"
DATASTREAM="q0 q1 q2 q5 q7 q8 q11 q12"

if [[ "$STEP" == table ]]; then
  exec python3 "$ROOT/benches/flink/nexmark_table.py" "$RECORDS"
fi
case "$STEP" in
  check) EVENTS="${3:-1M}" ;;
  bench) EVENTS="${3:-10M}" ;;
  *) echo "STEP must be check, bench or table" >&2; exit 2 ;;
esac
DATA="$WP/data/nexmark_$EVENTS"
[[ -f "$DATA/meta.json" ]] || { echo "no data set $DATA (make it with $PEERS/flink/run.sh q0 1 $EVENTS)" >&2; exit 1; }
[[ -x "$PY" ]] || { echo "no Flink venv at $PY (make it with $PEERS/flink/run.sh)" >&2; exit 1; }

if [[ -z "${WEIR:-}" && "${FLINK_ONLY:-0}" != 1 ]]; then
  cargo build --release -q -p weir-cli --manifest-path "$ROOT/Cargo.toml"
  WEIR="$(cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/weir"
fi

# q14's user function for Flink
UDF="$OUT/count_char.jar"
if [[ ! -f "$UDF" ]]; then
  LIB="$("$PY" -c 'import pyflink, os; print(os.path.join(os.path.dirname(pyflink.__file__), "lib"))')"
  rm -rf "$OUT/udf" && mkdir -p "$OUT/udf"
  javac -cp "$LIB/flink-table-api-java-uber-2.3.0.jar:$LIB/flink-dist-2.3.0.jar" -d "$OUT/udf" \
    "$ROOT/benches/flink/CountChar.java"
  (cd "$OUT/udf" && jar cf "$UDF" weir)
fi

record() {  # record KIND QUERY JSON-OR-RESULT-LINE [extra json fields]
  python3 - "$@" >> "$RECORDS" <<'PY'
import json, sys, time
kind, q, line = sys.argv[1], sys.argv[2], sys.argv[3]
extra = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
if line.startswith("{"):
    rec = json.loads(line)
elif line.startswith("RESULT"):
    rec = {k: v for k, v in (kv.split("=", 1) for kv in line.split()[1:])}
else:
    rec = {"status": "error", "error": line[:1500]}
rec.update(extra)
rec.update({"kind": kind, "query": q, "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "load": open("/proc/loadavg").read().split()[:3]})
print(json.dumps(rec))
PY
}

flink() {  # flink QUERY MODE [OUTDIR] -> the JSON line (or an error line)
  local q="$1" mode="$2" out="${3:-}" log="$OUT/flink_${1}_${2}_$EVENTS.log"
  local args=(--query "$q" --data "$DATA" --mode "$mode" -p 1 --udf-jar "$UDF")
  [[ -n "$out" ]] && args+=(--out "$out")
  if timeout "$FLINK_TIMEOUT" "$PY" "$ROOT/benches/flink/nexmark_sql_flink.py" "${args[@]}" > "$log" 2> "$log.err"; then
    grep '^{' "$log" | tail -n 1
  else
    echo "Flink run failed or passed ${FLINK_TIMEOUT}s (exit $?); see $log.err"
  fi
}

weir() {  # weir QUERY API [OUTDIR] -> the RESULT line (or an error line)
  local q="$1" api="$2" out="${3:-}" log="$OUT/weir_${1}_${2}_$EVENTS.log"
  local args=(nexmark --api "$api" --query "$q" --input "$DATA" -p 1)
  [[ -n "$out" ]] && args+=(--output "$out")
  if "$WEIR" "${args[@]}" > "$log" 2>&1; then
    grep '^RESULT' "$log" | tail -n 1
  else
    echo "weir failed: $(tail -n 3 "$log" | tr '\n' ' ')"
  fi
}

for q in $QUERIES; do
  if [[ "$STEP" == check ]]; then
    fo="$OUT/flink_${q}_$EVENTS" wo="$OUT/weir_${q}_$EVENTS"
    rm -rf "$wo"
    if [[ "${REUSE_FLINK:-0}" == 1 && -f "$fo.json" ]]; then
      fl="$(cat "$fo.json")"
    else
      rm -rf "$fo"
      fl="$(flink "$q" check "$fo")"
      record flink-check "$q" "$fl" "{\"events\": \"$EVENTS\"}"
      echo "$fl" > "$fo.json"
    fi
    if [[ "${FLINK_ONLY:-0}" == 1 ]]; then
      echo "$q flink: ${fl:0:300}"
      continue
    fi
    wl="$(weir "$q" sql "$wo")"
    record weir-check "$q" "$wl" "{\"events\": \"$EVENTS\"}"
    if [[ "$fl" == "{"*'"status": "ok"'* && "$wl" == RESULT* ]]; then
      verdict="$(python3 "$ROOT/benches/flink/nexmark_compare.py" "$q" "$fo" "$wo" "$fo.json" \
        --diff "$OUT/diff_$q.txt" 2>&1 || true)"
    else
      verdict="not compared: flink: ${fl:0:300} / weir: ${wl:0:200}"
    fi
    echo "$q: $verdict"
    record compare "$q" "{}" "$(python3 -c 'import json,sys; print(json.dumps({"verdict": sys.argv[1], "events": sys.argv[2]}))' "$verdict" "$EVENTS")"
    [[ "${KEEP:-0}" == 1 ]] || rm -rf "$fo" "$fo.json" "$wo"
  else
    if [[ "${WEIR_ONLY:-0}" != 1 ]]; then
      fl="$(flink "$q" bench)"
      record flink-bench "$q" "$fl" "{\"events\": \"$EVENTS\"}"
      echo "$q flink: ${fl:0:400}"
    fi
    [[ "${FLINK_ONLY:-0}" == 1 ]] && continue
    wl="$(weir "$q" sql)"
    record weir-sql-bench "$q" "$wl" "{\"events\": \"$EVENTS\"}"
    echo "$q weir sql: $wl"
    if [[ " $DATASTREAM " == *" $q "* ]]; then
      dl="$(weir "$q" datastream)"
      record weir-ds-bench "$q" "$dl" "{\"events\": \"$EVENTS\"}"
      echo "$q weir datastream: $dl"
    fi
  fi
done
