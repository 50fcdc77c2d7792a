CREATE TABLE m (k STRING, v INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/m.jsonl', 'format' = 'json');

CREATE TABLE `out` (k STRING, ts TIMESTAMP(3), v INT, n BIGINT, nd BIGINT, sd INT, s INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT k, ts, v,
  COUNT(*) OVER w, COUNT(DISTINCT v) OVER w, SUM(DISTINCT v) OVER w, SUM(v) OVER w
FROM m
WINDOW w AS (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '5' SECOND PRECEDING AND CURRENT ROW);
