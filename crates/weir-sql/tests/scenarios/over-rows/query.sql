-- Bounded ROWS OVER window: each click with its player's last three clicks aggregated.
CREATE TABLE clicks (
  player STRING, page STRING, ms INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  player STRING, page STRING, ts TIMESTAMP(3), ms INT, sum_ms INT, n BIGINT, min_ms INT, max_ms INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT player, page, ts, ms,
  SUM(ms) OVER w, COUNT(*) OVER w, MIN(ms) OVER w, MAX(ms) OVER w
FROM clicks
WINDOW w AS (PARTITION BY player ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW);
