-- Columns before a qualified `*` over a join: each repeated name gets the next free counter.
CREATE TABLE t (id INT, name STRING) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.csv', 'format' = 'csv');
CREATE TABLE u (id INT, name STRING) WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.csv', 'format' = 'csv');
SELECT t.id, u.*, t.id + 1, t.* FROM t JOIN u ON t.id = u.id;
