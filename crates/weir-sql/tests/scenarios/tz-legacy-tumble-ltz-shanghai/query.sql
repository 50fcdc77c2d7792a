-- The rows of tz-window-ltz-shanghai, with the legacy group window syntax.
SET 'table.local-time-zone' = 'Asia/Shanghai';

CREATE TABLE events (
  `user` STRING,
  ms BIGINT,
  ts AS TO_TIMESTAMP_LTZ(ms, 3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/events.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  w_start TIMESTAMP(3), w_end TIMESTAMP(3), w_rowtime TIMESTAMP_LTZ(3), events BIGINT, users BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT TUMBLE_START(ts, INTERVAL '1' DAY), TUMBLE_END(ts, INTERVAL '1' DAY), TUMBLE_ROWTIME(ts, INTERVAL '1' DAY),
  COUNT(*), COUNT(DISTINCT `user`)
FROM events
GROUP BY TUMBLE(ts, INTERVAL '1' DAY);
