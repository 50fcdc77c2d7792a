-- A `*` beside other items: the repeated names get Calcite's counter (id0), after the
-- names already taken (an alias id0 becomes id00).
CREATE TABLE t (id INT, name STRING) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.csv', 'format' = 'csv');
SELECT *, id, name AS id0, UPPER(name) FROM t;
