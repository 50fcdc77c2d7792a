-- America/Los_Angeles: TUMBLE of one DAY over a TIMESTAMP_LTZ rowtime from epoch millis,
-- across 2024-03-10 (a 23-hour local day) and 2024-11-03 (a 25-hour local day, 01:30 happens
-- twice). Windows start at local midnight; window_start/end are local TIMESTAMPs,
-- window_time an instant (written as UTC by the json format), also shown with DATE_FORMAT.
SET 'table.local-time-zone' = 'America/Los_Angeles';

CREATE TABLE ev (
  k STRING, ms BIGINT,
  ts AS TO_TIMESTAMP_LTZ(ms, 3),
  WATERMARK FOR ts AS ts - INTERVAL '10' MINUTE
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/ev.jsonl', 'format' = 'json');

CREATE TABLE `out` (k STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3),
  window_time TIMESTAMP_LTZ(3), wt_local STRING, n BIGINT, first_ms BIGINT, last_ms BIGINT,
  hours_span BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT k, window_start, window_end, window_time,
  DATE_FORMAT(window_time, 'yyyy-MM-dd HH:mm:ss.SSS'),
  COUNT(*), MIN(ms), MAX(ms), (MAX(ms) - MIN(ms)) / 3600000
FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '1' DAY))
GROUP BY k, window_start, window_end, window_time;
