-- The rows of tz-window-ltz-shanghai in 6-hour sessions.
SET 'table.local-time-zone' = 'Asia/Shanghai';
CREATE TABLE events (`user` STRING, ms BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/events.jsonl', 'format' = 'json');
CREATE TABLE `out` (window_start TIMESTAMP(3), window_end TIMESTAMP(3), window_time TIMESTAMP_LTZ(3), events BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
INSERT INTO `out`
SELECT window_start, window_end, window_time, COUNT(*)
FROM TABLE(SESSION(TABLE events, DESCRIPTOR(ts), INTERVAL '6' HOUR))
GROUP BY window_start, window_end, window_time;
