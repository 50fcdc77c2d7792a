#!/usr/bin/env python3
"""Run one of Weir's Nexmark SQL scripts (queries/nexmark/qN.sql) on Apache Flink 2.3
(PyFlink, local MiniCluster, streaming mode) over the peers' JSON files, and measure it.

  $WEIR_PEERS/flink-venv/bin/python benches/flink/nexmark_sql_flink.py --query q5 \\
      --data ~/.cache/weir-peers/data/nexmark_1M [--mode bench|check] [--out DIR] \\
      [--udf-jar count_char.jar] [--result-json FILE] [-p 1]

The script is Weir's, statement for statement; only WITH clauses change:
  - person / auction / bid become filesystem/json tables over DATA/persons.jsonl,
    auctions.jsonl, bids.jsonl (the script's 4 s watermark is kept; no value is cut);
  - q13's side_input (a datagen table in the script, random values) becomes a
    filesystem/csv table of the same 10,000 keys, and since no connector bundled with
    Flink 2.3 is a lookup source (a processing-time temporal join needs one), the
    `FOR SYSTEM_TIME AS OF` is dropped: a regular join with the static side table; the
    joined `value` column is random in Weir (datagen) and is not compared;
  - q14's count_char is the Java UDF benches/flink/CountChar.java (--udf-jar).
mode bench: the result table stays the script's blackhole sink (timing run).
mode check: an append-only result goes to a filesystem/json table in --out; an updating
  one is the INSERT's SELECT, collected with its changelog (+I/-U/+U/-D lines, as Flink's
  Row.toString() prints them) into --out/changelog.txt.
Table options as the Nexmark project's Flink settings (mini-batch 2 s / 50,000 rows,
distinct-aggregate split) and table.local-time-zone UTC, as ../shared/peers/flink does.

Prints one JSON line: query, mode, parallelism, net_runtime_s (Flink's own job runtime),
job_s (submit to finish), jvm_cpu_job_s (the MiniCluster JVM's user+system CPU seconds from
submit to finish), jvm_cpu_total_s (the JVM's CPU from its start, planning included),
peak_rss_mib (the JVM's VmHWM), columns (the result table's columns and types), or error.
"""
import argparse
import json
import os
import re
import sys
import time

from jvm_proc import cpu_seconds, jvm_pid, vm_hwm_mib

