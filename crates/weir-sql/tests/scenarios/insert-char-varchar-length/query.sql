CREATE TABLE t (id INT, s STRING) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.csv', 'format' = 'csv');
CREATE TABLE `out` (id INT, v3 VARCHAR(3), c5 CHAR(5)) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
INSERT INTO `out` SELECT id, s, CAST(s AS CHAR(2)) FROM t;
