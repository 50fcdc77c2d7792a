CREATE TABLE clicks (u STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/clicks.jsonl', 'format' = 'json');
CREATE TABLE imps (u STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/imps.jsonl', 'format' = 'json');
CREATE VIEW c AS
SELECT window_start, window_end, u, COUNT(*) AS clicks
FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, u;
CREATE VIEW i AS
SELECT window_start, window_end, u, COUNT(*) AS imps
FROM TABLE(TUMBLE(TABLE imps, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, u;
CREATE TABLE `out` (u STRING, clicks BIGINT, imps BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
INSERT INTO `out`
SELECT i.u, c.clicks, i.imps
FROM i JOIN c
ON i.u = c.u AND i.window_start = c.window_start AND i.window_end = c.window_end;