APPEND = {"q0", "q1", "q2", "q3", "q7", "q8", "q10", "q11", "q12", "q13", "q14", "q20", "q21", "q22"}
FILES = {"person": "persons.jsonl", "auction": "auctions.jsonl", "bid": "bids.jsonl"}
NEXMARK_CONF = {
    "table.exec.mini-batch.enabled": "true",
    "table.exec.mini-batch.allow-latency": "2s",
    "table.exec.mini-batch.size": "50000",
    "table.optimizer.distinct-agg.split.enabled": "true",
    "table.local-time-zone": "UTC",
}
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def statements(sql):
    """The script's statements (the Nexmark scripts have no ';' inside strings)."""
    body = "\n".join(ln for ln in sql.splitlines() if not ln.lstrip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def split_columns(cols):
    """'a BIGINT, p DECIMAL(23, 3)' -> [('a', 'BIGINT'), ('p', 'DECIMAL(23, 3)')]"""
    parts, depth, cur = [], 0, ""
    for ch in cols:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    out = []
    for p in parts:
        name, typ = p.strip().split(None, 1)
        out.append((name.strip("`"), typ.strip()))
    return out


def with_clause(stmt, options):
    opts = ", ".join(f"'{k}' = '{v}'" for k, v in options.items())
    return re.sub(r"WITH\s*\(.*\)\s*$", f"WITH ({opts})", stmt, flags=re.S)


def side_input_csv(path):
    if not os.path.exists(path):
        with open(path + ".tmp", "w") as f:
            for k in range(10000):
                f.write(f"{k},value{k:05d}\n")
        os.replace(path + ".tmp", path)


def prepare(query, data, mode, out_dir, work):
    """-> (setup statements, final statement, sink columns [(name, type)], updating?)"""
    sql = open(os.path.join(ROOT, "queries", "nexmark", query + ".sql")).read()
    setup, final, columns = [], None, None
    updating = query not in APPEND
    for st in statements(sql):
        m = re.match(r"CREATE TABLE (person|auction|bid) ", st)
        if m:
            setup.append(with_clause(st, {"connector": "filesystem",
                                          "path": "file://" + os.path.join(data, FILES[m.group(1)]),
                                          "format": "json"}))
            continue
        if st.startswith("CREATE TABLE side_input"):
            csv = os.path.join(work, "q13_side_input.csv")
            side_input_csv(csv)
            setup.append(with_clause(st, {"connector": "filesystem", "path": "file://" + csv, "format": "csv"}))
            continue
        m = re.match(rf"CREATE TABLE nexmark_{query} \((.*)\) WITH", st, flags=re.S)
        if m:
            columns = split_columns(m.group(1))
            if mode == "check" and not updating:
                st = with_clause(st, {"connector": "filesystem", "path": "file://" + out_dir, "format": "json"})
            if mode == "check" and updating:
                continue
            setup.append(st)
            continue
        m = re.match(rf"INSERT INTO nexmark_{query}\s+(.*)$", st, flags=re.S)
        if m:
            if query == "q13":
                # no bundled Flink connector is a lookup source: a regular join with the
                # (static) side table instead of the processing-time lookup join
                st = st.replace(" FOR SYSTEM_TIME AS OF B.p_time", "")
                m = re.match(rf"INSERT INTO nexmark_{query}\s+(.*)$", st, flags=re.S)
            final = m.group(1) if (mode == "check" and updating) else st
            continue
        setup.append(st)
    return setup, final, columns, updating


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--query", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--mode", choices=("bench", "check"), default="bench")
    ap.add_argument("--out", help="check mode: result directory (emptied first)")
    ap.add_argument("-p", "--parallelism", type=int, default=1)
    ap.add_argument("--udf-jar", help="jar with weir.nexmark.CountChar (q14)")
    ap.add_argument("--result-json", help="append the JSON line to this file too")
    a = ap.parse_args()

    rec = {"query": a.query, "mode": a.mode, "parallelism": a.parallelism, "data": a.data,
           "load_at_start": open("/proc/loadavg").read().split()[:3]}
    data = os.path.abspath(a.data)
    out_dir = os.path.abspath(a.out) if a.out else None
    if a.mode == "check":
        if not out_dir:
            sys.exit("--mode check needs --out")
        import shutil
        shutil.rmtree(out_dir, ignore_errors=True)
        os.makedirs(out_dir)
    work = os.path.join(os.environ.get("WEIR_PEERS", os.path.expanduser("~/.cache/weir-peers")), "out")
    os.makedirs(work, exist_ok=True)
    os.environ.setdefault("FLINK_LOG_DIR", os.path.join(work, "flink-logs"))
    os.makedirs(os.environ["FLINK_LOG_DIR"], exist_ok=True)
    results_dir = os.path.join(out_dir, "flink") if out_dir else None
    setup, final, columns, updating = prepare(a.query, data, a.mode, results_dir, work)
    rec["columns"] = [{"name": n, "type": t} for n, t in columns]
    rec["updating"] = updating

    from pyflink.table import EnvironmentSettings, TableEnvironment
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    conf = t_env.get_config()
    conf.set("parallelism.default", str(a.parallelism))
    conf.set("pipeline.name", f"weir-nexmark-{a.query}-{a.mode}")
    for k, v in NEXMARK_CONF.items():
        conf.set(k, v)
    if a.udf_jar:
        conf.set("pipeline.jars", "file://" + os.path.abspath(a.udf_jar))
    pid = jvm_pid()
    try:
        for st in setup:
            t_env.execute_sql(st)
        cpu0, t0 = cpu_seconds(pid), time.time()
        if a.mode == "check" and updating:
            from pyflink.java_gateway import get_gateway
            res = t_env.sql_query(final).execute()
            j_it = res._j_table_result.collect()
            gw = get_gateway()
            try:
                text = gw.jvm.org.apache.commons.lang3.StringUtils.join(j_it, "\n")
            finally:
                j_it.close()
            with open(os.path.join(out_dir, "changelog.txt"), "w") as f:
                if text:
                    f.write(text + "\n")
            rec["changelog_rows"] = text.count("\n") + 1 if text else 0
        else:
            res = t_env.execute_sql(final)
            res.wait()
        rec["job_s"] = round(time.time() - t0, 3)
        rec["jvm_cpu_job_s"] = round(cpu_seconds(pid) - cpu0, 2)
        try:
            jr = res.get_job_client().get_job_execution_result().result()
            rec["net_runtime_s"] = round(jr.get_net_runtime() / 1000.0, 3)
        except Exception as e:  # noqa: BLE001
            rec["net_runtime_note"] = str(e).splitlines()[0][:200]
        rec["status"] = "ok"
    except Exception as e:  # noqa: BLE001
        lines = [ln.strip() for ln in str(e).splitlines() if ln.strip() and not ln.strip().startswith("at ")]
        rec["status"] = "error"
        rec["error"] = " | ".join(lines[:6])[:1500]
    rec["jvm_cpu_total_s"] = round(cpu_seconds(pid), 2)
    rec["peak_rss_mib"] = round(vm_hwm_mib(pid), 1)
    line = json.dumps(rec)
    print(line, flush=True)
    if a.result_json:
        with open(a.result_json, "a") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
