#!/usr/bin/env python3
"""The markdown table of benches/nexmark_sql_vs_flink.sh's records (JSON lines).

  python3 benches/flink/nexmark_table.py RECORDS

For each query the latest record of each kind is used: Flink's events per CPU-second are
the data set's events over the JVM's CPU seconds during the job; Weir's come from its
RESULT line. A bench run on another data set than 10M is marked with its size.
"""
import json
import sys

EVENTS = {"1M": 1_000_000, "10M": 10_000_000}


def fmt_rate(x):
    return f"{x / 1e6:.2f} M" if x else "—"


def fmt_mib(m):
    if m is None:
        return "—"
    m = float(m)
    return f"{m / 1024:.1f} GiB" if m >= 1024 else f"{m:.0f} MiB"


def main():
    latest = {}
    for line in open(sys.argv[1]):
        if line.strip():
            r = json.loads(line)
            latest[(r["query"], r["kind"])] = r
    qs = sorted({q for q, _ in latest}, key=lambda q: int(q[1:]))
    print("| query | Flink events/CPU-s | Flink peak RSS | Weir SQL events/CPU-s | Weir SQL peak RSS "
          "| Weir DataStream events/CPU-s | Weir SQL / Flink | result equal to Flink (1M) |")
    print("|---|---|---|---|---|---|---|---|")
    for q in qs:
        f = latest.get((q, "flink-bench"), {})
        w = latest.get((q, "weir-sql-bench"), {})
        d = latest.get((q, "weir-ds-bench"), {})
        c = latest.get((q, "compare"), {})
        note = ""
        ev = EVENTS.get(f.get("events") or w.get("events"), 0)
        if (f.get("events") or w.get("events")) not in (None, "10M"):
            note = f" ({f.get('events') or w.get('events')} events)"
        f_rate = ev / f["jvm_cpu_job_s"] if f.get("status") == "ok" and f.get("jvm_cpu_job_s") else 0
        f_cell = fmt_rate(f_rate) + note if f_rate else ("error" if f.get("status") == "error" else "—")
        w_rate = float(w["events_per_cpu_s"]) if "events_per_cpu_s" in w else 0
        d_rate = float(d["events_per_cpu_s"]) if "events_per_cpu_s" in d else 0
        ratio = f"{w_rate / f_rate:.1f}×" if f_rate and w_rate else "—"
        v = c.get("verdict", "—")
        if v.startswith("equal"):
            rows = v.split("rows=")[1].split()[0]
            what = v.split("compared=")[1].split(" sha256=")[0].strip("'")
            verdict = f"yes ({int(rows):,} rows" + ("" if what == "all columns" else f"; {what}") + ")"
        elif v.startswith("DIFFERENT"):
            verdict = "no: " + v.splitlines()[0].split(" compared=")[0].replace("DIFFERENT ", "")
        elif v.startswith("not compared"):
            verdict = "not compared (Flink: error)" if '"status": "error"' in v else "not compared"
        else:
            verdict = v
        print(f"| {q} | {f_cell} | {fmt_mib(f.get('peak_rss_mib')) if f_rate else '—'} | {fmt_rate(w_rate)}{note if w_rate else ''} "
              f"| {fmt_mib(w.get('peak_rss_mib')) if w_rate else '—'} | {fmt_rate(d_rate)} | {ratio} | {verdict} |")


if __name__ == "__main__":
    main()
