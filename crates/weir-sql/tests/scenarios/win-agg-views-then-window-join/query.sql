CREATE TABLE clicks (user_id STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');
CREATE TABLE imps (user_id STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/imps.jsonl', 'format' = 'json');

CREATE VIEW c AS
SELECT window_start, window_end, user_id, COUNT(*) AS clicks
FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, user_id;
CREATE VIEW i AS
SELECT window_start, window_end, user_id, COUNT(*) AS imps
FROM TABLE(TUMBLE(TABLE imps, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, user_id;

CREATE TABLE `out` (window_start TIMESTAMP(3), user_id STRING, clicks BIGINT, imps BIGINT, ctr DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT i.window_start, i.user_id, c.clicks, i.imps, CAST(c.clicks AS DOUBLE) / i.imps
FROM i JOIN c
ON i.user_id = c.user_id AND i.window_start = c.window_start AND i.window_end = c.window_end;
