CREATE TABLE t (id INT, name STRING) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.csv', 'format' = 'csv');
CREATE TABLE `out` (a INT, b STRING, c DOUBLE) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
INSERT INTO `out` (b, a) SELECT name, id FROM t;
