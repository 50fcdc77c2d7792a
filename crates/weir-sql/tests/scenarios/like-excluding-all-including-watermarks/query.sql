CREATE TABLE base (id INT, v INT, v2 AS v * 2, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/none.json', 'format' = 'json');
CREATE TABLE d1 WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json') LIKE base (EXCLUDING ALL INCLUDING WATERMARKS);
CREATE TABLE `out` (ws TIMESTAMP(3), n BIGINT, s INT) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
INSERT INTO `out` SELECT window_start, COUNT(*), SUM(v) FROM TABLE(TUMBLE(TABLE d1, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end;
