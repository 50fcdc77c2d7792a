-- Sessions per user, then per 30 s: how many sessions ended, the longest, the clicks.
CREATE TABLE clicks (
  user_id STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), window_end TIMESTAMP(3), sessions BIGINT, users BIGINT,
  longest_ms BIGINT, clicks BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

CREATE VIEW sessions AS
SELECT user_id, window_start AS s_start, window_end AS s_end, window_time AS s_time, COUNT(*) AS n
FROM TABLE(SESSION(TABLE clicks PARTITION BY user_id, DESCRIPTOR(ts), INTERVAL '5' SECOND))
GROUP BY user_id, window_start, window_end, window_time;

INSERT INTO `out`
SELECT window_start, window_end, COUNT(*), COUNT(DISTINCT user_id),
  MAX(TIMESTAMPDIFF(SECOND, s_start, s_end) * 1000), SUM(n)
FROM TABLE(TUMBLE(TABLE sessions, DESCRIPTOR(s_time), INTERVAL '30' SECOND))
GROUP BY window_start, window_end;
