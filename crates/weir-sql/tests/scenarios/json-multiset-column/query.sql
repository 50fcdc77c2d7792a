-- A MULTISET<STRING> column in the json format: an object of element to count, read and
-- written as Flink does, and cast to STRING in Flink's order.
CREATE TABLE t (id INT, m MULTISET<STRING>)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');
CREATE TABLE `out` (id INT, s STRING, m MULTISET<STRING>)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');
INSERT INTO `out` SELECT id, CAST(m AS STRING), m FROM t;
