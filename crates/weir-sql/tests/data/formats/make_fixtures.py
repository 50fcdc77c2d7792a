"""Makes the Avro and Parquet fixtures of tests/integration/format_avro.rs and tests/integration/format_parquet.rs
with independent implementations (fastavro, pyarrow), so Weir's readers are checked against
files Weir did not write. Apache Flink's own Avro/Parquet jars are not in the peer install
(pyflink/lib has no flink-sql-avro or flink-sql-parquet), so Flink cannot write them here.

Run with the Flink peer's Python, which has both libraries:
    ~/.cache/weir-peers/flink-venv/bin/python make_fixtures.py
"""
import datetime
import decimal

import fastavro
import pyarrow as pa
import pyarrow.parquet as pq

# The schema Flink's AvroSchemaConverter derives for
#   id INT NOT NULL, ok BOOLEAN, tiny TINYINT, small SMALLINT, big BIGINT, f FLOAT, dbl DOUBLE,
#   name STRING, b BYTES, price DECIMAL(5, 2), d DATE, t TIME(3), ts TIMESTAMP(3),
#   tags ARRAY<STRING>, attrs MAP<STRING, INT>, p ROW<x INT, y STRING>
def nullable(t):
    return ["null", t]

SCHEMA = {
    "type": "record", "name": "record", "namespace": "org.apache.flink.avro.generated",
    "fields": [
        {"name": "id", "type": "int"},
        {"name": "ok", "type": nullable("boolean"), "default": None},
        {"name": "tiny", "type": nullable("int"), "default": None},
        {"name": "small", "type": nullable("int"), "default": None},
        {"name": "big", "type": nullable("long"), "default": None},
        {"name": "f", "type": nullable("float"), "default": None},
        {"name": "dbl", "type": nullable("double"), "default": None},
        {"name": "name", "type": nullable("string"), "default": None},
        {"name": "b", "type": nullable("bytes"), "default": None},
        {"name": "price", "type": nullable({"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2}), "default": None},
        {"name": "d", "type": nullable({"type": "int", "logicalType": "date"}), "default": None},
        {"name": "t", "type": nullable({"type": "int", "logicalType": "time-millis"}), "default": None},
        {"name": "ts", "type": nullable({"type": "long", "logicalType": "timestamp-millis"}), "default": None},
        {"name": "tags", "type": nullable({"type": "array", "items": nullable("string")}), "default": None},
        {"name": "attrs", "type": nullable({"type": "map", "values": nullable("int")}), "default": None},
        {"name": "p", "type": nullable({"type": "record", "name": "record_p", "fields": [
            {"name": "x", "type": nullable("int"), "default": None},
            {"name": "y", "type": nullable("string"), "default": None}]}), "default": None},
    ],
}

FULL = {
    "id": 1, "ok": True, "tiny": -5, "small": 300, "big": 10_000_000_000, "f": 1.5, "dbl": -2.25,
    "name": "h\u00e9llo", "b": b"\x00\xff", "price": decimal.Decimal("123.45"),
    "d": datetime.date(2024, 2, 29), "t": datetime.time(12, 34, 56, 789000),
    "ts": datetime.datetime(2024, 2, 29, 12, 34, 56, 789000, tzinfo=datetime.timezone.utc),
    "tags": ["a", None], "attrs": {"k": 7}, "p": {"x": 3, "y": "z"},
}
EMPTY = {k: None for k in FULL}
EMPTY["id"] = 2

with open("fastavro-deflate.avro", "wb") as out:
    fastavro.writer(out, fastavro.parse_schema(SCHEMA), [FULL, EMPTY], codec="deflate")
# (fastavro's snappy needs cramjam, which the peer install lacks.)
with open("fastavro-null.avro", "wb") as out:
    fastavro.writer(out, fastavro.parse_schema(SCHEMA), [FULL, EMPTY], codec="null")

table = pa.table({
    "id": pa.array([1, 2], pa.int32()),
    "ok": pa.array([True, None]),
    "tiny": pa.array([-5, None], pa.int8()),
    "small": pa.array([300, None], pa.int16()),
    "big": pa.array([10_000_000_000, None], pa.int64()),
    "f": pa.array([1.5, None], pa.float32()),
    "dbl": pa.array([-2.25, None], pa.float64()),
    "name": pa.array(["h\u00e9llo", None]),
    "b": pa.array([b"\x00\xff", None], pa.binary()),
    "price": pa.array([decimal.Decimal("123.45"), None], pa.decimal128(5, 2)),
    "d": pa.array([datetime.date(2024, 2, 29), None], pa.date32()),
    "t": pa.array([datetime.time(12, 34, 56, 789000), None], pa.time32("ms")),
    "ts": pa.array([datetime.datetime(2024, 2, 29, 12, 34, 56, 789000), None], pa.timestamp("ms")),
    "tags": pa.array([["a", None], None], pa.list_(pa.string())),
    "attrs": pa.array([[("k", 7)], None], pa.map_(pa.string(), pa.int32())),
    "p": pa.array([{"x": 3, "y": "z"}, None], pa.struct([("x", pa.int32()), ("y", pa.string())])),
}, schema=pa.schema([pa.field("id", pa.int32(), nullable=False)]).append(pa.field("ok", pa.bool_())).append(pa.field("tiny", pa.int8())).append(pa.field("small", pa.int16())).append(pa.field("big", pa.int64())).append(pa.field("f", pa.float32())).append(pa.field("dbl", pa.float64())).append(pa.field("name", pa.string())).append(pa.field("b", pa.binary())).append(pa.field("price", pa.decimal128(5, 2))).append(pa.field("d", pa.date32())).append(pa.field("t", pa.time32("ms"))).append(pa.field("ts", pa.timestamp("ms"))).append(pa.field("tags", pa.list_(pa.string()))).append(pa.field("attrs", pa.map_(pa.string(), pa.int32()))).append(pa.field("p", pa.struct([("x", pa.int32()), ("y", pa.string())]))))
# One row per row group: a reader must read them all.
pq.write_table(table, "pyarrow-snappy.parquet", compression="snappy", row_group_size=1)

# Timestamps as Parquet's deprecated INT96 (what Flink's Parquet writer and Hive/Spark write by
# default) and as nanoseconds: both read into TIMESTAMP(3).
int96 = pa.table({
    "ts": pa.array([datetime.datetime(2024, 2, 29, 12, 34, 56, 789000), None], pa.timestamp("ns")),
})
pq.write_table(int96, "pyarrow-int96.parquet", use_deprecated_int96_timestamps=True)
