-- Sessions per user (5 s gap) from the SESSION window TVF with PARTITION BY: out-of-order
-- rows that extend or bridge open sessions, rows of closed sessions dropped as late.
CREATE TABLE clicks (
  `user` STRING,
  page STRING,
  ms INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  `user` STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3), window_time TIMESTAMP(3),
  clicks BIGINT, pages BIGINT, total_ms INT, max_ms INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT `user`, window_start, window_end, window_time, COUNT(*), COUNT(DISTINCT page), SUM(ms), MAX(ms)
FROM TABLE(SESSION(TABLE clicks PARTITION BY `user`, DESCRIPTOR(ts), INTERVAL '5' SECOND))
GROUP BY `user`, window_start, window_end, window_time;
