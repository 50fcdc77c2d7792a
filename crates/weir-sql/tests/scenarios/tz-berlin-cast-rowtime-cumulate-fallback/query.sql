-- Europe/Berlin: the rowtime is a computed column CAST(local wall-clock TIMESTAMP AS
-- TIMESTAMP_LTZ(3)) read in the session zone, around the 2024-10-27 fall-back (03:00 CEST ->
-- 02:00 CET); CUMULATE windows (step 1 h, size 3 h) shown as local TIMESTAMPs; a wall clock in
-- the repeated hour is read as one instant; CAST back to TIMESTAMP and HOUR of the window time.
SET 'table.local-time-zone' = 'Europe/Berlin';

CREATE TABLE meter (
  m STRING, local_ts TIMESTAMP(3), watts INT,
  ts AS CAST(local_ts AS TIMESTAMP_LTZ(3)),
  WATERMARK FOR ts AS ts - INTERVAL '5' MINUTE
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/meter.jsonl', 'format' = 'json');

CREATE TABLE `out` (m STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3),
  wt_local TIMESTAMP(3), wt_hour BIGINT, n BIGINT, total INT, peak INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT m, window_start, window_end, CAST(window_time AS TIMESTAMP(3)), HOUR(window_time),
  COUNT(*), SUM(watts), MAX(watts)
FROM TABLE(CUMULATE(TABLE meter, DESCRIPTOR(ts), INTERVAL '1' HOUR, INTERVAL '3' HOUR))
GROUP BY m, window_start, window_end, window_time;
