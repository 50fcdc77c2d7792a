CREATE TABLE t (id INT, k STRING) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
CREATE TABLE `out` (id INT, m MAP<STRING, INT>) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json',
  'json.map-null-key.mode' = 'LITERAL', 'json.map-null-key.literal' = 'NULLKEY');
INSERT INTO `out` SELECT id, MAP[k, id] FROM t;
