-- JSON_VALUE as users pull typed fields: RETURNING INT / DOUBLE / BOOLEAN / STRING with
-- DEFAULT ... ON EMPTY and ON ERROR, NULL ON ERROR, a strict path, an array element and
-- JSON_QUERY of an array with EMPTY ARRAY ON EMPTY.
CREATE TABLE t (id INT, j STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id,
  JSON_VALUE(j, '$.user.name' DEFAULT 'anon' ON EMPTY) AS name,
  JSON_VALUE(j, '$.user.age' RETURNING INT DEFAULT -1 ON EMPTY DEFAULT -2 ON ERROR) AS age,
  JSON_VALUE(j, '$.user.score' RETURNING DOUBLE NULL ON ERROR) AS score,
  JSON_VALUE(j, '$.user.vip' RETURNING BOOLEAN DEFAULT FALSE ON EMPTY DEFAULT FALSE ON ERROR) AS vip,
  JSON_VALUE(j, '$.user.tags[0]') AS tag0,
  JSON_VALUE(j, '$.user.tags') AS tags_scalar,
  JSON_VALUE(j, 'strict $.user.name' DEFAULT 'strict-miss' ON ERROR) AS strict_name,
  JSON_QUERY(j, '$.user.tags' EMPTY ARRAY ON EMPTY) AS tags,
  JSON_QUERY(j, '$.user.name' WITH CONDITIONAL WRAPPER) AS name_wrapped
FROM t;
