-- TIMESTAMP_LTZ read from JSON text ('Z' suffix, SQL format) under a +09:00 session zone, used
-- as rowtime; written back nested in a ROW (the sink's own text), next to its session-zone wall
-- time and a DATE_FORMAT string; a TUMBLE of one hour aligned to the session zone.
SET 'table.local-time-zone' = 'Asia/Tokyo';
CREATE TABLE ev (
  id INT,
  happened TIMESTAMP_LTZ(3),
  WATERMARK FOR happened AS happened - INTERVAL '1' MINUTE
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/ev.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  window_start TIMESTAMP(3),
  n BIGINT,
  r ROW<first_at TIMESTAMP_LTZ(3), wall TIMESTAMP(3), wt TIMESTAMP_LTZ(3)>,
  shown STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT window_start, COUNT(*),
  ROW(MIN(happened), CAST(MIN(happened) AS TIMESTAMP(3)), window_time),
  DATE_FORMAT(MIN(happened), 'yyyy-MM-dd HH:mm:ss')
FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(happened), INTERVAL '1' HOUR))
GROUP BY window_start, window_end, window_time;
