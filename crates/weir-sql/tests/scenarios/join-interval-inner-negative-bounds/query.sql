CREATE TABLE a (id INT, k STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/a.jsonl', 'format' = 'json');
CREATE TABLE b (id INT, k STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/b.jsonl', 'format' = 'json');

CREATE TABLE `out` (aid INT, bid INT, k STRING, diff_ms BIGINT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT a.id, b.id, a.k, CAST(TIMESTAMPDIFF(SECOND, a.ts, b.ts) AS BIGINT)
FROM a, b
WHERE a.k = b.k AND b.ts BETWEEN a.ts - INTERVAL '3' SECOND AND a.ts + INTERVAL '2' SECOND
  AND a.id + b.id <> 13;
