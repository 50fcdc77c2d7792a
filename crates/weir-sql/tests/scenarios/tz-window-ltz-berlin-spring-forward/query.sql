-- 2024-03-31 00:00 UTC .. 03:00 UTC; at 01:00 UTC clocks jump from 02:00 CET to 03:00 CEST.
SET 'table.local-time-zone' = 'Europe/Berlin';

CREATE TABLE events (
  v INT,
  ms BIGINT,
  ts AS TO_TIMESTAMP_LTZ(ms, 3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/events.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3), window_end TIMESTAMP(3), window_time TIMESTAMP_LTZ(3), total INT, events BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT window_start, window_end, window_time, SUM(v), COUNT(*)
FROM TABLE(HOP(TABLE events, DESCRIPTOR(ts), INTERVAL '1' HOUR, INTERVAL '2' HOUR))
GROUP BY window_start, window_end, window_time;
