-- America/Los_Angeles: CURRENT_WATERMARK of a TIMESTAMP_LTZ rowtime in a filter: rows behind
-- the watermark are routed to a 'late' branch, the others are kept; the row's local wall clock
-- (DATE_FORMAT) and local date. Watermarks per row (auto-watermark-interval 0), so exact at
-- parallelism 1; before the first watermark CURRENT_WATERMARK is NULL.
SET 'pipeline.auto-watermark-interval' = '0';
SET 'table.local-time-zone' = 'America/Los_Angeles';

CREATE TABLE ev (
  id INT, ms BIGINT,
  ts AS TO_TIMESTAMP_LTZ(ms, 3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/ev.jsonl', 'format' = 'json');

SELECT id, DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss.SSS') AS local_ts, CAST(ts AS DATE) AS local_day,
  CASE WHEN CURRENT_WATERMARK(ts) IS NULL THEN 'first'
       WHEN ts > CURRENT_WATERMARK(ts) THEN 'on_time'
       ELSE 'late' END AS route
FROM ev
WHERE id <> 0;
