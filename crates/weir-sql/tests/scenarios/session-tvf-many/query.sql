-- Many rows, users and sessions (3 s gap per user, watermark 2 s behind; whole-second times, so
-- that Flink's watermark interval of 200 ms does not make its answer depend on timing): sessions span
-- batches, merge out of order, and late rows are dropped.
CREATE TABLE clicks (
  `user` STRING,
  page STRING,
  ms INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  `user` STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3),
  clicks BIGINT, pages BIGINT, total_ms INT, min_ms INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT `user`, window_start, window_end, COUNT(*), COUNT(DISTINCT page), SUM(ms), MIN(ms)
FROM TABLE(SESSION(TABLE clicks PARTITION BY `user`, DESCRIPTOR(ts), INTERVAL '3' SECOND))
GROUP BY `user`, window_start, window_end;
