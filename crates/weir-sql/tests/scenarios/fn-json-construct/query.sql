-- JSON_OBJECT (NULL ON NULL default, ABSENT ON NULL), JSON_ARRAY (ABSENT ON NULL default,
-- NULL ON NULL), JSON_STRING of numbers, strings with quotes, NULL; nested JSON_OBJECT.
CREATE TABLE t (id INT, k STRING, v INT, s STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, o STRING, o_absent STRING, arr STRING, arr_null STRING, js_v STRING, js_s STRING, nested STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  JSON_OBJECT('k' VALUE k, 'v' VALUE v),
  JSON_OBJECT(KEY 'v' VALUE v, KEY 's' VALUE s ABSENT ON NULL),
  JSON_ARRAY(k, v, s),
  JSON_ARRAY(v, s NULL ON NULL),
  JSON_STRING(v),
  JSON_STRING(s),
  JSON_OBJECT('outer' VALUE JSON_OBJECT('id' VALUE id), 'list' VALUE JSON_ARRAY(1, 'two'))
FROM t;
