-- America/Los_Angeles, across the 2024-03-10 spring-forward (02:00 PST -> 03:00 PDT at
-- 10:00 UTC): a TIMESTAMP_LTZ rowtime from epoch millis, OVER RANGE INTERVAL '1' HOUR
-- PRECEDING counts instants (not wall clock); the row's local time is shown by DATE_FORMAT,
-- HOUR and a CAST to TIMESTAMP.
SET 'table.local-time-zone' = 'America/Los_Angeles';

CREATE TABLE ev (
  dev STRING, ms BIGINT, kwh DOUBLE,
  ts AS TO_TIMESTAMP_LTZ(ms, 3),
  WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/ev.jsonl', 'format' = 'json');

CREATE TABLE `out` (dev STRING, ms BIGINT, local_ts TIMESTAMP(3), local_str STRING, hr BIGINT,
  n BIGINT, kwh_sum DOUBLE, first_ms BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT dev, ms, CAST(ts AS TIMESTAMP(3)), DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss'), HOUR(ts),
  COUNT(*) OVER w, SUM(kwh) OVER w, MIN(ms) OVER w
FROM ev
WINDOW w AS (PARTITION BY dev ORDER BY ts RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW);
