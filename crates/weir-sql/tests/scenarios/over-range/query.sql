-- Bounded RANGE OVER window.
CREATE TABLE clicks (
  player STRING, page STRING, ms INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  player STRING, page STRING, ts TIMESTAMP(3), ms INT, sum_ms INT, n BIGINT, max_ms INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT player, page, ts, ms,
  SUM(ms) OVER (PARTITION BY player ORDER BY ts RANGE BETWEEN INTERVAL '5' SECOND PRECEDING AND CURRENT ROW),
  COUNT(*) OVER (PARTITION BY player ORDER BY ts RANGE BETWEEN INTERVAL '5' SECOND PRECEDING AND CURRENT ROW),
  MAX(ms) OVER (PARTITION BY player ORDER BY ts RANGE BETWEEN INTERVAL '5' SECOND PRECEDING AND CURRENT ROW)
FROM clicks;
