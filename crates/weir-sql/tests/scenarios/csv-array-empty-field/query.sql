CREATE TABLE t (id INT, tags ARRAY<STRING>, s STRING) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.csv', 'format' = 'csv', 'csv.array-element-delimiter' = ';');
CREATE TABLE `out` (id INT, tags ARRAY<STRING>, n INT) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
INSERT INTO `out` SELECT id, tags, CARDINALITY(tags) FROM t;
