#!/usr/bin/env python3
"""Apache Flink side of the sliding-window benchmark: per auction, the number of bids in
10-second windows sliding by SLIDE, over the peers' bids.jsonl (event time = dateTime,
watermark 4 s behind), into Flink's blackhole sink. Prints one JSON line with the net job
runtime and the JVM's CPU seconds during the job.

Run with the peers' venv (made by ../shared/peers/flink/run.sh):
  $WEIR_PEERS/flink-venv/bin/python benches/flink_sliding.py --data DIR --slide-ms 1000 [--parallelism 1]
"""
import argparse
import json
import os
import time


def jvm_pid():
    me = os.getpid()
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{p}/cmdline", "rb") as f:
                if parent == me and b"java" in f.read():
                    return int(p)
        except (OSError, ValueError):
            pass
    return None


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--slide-ms", type=int, required=True)
    ap.add_argument("--size-ms", type=int, default=10_000)
    ap.add_argument("--parallelism", type=int, default=1)
    a = ap.parse_args()

    from pyflink.table import EnvironmentSettings, TableEnvironment
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    pid = jvm_pid()
    conf = t_env.get_config()
    conf.set("parallelism.default", str(a.parallelism))
    conf.set("table.local-time-zone", "UTC")
    t_env.execute_sql(f"""
        CREATE TABLE bid (
          auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
          `dateTime` TIMESTAMP(3), extra VARCHAR,
          WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND
        ) WITH ('connector' = 'filesystem', 'path' = '{os.path.join(a.data, "bids.jsonl")}', 'format' = 'json')""")
    t_env.execute_sql("CREATE TABLE `sliding_out` (auction BIGINT, num BIGINT) WITH ('connector' = 'blackhole')")
    cpu0 = cpu_seconds(pid)
    started = time.time()
    result = t_env.execute_sql(f"""
        INSERT INTO `sliding_out`
        SELECT auction, COUNT(*) FROM TABLE(HOP(TABLE bid, DESCRIPTOR(`dateTime`),
            INTERVAL '{a.slide_ms / 1000:.3f}' SECOND, INTERVAL '{a.size_ms / 1000:.3f}' SECOND))
        GROUP BY auction, window_start, window_end""")
    result.wait()
    wall = time.time() - started
    net = result.get_job_client().get_job_execution_result().result().get_net_runtime() / 1000.0
    cpu = cpu_seconds(pid) - cpu0
    print(json.dumps({"engine": "flink", "size_ms": a.size_ms, "slide_ms": a.slide_ms, "parallelism": a.parallelism,
                      "net_runtime_s": net, "job_wall_s": round(wall, 3), "jvm_cpu_job_s": round(cpu, 2)}))


if __name__ == "__main__":
    main()
