CREATE TABLE t (x DOUBLE) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
CREATE TABLE `out` (x DOUBLE, r ROW<f FLOAT, d DOUBLE>, fs STRING) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
INSERT INTO `out` SELECT x, ROW(CAST(x AS FLOAT), x * 3), CAST(CAST(x AS FLOAT) AS STRING) FROM t;
