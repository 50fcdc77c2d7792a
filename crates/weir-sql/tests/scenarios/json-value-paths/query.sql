-- JSON_VALUE over nested paths, array indexes and a quoted key; RETURNING INT /
-- BOOLEAN; the value of an object or an
-- array (NULL); escaped quotes and unicode in strings; strict mode; JSON_QUERY of a nested
-- array; JSON_EXISTS on array elements; root arrays, scalars, malformed and empty text.
CREATE TABLE t (id INT, j STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, name STRING, tag0 STRING, age_int INT, amount_dec DECIMAL(10, 2), amount_dbl DOUBLE,
  ok BOOLEAN, spaced STRING, user_obj STRING, tags_q STRING, list_v2 INT, root1 STRING,
  exists_tag1 BOOLEAN, strict_missing STRING, dt DATE, last_v STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  JSON_VALUE(j, '$.user.name'),
  JSON_VALUE(j, '$.user.tags[0]'),
  JSON_VALUE(j, '$.user.age' RETURNING INT NULL ON ERROR),
  TRY_CAST(JSON_VALUE(j, '$.amount') AS DECIMAL(10, 2)),
  CAST(JSON_VALUE(j, '$.amount') AS DOUBLE),
  JSON_VALUE(j, '$.ok' RETURNING BOOLEAN NULL ON ERROR),
  JSON_VALUE(j, '$[''a b'']'),
  JSON_VALUE(j, '$.user'),
  JSON_QUERY(j, '$.user.tags'),
  JSON_VALUE(j, '$.list[1].v' RETURNING INT),
  JSON_VALUE(j, '$[1]'),
  JSON_EXISTS(j, '$.user.tags[1]'),
  JSON_VALUE(j, 'strict $.nope' DEFAULT 'err' ON ERROR),
  TRY_CAST(JSON_VALUE(j, '$.dt') AS DATE),
  JSON_VALUE(j, '$.list[-1].v')
FROM t;
