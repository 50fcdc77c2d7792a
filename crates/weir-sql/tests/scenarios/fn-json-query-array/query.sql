-- JSON_QUERY … RETURNING ARRAY<STRING>: the elements of the array at the path (strings as
-- their text, other values as JSON), with wrappers, wildcards and the ON EMPTY / ON ERROR
-- behaviours.
CREATE TABLE t (id INT, j STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, n INT, e1 STRING, e2 STRING, e3 STRING, e4 STRING, e5 STRING, e6 STRING,
  w_n INT, w_1 STRING, c_n INT, c_1 STRING, c_2 STRING, m_n INT, m_err INT, s_wrap STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  CARDINALITY(JSON_QUERY(j, '$.a' RETURNING ARRAY<STRING>)),
  JSON_QUERY(j, '$.a' RETURNING ARRAY<STRING>)[1],
  JSON_QUERY(j, '$.a' RETURNING ARRAY<STRING>)[2],
  JSON_QUERY(j, '$.a' RETURNING ARRAY<STRING>)[3],
  JSON_QUERY(j, '$.a' RETURNING ARRAY<STRING>)[4],
  JSON_QUERY(j, '$.a' RETURNING ARRAY<STRING>)[5],
  JSON_QUERY(j, '$.a' RETURNING ARRAY<STRING>)[6],
  CARDINALITY(JSON_QUERY(j, '$.s' RETURNING ARRAY<STRING> WITH WRAPPER)),
  JSON_QUERY(j, '$.s' RETURNING ARRAY<STRING> WITH WRAPPER)[1],
  CARDINALITY(JSON_QUERY(j, '$.b[*].c' RETURNING ARRAY<STRING>)),
  JSON_QUERY(j, '$.b[*].c' RETURNING ARRAY<STRING>)[1],
  JSON_QUERY(j, '$.b[*].c' RETURNING ARRAY<STRING>)[2],
  CARDINALITY(JSON_QUERY(j, '$.missing' RETURNING ARRAY<STRING> EMPTY ARRAY ON ERROR)),
  CARDINALITY(JSON_QUERY(j, '$.s' RETURNING ARRAY<STRING> EMPTY ARRAY ON ERROR)),
  JSON_QUERY(j, '$.s' WITH WRAPPER)
FROM t;
