-- CASE / COALESCE / NULLIF / IF over INT, DECIMAL and DOUBLE branches: the common type is made
-- visible by casting to STRING; IS DISTINCT FROM across INT / DECIMAL / DOUBLE and strings.
CREATE TABLE t (id INT, i INT, d DECIMAL(5, 2), x DOUBLE, s STRING, t STRING, b BOOLEAN)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, case_id STRING, case_ix STRING, coal_id STRING, coal_all STRING, nullif_id STRING,
  if_dx STRING, case_str STRING, coal_s STRING, dist_id BOOLEAN, dist_ix BOOLEAN,
  ndist_st BOOLEAN, eq_ix BOOLEAN, case_bool STRING, nested STRING, case_null_else INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  CAST(CASE WHEN i > 0 THEN i ELSE d END AS STRING),
  CAST(CASE WHEN i > 0 THEN i WHEN i < 0 THEN x END AS STRING),
  CAST(COALESCE(i, d) AS STRING),
  CAST(COALESCE(x, d, i, 0) AS STRING),
  CAST(NULLIF(d, i) AS STRING),
  CAST(IF(b, d, x) AS STRING),
  CASE WHEN s IS NULL THEN 'null' WHEN s = '' THEN 'empty' WHEN s = t THEN 'same' ELSE s END,
  COALESCE(s, t, '?'),
  i IS DISTINCT FROM d,
  i IS DISTINCT FROM x,
  s IS NOT DISTINCT FROM t,
  i = x,
  CAST(CASE b WHEN TRUE THEN 1 WHEN FALSE THEN 0 END AS STRING),
  CAST(CASE WHEN i IS NULL THEN COALESCE(x, -1.5) ELSE CASE WHEN i > 1 THEN i * 2 ELSE 0.5 END END AS STRING),
  CASE WHEN b THEN id ELSE NULL END
FROM t;
