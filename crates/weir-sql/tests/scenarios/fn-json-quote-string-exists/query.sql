-- JSON text helpers: JSON_QUOTE / JSON_UNQUOTE (escapes, unicode, non-quoted input),
-- JSON_STRING of INT / DECIMAL / BOOLEAN / STRING values, JSON_EXISTS with paths into
-- arrays and with ON ERROR clauses, IS JSON on quoted scalars.
CREATE TABLE t (id INT, s STRING, j STRING, n INT, d DECIMAL(4, 2), b BOOLEAN)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, q STRING, uq STRING, uq_j STRING, js_n STRING, js_d STRING, js_b STRING,
  js_s STRING, ex_b1 BOOLEAN, ex_n BOOLEAN, ex_err BOOLEAN, ex_strict BOOLEAN, scalar BOOLEAN
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  JSON_QUOTE(s),
  JSON_UNQUOTE(JSON_QUOTE(s)),
  JSON_UNQUOTE(j),
  JSON_STRING(n),
  JSON_STRING(d),
  JSON_STRING(b),
  JSON_STRING(s),
  JSON_EXISTS(j, '$.a.b[1]'),
  JSON_EXISTS(j, '$.n'),
  JSON_EXISTS(j, 'strict $.a' TRUE ON ERROR),
  JSON_EXISTS(j, 'strict $.zz' FALSE ON ERROR),
  j IS JSON SCALAR
FROM t;
