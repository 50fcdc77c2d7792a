-- Implicit widening in arithmetic and comparisons: TINYINT / SMALLINT arithmetic (result types
-- as STRING), INT with DECIMAL and DOUBLE, integer division and MOD of negatives on INT and
-- BIGINT, DECIMAL MOD, comparisons INT vs DECIMAL vs DOUBLE (0.1 as DECIMAL vs DOUBLE).
CREATE TABLE t (id INT, ti TINYINT, si SMALLINT, i INT, j INT, b BIGINT, d DECIMAL(4, 2), x DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, ti_plus STRING, ti_times STRING, si_plus_i STRING, i_div_j INT, i_mod_j INT, b_div STRING,
  b_mod BIGINT, i_times_d STRING, i_div_d STRING, i_plus_x STRING, d_mod STRING, d_eq_x BOOLEAN,
  i_eq_d BOOLEAN, d_lt_x BOOLEAN, i_div_neg STRING, ti_neg STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  CAST(ti + ti AS STRING),
  CAST(ti * 2 AS STRING),
  CAST(si + i AS STRING),
  i / j,
  MOD(i, j),
  CAST(b / j AS STRING),
  MOD(b, 3),
  CAST(i * d AS STRING),
  CAST(i / d AS STRING),
  CAST(i + x AS STRING),
  CAST(MOD(d, 1) AS STRING),
  d = x,
  i = d,
  d < x,
  CAST(i / -2.0 AS STRING),
  CAST(-ti AS STRING)
FROM t;
