CREATE TABLE t (k STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
CREATE TABLE `out` (window_start TIMESTAMP(3), k STRING, s INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
INSERT INTO `out`
WITH x AS (SELECT k, v * 2 AS v, ts FROM t WHERE v > 0)
SELECT window_start, k, SUM(v)
FROM TABLE(TUMBLE(TABLE x, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, k;
