-- Europe/Berlin, 2024-10-27 fall-back: hourly TUMBLE counts per page over a TIMESTAMP_LTZ
-- rowtime from epoch millis, then the top 2 pages per window (window Top-N after a window
-- aggregate, ties broken by page); the repeated local hour 02:00-03:00 is one window.
SET 'table.local-time-zone' = 'Europe/Berlin';

CREATE TABLE clicks (
  page STRING, uid INT, ms BIGINT,
  ts AS TO_TIMESTAMP_LTZ(ms, 3),
  WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');

CREATE TABLE `out` (window_start TIMESTAMP(3), window_end TIMESTAMP(3), page STRING,
  clicks BIGINT, users BIGINT, rn BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT window_start, window_end, page, clicks, users, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end
                               ORDER BY clicks DESC, page ASC) AS rn
  FROM (
    SELECT window_start, window_end, page, COUNT(*) AS clicks, COUNT(DISTINCT uid) AS users
    FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' HOUR))
    GROUP BY window_start, window_end, page))
WHERE rn <= 2;
