-- LAG with offsets 1 and 3, defaults of the column's type and a literal, over strings and
-- integers, per key with a NULL key; LAG of a computed expression.
CREATE TABLE t (k STRING, s STRING, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (k STRING, ts TIMESTAMP(3), prev_s STRING, prev3_s STRING, prev_v BIGINT,
  prev3_v BIGINT, delta BIGINT, n BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT k, ts,
  LAG(s) OVER w, LAG(s, 3, 'none') OVER w, LAG(v, 1, CAST(0 AS BIGINT)) OVER w, LAG(v * 2, 3, CAST(-1 AS BIGINT)) OVER w,
  v - LAG(v, 1, v) OVER w, COUNT(*) OVER w
FROM t
WINDOW w AS (PARTITION BY k ORDER BY ts);
