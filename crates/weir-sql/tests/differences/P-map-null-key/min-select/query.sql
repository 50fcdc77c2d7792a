CREATE TABLE t (id INT, k STRING) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
SELECT id, CARDINALITY(MAP[k, id, 'z', 0]) AS n, MAP[k, id][CAST(NULL AS STRING)] AS v FROM t;
