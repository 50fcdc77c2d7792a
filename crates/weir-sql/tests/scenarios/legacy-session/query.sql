-- Legacy group window GROUP BY SESSION(ts, gap) per user over a subquery, with
-- SESSION_START, SESSION_END and SESSION_ROWTIME: sessions merge when out-of-order rows
-- bridge them, rows of closed sessions are late.
CREATE TABLE clicks (
  `user` STRING,
  page STRING,
  ms INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  `user` STRING, sstart TIMESTAMP(3), send TIMESTAMP(3), srowtime TIMESTAMP(3),
  clicks BIGINT, pages BIGINT, total_ms INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT `user`, SESSION_START(ts, INTERVAL '5' SECOND), SESSION_END(ts, INTERVAL '5' SECOND),
  SESSION_ROWTIME(ts, INTERVAL '5' SECOND), COUNT(*), COUNT(DISTINCT page), SUM(ms)
FROM (SELECT `user`, page, ms * 2 AS ms, ts FROM clicks) AS t
GROUP BY `user`, SESSION(ts, INTERVAL '5' SECOND);
