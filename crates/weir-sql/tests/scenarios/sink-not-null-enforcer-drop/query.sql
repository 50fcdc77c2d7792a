SET 'table.exec.sink.not-null-enforcer' = 'DROP';
CREATE TABLE t (id INT, s STRING) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.csv', 'format' = 'csv', 'csv.ignore-parse-errors' = 'true');
CREATE TABLE `out` (id INT NOT NULL, s STRING) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
INSERT INTO `out` SELECT id, s FROM t;
