#!/usr/bin/env python3
"""Turn the Nexmark SQL scripts of this folder into SQL test scenarios (see
crates/weir-sql/tests/scenarios/ and ../shared/peers/README.md) over one small, shared data set,
so that every query's result is checked against Apache Flink's by `cargo test`.

  weir nexmark generate --events 2000 --seed 42 --rate 100 --out /tmp/nx
  python3 queries/nexmark/make_scenarios.py /tmp/nx crates/weir-sql/tests/scenarios
  ~/.cache/weir-peers/flink-venv/bin/python ../shared/peers/flink/flink_sql_run.py \\
      crates/weir-sql/tests/scenarios/nexmark-q* --update-meta

The data set is copied into SCENARIOS/_nexmark_data with the long padding strings (extra,
description, itemName) cut to 8 characters to keep the repository small; each scenario's
data/ is a symbolic link to it. The scripts' nexmark tables become filesystem/json tables over
those files; an append-only query inserts into a filesystem table at ${OUT}, an updating one
ends with its plain SELECT (its changelog is folded into the final table).
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
APPEND = ["q0", "q1", "q2", "q3", "q7", "q8", "q10", "q11", "q20", "q21", "q22"]
UPDATING = ["q4", "q5", "q9", "q15", "q16", "q17", "q18", "q19"]
FILES = {"person": "persons.jsonl", "auction": "auctions.jsonl", "bid": "bids.jsonl"}
CUT = ("extra", "description", "itemName")


def copy_data(src, dst):
    os.makedirs(dst, exist_ok=True)
    for name in FILES.values():
        with open(os.path.join(src, name)) as f, open(os.path.join(dst, name), "w") as out:
            for line in f:
                row = json.loads(line)
                for k in CUT:
                    if k in row:
                        row[k] = row[k][:8]
                out.write(json.dumps(row, separators=(",", ":")) + "\n")


def statements(sql):
    body = "\n".join(l for l in sql.splitlines() if not l.startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def scenario(q, root):
    sql = open(os.path.join(HERE, q + ".sql")).read()
    title = sql.splitlines()[0].lstrip("- ").strip()
    out = []
    select = None
    for st in statements(sql):
        m = re.match(r"CREATE TABLE (person|auction|bid) ", st)
        if m:
            path = "${DATA}/" + FILES[m.group(1)]
            out.append(re.sub(r"WITH \(.*\)\s*$",
                              f"WITH ('connector' = 'filesystem', 'path' = '{path}', 'format' = 'json')",
                              st, flags=re.S))
            continue
        m = re.match(rf"CREATE TABLE nexmark_{q} \((.*)\) WITH", st, flags=re.S)
        if m:
            columns = m.group(1).strip()
            continue
        m = re.match(rf"INSERT INTO nexmark_{q}\s+(.*)$", st, flags=re.S)
        if m:
            select = m.group(1)
            continue
        out.append(st)
    kind = "append" if q in APPEND else "updating"
    if kind == "append":
        out.append(f"CREATE TABLE `out` (\n  {columns}\n) WITH ('connector' = 'filesystem', 'path' = '${{OUT}}', "
                   "'format' = 'json')")
        out.append(f"INSERT INTO `out`\n{select}")
    else:
        out.append(select)
    d = os.path.join(root, f"nexmark-{q}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "query.sql"), "w") as f:
        f.write(f"-- {title}\n-- Made from queries/nexmark/{q}.sql by queries/nexmark/make_scenarios.py.\n\n")
        f.write(";\n\n".join(out) + ";\n")
    link = os.path.join(d, "data")
    if not os.path.islink(link):
        os.symlink("../_nexmark_data", link)
    meta_path = os.path.join(d, "meta.json")
    meta = json.load(open(meta_path)) if os.path.exists(meta_path) else {"columns": []}
    meta.update({"kind": kind, "description": title,
                 "inputs": sorted({FILES[t] for t in FILES if f"CREATE TABLE {t} " in sql})})
    with open(meta_path, "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")


def main():
    src, root = sys.argv[1], sys.argv[2]
    copy_data(src, os.path.join(root, "_nexmark_data"))
    for q in APPEND + UPDATING:
        scenario(q, root)


if __name__ == "__main__":
    main()
