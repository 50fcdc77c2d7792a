CREATE TABLE t (id INT, v BOOLEAN) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.csv', 'format' = 'csv');
CREATE TABLE `out` (id INT, v BOOLEAN) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
INSERT INTO `out` SELECT id, v FROM t;
