-- MAP lookups by keys computed per row (a column, an array element, a function of a
-- column): NULL for a missing key, a NULL key, a NULL map and a NULL value.
CREATE TABLE t (id INT, k STRING, m MAP<STRING, INT>, tags ARRAY<STRING>)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (id INT, by_col INT, by_elem INT, by_lower INT, n INT)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id, m[k], m[tags[1]], m[LOWER(k)], CARDINALITY(m)
FROM t;
