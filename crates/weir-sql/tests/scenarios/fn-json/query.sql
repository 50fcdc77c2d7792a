-- JSON_VALUE (RETURNING INT / DOUBLE / BOOLEAN, DEFAULT … ON EMPTY, DEFAULT … ON ERROR),
-- JSON_QUERY with and without array wrappers, JSON_EXISTS, IS JSON [OBJECT | ARRAY | SCALAR].
CREATE TABLE t (id INT, j STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, a STRING, a_int INT, a_def INT, c1 INT, f DOUBLE, t BOOLEAN, s STRING,
  q_b STRING, q_c STRING, q_wrap STRING, q_cond STRING, ex_a BOOLEAN, ex_c BOOLEAN,
  is_json BOOLEAN, is_obj BOOLEAN, is_arr BOOLEAN, is_scalar BOOLEAN
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  JSON_VALUE(j, '$.a'),
  JSON_VALUE(j, '$.a' RETURNING INT NULL ON ERROR),
  JSON_VALUE(j, '$.a' RETURNING INT DEFAULT -1 ON EMPTY DEFAULT -2 ON ERROR),
  JSON_VALUE(j, '$.b.c[1]' RETURNING INT),
  JSON_VALUE(j, '$.f' RETURNING DOUBLE),
  JSON_VALUE(j, '$.t' RETURNING BOOLEAN),
  JSON_VALUE(j, '$.s' DEFAULT 'none' ON EMPTY),
  JSON_QUERY(j, '$.b'),
  JSON_QUERY(j, '$.b.c'),
  JSON_QUERY(j, '$.a' WITH WRAPPER),
  JSON_QUERY(j, '$.b.c' WITH CONDITIONAL ARRAY WRAPPER),
  JSON_EXISTS(j, '$.a'),
  JSON_EXISTS(j, '$.b.c'),
  j IS JSON,
  j IS JSON OBJECT,
  j IS JSON ARRAY,
  j IS JSON SCALAR
FROM t;
