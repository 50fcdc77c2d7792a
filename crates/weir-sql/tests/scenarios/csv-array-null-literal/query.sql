CREATE TABLE t (id INT, tags ARRAY<STRING>, nums ARRAY<INT>) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.csv', 'format' = 'csv', 'csv.array-element-delimiter' = ';', 'csv.null-literal' = 'NULL');
CREATE TABLE `out` (id INT, tags ARRAY<STRING>, nums ARRAY<INT>, tags_null BOOLEAN) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
INSERT INTO `out` SELECT id, tags, nums, tags IS NULL FROM t;
