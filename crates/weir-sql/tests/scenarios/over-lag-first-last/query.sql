-- LAG (default offset and offset 2 with a default value), FIRST_VALUE and LAST_VALUE over an
-- event-time OVER window per key (no frame: Flink refuses one with LAG); LAST_VALUE skips the
-- NULL. (Flink 2.3 gives a stale value for LAG(v, 2) where that row is NULL: not covered.)
CREATE TABLE t (k STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (k STRING, ts TIMESTAMP(3), v INT, prev1 INT, prev2 INT, first_v INT, last_v INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT k, ts, v,
  LAG(v) OVER w, LAG(v, 2, -99) OVER w, FIRST_VALUE(v) OVER w, LAST_VALUE(v) OVER w
FROM t
WINDOW w AS (PARTITION BY k ORDER BY ts);
