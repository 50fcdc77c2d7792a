CREATE TABLE pageviews (user_id STRING, page STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/views.jsonl', 'format' = 'json');

CREATE TABLE `out` (user_id STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3), n BIGINT, pages BIGINT, p1 BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT user_id, window_start, window_end, COUNT(*), COUNT(DISTINCT page), COUNT(*) FILTER (WHERE page = 'p1')
FROM TABLE(SESSION(TABLE pageviews PARTITION BY user_id, DESCRIPTOR(ts), INTERVAL '4' SECOND))
GROUP BY user_id, window_start, window_end;
