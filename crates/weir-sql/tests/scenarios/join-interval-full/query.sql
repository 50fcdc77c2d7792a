-- FULL OUTER interval join: pairs within 2 s of each other on the same key; rows of either
-- side that found no partner are padded once the watermark passes their interval.
CREATE TABLE a (id INT, k STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/a.jsonl', 'format' = 'json');
CREATE TABLE b (id INT, k STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/b.jsonl', 'format' = 'json');

CREATE TABLE `out` (aid INT, bid INT, k STRING)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT a.id, b.id, COALESCE(a.k, b.k)
FROM a FULL OUTER JOIN b
ON a.k = b.k AND a.ts BETWEEN b.ts - INTERVAL '2' SECOND AND b.ts + INTERVAL '2' SECOND;
