-- Unbounded OVER windows, one per query.
CREATE TABLE clicks (
  player STRING, page STRING, ms INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  player STRING, ts TIMESTAMP(3), ms INT, running_ms INT, clicks BIGINT, avg_ms INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT player, ts, ms,
  SUM(ms) OVER (PARTITION BY player ORDER BY ts),
  COUNT(page) OVER (PARTITION BY player ORDER BY ts),
  AVG(ms) OVER (PARTITION BY player ORDER BY ts)
FROM clicks;
