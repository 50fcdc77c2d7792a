-- Cascaded legacy group windows: TUMBLE_ROWTIME of a 5 s window per user is the time
-- attribute of a 20 s window over all users.
CREATE TABLE clicks (
  `user` STRING,
  page STRING,
  ms INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  wstart TIMESTAMP(3), wend TIMESTAMP(3), user_windows BIGINT, clicks BIGINT, busiest BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT TUMBLE_START(rt, INTERVAL '20' SECOND), TUMBLE_END(rt, INTERVAL '20' SECOND), COUNT(*), SUM(c), MAX(c)
FROM (
  SELECT `user`, TUMBLE_ROWTIME(ts, INTERVAL '5' SECOND) AS rt, COUNT(*) AS c
  FROM clicks
  GROUP BY `user`, TUMBLE(ts, INTERVAL '5' SECOND)
)
GROUP BY TUMBLE(rt, INTERVAL '20' SECOND);
