CREATE TABLE t (id INT) WITH ('connector' = 'filesystem', 'path' = '${DATA}/a.jsonl', 'format' = 'json');
SELECT id FROM t /*+ OPTIONS('path' = '${DATA}/b.jsonl') */;
