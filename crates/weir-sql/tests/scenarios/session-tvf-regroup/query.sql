-- Sessions per user, counted per page: GROUP BY keys other than the PARTITION BY keys make
-- Flink plan the SESSION TVF alone and a group aggregation over its rows (an updating
-- result), so the same page within equal session bounds of different users is one group.
CREATE TABLE clicks (
  `user` STRING,
  page STRING,
  ms INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');

SELECT page, window_start, window_end, COUNT(*) AS clicks, COUNT(DISTINCT `user`) AS users, SUM(ms) AS total_ms
FROM TABLE(SESSION(TABLE clicks PARTITION BY `user`, DESCRIPTOR(ts), INTERVAL '5' SECOND))
GROUP BY page, window_start, window_end;
