-- 2024-10-26 23:00 UTC .. 2024-10-27 04:00 UTC; clocks go from 03:00 CEST back to 02:00 CET
-- at 01:00 UTC.
SET 'table.local-time-zone' = 'Europe/Berlin';

CREATE TABLE events (
  k STRING,
  ms BIGINT,
  ts AS TO_TIMESTAMP_LTZ(ms, 3),
  WATERMARK FOR ts AS ts
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/events.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  k STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3), events BIGINT, last_ms BIGINT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT k, window_start, window_end, COUNT(*), MAX(ms)
FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '1' HOUR))
GROUP BY k, window_start, window_end;
