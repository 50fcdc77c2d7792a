#!/usr/bin/env bash
# Nexmark through SQL and through the DataStream API on the same generated events, one
# query after the other: the RESULT lines of `weir nexmark` (events, rows, wall and CPU
# seconds, events per CPU-second, peak memory).
#
#   benches/nexmark_sql.sh [EVENTS] [PARALLELISM] [WEIR_BIN]
#   benches/nexmark_sql.sh 10000000 1
set -euo pipefail
EVENTS="${1:-10000000}"
P="${2:-1}"
WEIR="${3:-target/release/weir}"
[[ -x "$WEIR" ]] || cargo build --release -p weir-cli
SQL_QUERIES="q0 q1 q2 q3 q4 q5 q7 q8 q9 q10 q11 q14 q15 q16 q17 q18 q19 q20 q21 q22"
DATASTREAM_QUERIES="q0 q1 q2 q5 q7 q8 q11"
for q in $SQL_QUERIES; do
  "$WEIR" nexmark --api sql --query "$q" --events "$EVENTS" -p "$P" 2>/dev/null | grep '^RESULT'
done
for q in $DATASTREAM_QUERIES; do
  "$WEIR" nexmark --api datastream --query "$q" --events "$EVENTS" -p "$P" 2>/dev/null | grep '^RESULT'
done
