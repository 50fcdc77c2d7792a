CREATE TABLE m (k STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/m.jsonl', 'format' = 'json');

CREATE TABLE `out` (k STRING, ts TIMESTAMP(3), v INT, s INT, n BIGINT, lo INT, av INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT k, ts, v,
  SUM(v) OVER w, COUNT(v) OVER w, MIN(v) OVER w, AVG(v) OVER w
FROM m
WINDOW w AS (PARTITION BY k ORDER BY ts RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);
