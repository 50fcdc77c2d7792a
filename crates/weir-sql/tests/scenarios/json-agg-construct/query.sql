-- JSON_ARRAYAGG and JSON_OBJECTAGG per group (NULLs absent by default, kept with NULL ON
-- NULL), JSON_OBJECT over a DECIMAL, a BOOLEAN and a nested JSON_ARRAY, escaping of quotes,
-- backslashes and unicode. Arrival order decides the element order (one reader).
CREATE TABLE t (g STRING, k STRING, v INT, s STRING, d DECIMAL(5, 2))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT g,
  JSON_ARRAYAGG(v) AS arr_v,
  JSON_ARRAYAGG(s NULL ON NULL) AS arr_s,
  JSON_OBJECTAGG(KEY COALESCE(k, 'nokey') VALUE v) AS obj_kv,
  JSON_OBJECTAGG(KEY COALESCE(k, 'nokey') VALUE d ABSENT ON NULL) AS obj_kd,
  COUNT(*) AS n
FROM t
GROUP BY g;
