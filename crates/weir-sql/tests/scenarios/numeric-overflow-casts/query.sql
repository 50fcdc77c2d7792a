-- INT and BIGINT arithmetic wraps on overflow (INT + INT is an INT), FLOAT stays FLOAT (and
-- overflows to Infinity), 0.0 / 0.0 is NaN; casts of DOUBLE and DECIMAL to DECIMAL of
-- a smaller scale round half-up, to INT truncate; CHAR(n) pads, VARCHAR(n) cuts; ROUND and
-- TRUNCATE of negative halves. (Flink 2.3 fails in TRUNCATE on a NULL or on a DOUBLE beyond
-- DECIMAL(38, 18): none here.)
CREATE TABLE t (id INT, i INT, b BIGINT, d DOUBLE, f FLOAT, `dec` DECIMAL(6, 3))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, i_plus INT, i_times BIGINT, b_plus BIGINT, neg_i INT, f_sum FLOAT, d_big DOUBLE, nan_d DOUBLE,
  d_dec DECIMAL(5, 2), dec_dec DECIMAL(5, 2), dec_int INT, d_int INT, chr STRING, vc STRING,
  r_d DOUBLE, r_dec DECIMAL(6, 3), t_d DOUBLE, ceil_dec DECIMAL(4, 0), floor_dec DECIMAL(4, 0)
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  i + 1,
  CAST(i AS BIGINT) * 3,
  b + 1,
  -i,
  f + f,
  d * 10,
  d / 0.0 - d / 0.0,
  CAST(d AS DECIMAL(5, 2)),
  CAST(`dec` AS DECIMAL(5, 2)),
  CAST(`dec` AS INT),
  CAST(d AS INT),
  CAST(CAST(id AS STRING) AS CHAR(3)) || '|',
  CAST('abc' || CAST(id AS STRING) AS VARCHAR(2)),
  ROUND(d, 0),
  ROUND(`dec`, 2),
  TRUNCATE(d, 0),
  CEIL(`dec`),
  FLOOR(`dec`)
FROM t;
