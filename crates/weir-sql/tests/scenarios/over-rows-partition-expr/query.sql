CREATE TABLE m (region STRING, v INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/m.jsonl', 'format' = 'json');

CREATE TABLE `out` (r STRING, ts TIMESTAMP(3), v INT, s INT, c BIGINT, cv BIGINT, lo INT, hi INT, av INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT LOWER(TRIM(region)) AS r, ts, v,
  SUM(v) OVER w, COUNT(*) OVER w, COUNT(v) OVER w, MIN(v) OVER w, MAX(v) OVER w, AVG(v) OVER w
FROM m
WINDOW w AS (PARTITION BY LOWER(TRIM(region)) ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW);
