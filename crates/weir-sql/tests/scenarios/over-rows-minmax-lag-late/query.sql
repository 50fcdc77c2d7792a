-- ROWS BETWEEN 2 PRECEDING AND CURRENT ROW with COUNT(*), COUNT(v), MIN, MAX, SUM over values
-- with NULLs and negatives; rows out of order within the watermark are sorted, a late row is
-- dropped; rows with the same timestamp are all kept.
CREATE TABLE t (k STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '3' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (k STRING, ts TIMESTAMP(3), v INT, n BIGINT, nv BIGINT, mn INT, mx INT, sv INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT k, ts, v,
  COUNT(*) OVER w, COUNT(v) OVER w, MIN(v) OVER w, MAX(v) OVER w, SUM(v) OVER w
FROM t
WINDOW w AS (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW);
