#!/usr/bin/env python3
"""Compare Weir's Nexmark SQL result with Flink's, in the peers' canonical form.

  python3 benches/flink/nexmark_compare.py QUERY FLINK_OUT WEIR_OUT FLINK_JSON [--diff FILE]

FLINK_OUT: the --out directory of nexmark_sql_flink.py --mode check (JSON files under
  flink/, or changelog.txt with +I/-U/+U/-D lines for an updating result).
WEIR_OUT: the --output directory of `weir nexmark --api sql` (JSON lines; an updating
  result carries an "op" field on every row).
FLINK_JSON: the JSON line nexmark_sql_flink.py printed (for the result's columns/types).

Values are canonicalised by ../shared/peers/flink/canon.py (type-aware: integers, decimals
at their scale, timestamps 'yyyy-MM-dd HH:mm:ss.SSS', ...); changelogs are folded into the
final table. What is compared, per query:
  q12  processing-time windows: window bounds and the split into windows depend on the
       wall clock, so only each bidder's total bid count (summed over its windows);
  q13  the joined side-table `value` is random (datagen) in Weir: every column but it;
  else every column of every row.
Prints `equal rows=N sha256=...` or `DIFFERENT flink_rows=.. weir_rows=.. missing=..
unexpected=..` with the first differing rows; --diff FILE writes all of them.
"""
import argparse
import collections
import hashlib
import json
import os
import sys

PEERS = os.environ.get("PEERS") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "..", "shared", "peers")
sys.path.insert(0, os.path.join(PEERS, "flink"))
import canon  # noqa: E402


def json_rows(path, names, tcs, folding):
    """Canonical lines of JSON-lines files under path; with folding, rows carry 'op'."""
    want = [n.lower() for n in names]
    state = collections.Counter()
    rows = []
    for f in canon.data_files(path):
        with open(f, encoding="utf-8") as fh:
            for raw in fh:
                raw = raw.strip()
                if not raw:
                    continue
                obj = json.loads(raw, parse_float=canon.decimal.Decimal)
                low = {k.lower(): v for k, v in obj.items()}
                op = low.pop("op", None)
                line = canon.canon_line([low.get(n) for n in want], tcs)
                if op is None:
                    rows.append(line)
                elif op in ("+I", "+U"):
                    state[line] += 1
                elif op in ("-U", "-D"):
                    state[line] -= 1
                else:
                    raise SystemExit(f"{f}: unknown op {op!r}")
    neg = [ln for ln, c in state.items() if c < 0]
    if neg:
        print(f"warning: {len(neg)} rows retracted more often than added, e.g. {neg[0]}", file=sys.stderr)
    for ln, c in state.items():
        rows.extend([ln] * max(c, 0))
    return rows


def flink_rows(out, names, tcs):
    changelog = os.path.join(out, "changelog.txt")
    if os.path.exists(changelog):
        with open(changelog, encoding="utf-8") as f:
            events = canon.parse_print_lines(f.read().splitlines(), names, tcs)
        rows, problems = canon.fold_changelog(events)
        if problems:
            print(f"warning: Flink changelog: {problems[0]}", file=sys.stderr)
        return rows
    return json_rows(os.path.join(out, "flink"), names, tcs, False)


def comparable(query, names, rows):
    """The part of the result that is deterministic (see the module doc)."""
    if query == "q13":
        i = [n.lower() for n in names].index("value")
        return [json.dumps(json.loads(r)[:i] + json.loads(r)[i + 1:]) for r in rows], "all columns but value"
    if query == "q12":
        totals = collections.Counter()
        for r in rows:
            v = json.loads(r)
            totals[v[0]] += v[1]
        return [json.dumps([b, n]) for b, n in totals.items()], "per-bidder totals"
    return rows, "all columns"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("query")
    ap.add_argument("flink_out")
    ap.add_argument("weir_out")
    ap.add_argument("flink_json")
    ap.add_argument("--diff")
    a = ap.parse_args()
    with open(a.flink_json) as f:
        rec = json.loads([ln for ln in f if ln.startswith("{")][-1])
    names = [c["name"] for c in rec["columns"]]
    tcs = [canon.type_class(c["type"]) for c in rec["columns"]]
    fr, what = comparable(a.query, names, flink_rows(a.flink_out, names, tcs))
    wr, _ = comparable(a.query, names, json_rows(a.weir_out, names, tcs, True))
    fr.sort()
    wr.sort()
    h = hashlib.sha256("".join(r + "\n" for r in wr).encode()).hexdigest()
    if fr == wr:
        print(f"equal rows={len(wr)} compared={what!r} sha256={h}")
        return 0
    cf, cw = collections.Counter(fr), collections.Counter(wr)
    missing = sorted((cf - cw).elements())
    extra = sorted((cw - cf).elements())
    print(f"DIFFERENT flink_rows={len(fr)} weir_rows={len(wr)} compared={what!r} "
          f"missing_in_weir={len(missing)} unexpected_in_weir={len(extra)}")
    for r in missing[:5]:
        print(f"  flink only: {r[:300]}")
    for r in extra[:5]:
        print(f"  weir only:  {r[:300]}")
    if a.diff:
        with open(a.diff, "w") as f:
            f.writelines(f"- {r}\n" for r in missing)
            f.writelines(f"+ {r}\n" for r in extra)
    return 1


if __name__ == "__main__":
    sys.exit(main())
