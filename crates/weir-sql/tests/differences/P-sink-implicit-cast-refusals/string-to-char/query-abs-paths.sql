CREATE TABLE t (id INT, name STRING) WITH ('connector' = 'filesystem', 'path' = '/tmp/P/rej3/data/t.csv', 'format' = 'csv');
CREATE TABLE `out` (id INT, c CHAR(5)) WITH ('connector' = 'filesystem', 'path' = '/tmp/P/rej3/out', 'format' = 'json');
INSERT INTO `out` SELECT id, name FROM t;
