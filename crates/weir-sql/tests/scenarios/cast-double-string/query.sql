-- DOUBLE / FLOAT / BIGINT / DECIMAL printed as Java prints them (CAST … AS STRING): the
-- switch to scientific notation at 1e7 and 1e-3, -0.0, FLOAT widened to DOUBLE, BIGINT to
-- DOUBLE losing digits, DECIMAL keeps its scale, 0.1 + 0.2.
CREATE TABLE t (id INT, x DOUBLE, f FLOAT, b BIGINT, d DECIMAL(5, 2))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, xs STRING, fs STRING, f2d STRING, b2d STRING, ds STRING, d2x STRING, x_neg STRING,
  x_half STRING, sum_lit STRING, x_times STRING, f_plus STRING, d_times_x STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  CAST(x AS STRING),
  CAST(f AS STRING),
  CAST(CAST(f AS DOUBLE) AS STRING),
  CAST(CAST(b AS DOUBLE) AS STRING),
  CAST(d AS STRING),
  CAST(CAST(d AS DOUBLE) AS STRING),
  CAST(-x AS STRING),
  CAST(x / 2 AS STRING),
  CAST(0.1E0 + 0.2E0 AS STRING),
  CAST(x * 3 AS STRING),
  CAST(f + 1 AS STRING),
  CAST(d * x AS STRING)
FROM t;
