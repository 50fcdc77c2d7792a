CREATE TABLE t (id INT, amount DECIMAL(10, 2))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
SELECT id, amount FROM t /*+ OPTIONS('json.ignore-parse-errors' = 'true') */;
