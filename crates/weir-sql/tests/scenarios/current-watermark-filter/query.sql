-- CURRENT_WATERMARK(ts) in a filter: rows behind the watermark (late) are routed apart; before
-- the first watermark it is NULL, so the first row counts as on time. Watermarks are made per
-- row here, so the answer is exact at parallelism 1.
SET 'pipeline.auto-watermark-interval' = '0';
CREATE TABLE ev (id INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/ev.jsonl', 'format' = 'json');

SELECT id, ts, CURRENT_WATERMARK(ts) IS NULL OR ts > CURRENT_WATERMARK(ts) AS on_time
FROM ev;
