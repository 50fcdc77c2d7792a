CREATE TABLE t (id INT, arr ARRAY<STRING>, items ARRAY<ROW<sku STRING, q INT>>) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
CREATE TABLE `out` (id INT, by_id STRING, last_e STRING, by_expr STRING) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
INSERT INTO `out` SELECT id, arr[id], arr[CARDINALITY(arr)], arr[id + 1] FROM t;
