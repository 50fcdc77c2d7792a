CREATE TABLE t (
  k STRING, v INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), window_end TIMESTAMP(3), k STRING, nb BIGINT, best INT, total INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
WITH small AS (
  SELECT k, window_time AS wt, SUM(v) AS s
  FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '5' SECOND))
  GROUP BY k, window_start, window_end, window_time
)
SELECT window_start, window_end, k, COUNT(*), MAX(s), SUM(s)
FROM TABLE(HOP(TABLE small, DESCRIPTOR(wt), INTERVAL '10' SECOND, INTERVAL '20' SECOND))
GROUP BY window_start, window_end, k;
