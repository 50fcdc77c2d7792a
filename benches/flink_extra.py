#!/usr/bin/env python3
"""Apache Flink runs of the Nexmark queries the peers harness does not cover (q11, q12)
and of the sliding-window cost benchmark, over the peers' bids.jsonl (event time =
dateTime, watermark 4 s behind, as the Nexmark DDL). Sinks: Flink's blackhole (timing) or
filesystem JSON (results, for comparison with Weir). Prints one JSON line: net job
runtime, the JVM's CPU seconds during the job, and with --out the canonical rows' count
and sha256 (values joined by '|', sorted).

Run with the peers' venv (made by ../shared/peers/flink/run.sh):
  $WEIR_PEERS/flink-venv/bin/python benches/flink_extra.py --query q11 --data DIR [--parallelism P] [--out DIR]
  ... --query sliding --slide-ms 100
  ... --query q11 --data DIR --canon WEIR_OUTPUT_DIR     (canonical form of another engine's rows)
"""
import argparse
import glob
import hashlib
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "flink"))
from jvm_proc import cpu_seconds, jvm_pid  # noqa: E402

QUERIES = {
    # q11: bids per bidder session (10 s gap)
    "q11": ("bidder BIGINT, bid_count BIGINT, starttime TIMESTAMP(3), endtime TIMESTAMP(3)",
            """SELECT B.bidder, COUNT(*), SESSION_START(B.`dateTime`, INTERVAL '10' SECOND),
                      SESSION_END(B.`dateTime`, INTERVAL '10' SECOND)
               FROM bid B GROUP BY B.bidder, SESSION(B.`dateTime`, INTERVAL '10' SECOND)"""),
    # q12: bids per bidder per 10 s processing-time window
    "q12": ("bidder BIGINT, bid_count BIGINT, starttime TIMESTAMP_LTZ(3), endtime TIMESTAMP_LTZ(3)",
            """SELECT B.bidder, COUNT(*), TUMBLE_START(B.p_time, INTERVAL '10' SECOND),
                      TUMBLE_END(B.p_time, INTERVAL '10' SECOND)
               FROM (SELECT *, PROCTIME() AS p_time FROM bid) B
               GROUP BY B.bidder, TUMBLE(B.p_time, INTERVAL '10' SECOND)"""),
    # sliding: per auction, bids in 10 s windows sliding by --slide-ms
    "sliding": ("auction BIGINT, num BIGINT",
                """SELECT auction, COUNT(*) FROM TABLE(HOP(TABLE bid, DESCRIPTOR(`dateTime`),
                       INTERVAL '{slide}' SECOND, INTERVAL '{size}' SECOND))
                   GROUP BY auction, window_start, window_end"""),
}


def canon_value(v):
    s = str(v).replace("T", " ").rstrip("Z")
    # Flink's JSON writer trims trailing zeros of milliseconds: pad to yyyy-MM-dd HH:mm:ss.SSS.
    if len(s) >= 19 and s[4] == "-" and s[13] == ":":
        s = (s + ".000") if len(s) == 19 else s.ljust(23, "0")
    return s


def canonical(out_dir, columns):
    rows = []
    for path in glob.glob(os.path.join(out_dir, "**", "*"), recursive=True):
        if os.path.isfile(path) and not os.path.basename(path).startswith("."):
            with open(path) as f:
                for line in f:
                    o = json.loads(line)
                    rows.append("|".join(canon_value(o[c]) for c in columns))
    rows.sort()
    digest = hashlib.sha256("".join(r + "\n" for r in rows).encode()).hexdigest()
    return len(rows), digest


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--query", required=True, choices=sorted(QUERIES))
    ap.add_argument("--data", required=True)
    ap.add_argument("--parallelism", type=int, default=1)
    ap.add_argument("--slide-ms", type=int, default=2000)
    ap.add_argument("--size-ms", type=int, default=10_000)
    ap.add_argument("--out", help="write JSON rows here (emptied first) instead of the blackhole sink")
    ap.add_argument("--canon", metavar="DIR", help="only print the canonical rows and sha256 of JSON rows in DIR "
                    "(e.g. Weir's output) in the same form, and exit")
    a = ap.parse_args()
    if a.canon:
        names = [c.strip().split()[0].strip("`") for c in QUERIES[a.query][0].split(",")]
        rows, digest = canonical(a.canon, names)
        print(json.dumps({"rows": rows, "sha256": digest}))
        return

    from pyflink.table import EnvironmentSettings, TableEnvironment
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    pid = jvm_pid()
    conf = t_env.get_config()
    conf.set("parallelism.default", str(a.parallelism))
    conf.set("table.local-time-zone", "UTC")
    bids = os.path.join(a.data, "bids.jsonl")
    if a.parallelism > 1 and os.path.isdir(os.path.join(a.data, f"parts{a.parallelism}", "bids")):
        bids = os.path.join(a.data, f"parts{a.parallelism}", "bids")
    t_env.execute_sql(f"""
        CREATE TABLE bid (
          auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
          `dateTime` TIMESTAMP(3), extra VARCHAR,
          WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND
        ) WITH ('connector' = 'filesystem', 'path' = '{bids}', 'format' = 'json')""")
    cols, select = QUERIES[a.query]
    select = select.format(slide=f"{a.slide_ms / 1000:.3f}", size=f"{a.size_ms / 1000:.3f}")
    if a.out:
        shutil.rmtree(a.out, ignore_errors=True)
        t_env.execute_sql(f"CREATE TABLE `q_out` ({cols}) WITH ('connector' = 'filesystem', "
                          f"'path' = '{a.out}', 'format' = 'json')")
    else:
        t_env.execute_sql(f"CREATE TABLE `q_out` ({cols}) WITH ('connector' = 'blackhole')")
    cpu0 = cpu_seconds(pid)
    started = time.time()
    result = t_env.execute_sql(f"INSERT INTO `q_out` {select}")
    result.wait()
    line = {"engine": "flink", "query": a.query, "parallelism": a.parallelism,
            "net_runtime_s": result.get_job_client().get_job_execution_result().result().get_net_runtime() / 1000.0,
            "job_wall_s": round(time.time() - started, 3), "jvm_cpu_job_s": round(cpu_seconds(pid) - cpu0, 2)}
    if a.query == "sliding":
        line.update(size_ms=a.size_ms, slide_ms=a.slide_ms)
    if a.out:
        names = [c.strip().split()[0].strip("`") for c in cols.split(",")]
        line["rows"], line["sha256"] = canonical(a.out, names)
    print(json.dumps(line))


if __name__ == "__main__":
    main()
