-- Two event-time streams unioned, then a 10 s TUMBLE window over the union: the window fires
-- on the smaller of both inputs' watermarks.
CREATE TABLE a (id INT, k STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/a.jsonl', 'format' = 'json');
CREATE TABLE b (id INT, k STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/b.jsonl', 'format' = 'json');

CREATE VIEW ab AS SELECT * FROM a UNION ALL SELECT * FROM b;

CREATE TABLE `out` (window_start TIMESTAMP(3), k STRING, n BIGINT, ids INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT window_start, k, COUNT(*), SUM(id)
FROM TABLE(TUMBLE(TABLE ab, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, k;
