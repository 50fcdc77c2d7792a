-- DECIMAL arithmetic result types, made visible by casting to STRING: + - * / between
-- DECIMAL(8, 3) and DECIMAL(5, 2), with an INT, with a DOUBLE (→ DOUBLE), ROUND of a
-- DECIMAL, and DOUBLE to STRING formatting.
CREATE TABLE t (id INT, a DECIMAL(8, 3), b DECIMAL(5, 2), c INT, x DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, a_plus_b STRING, a_minus_b STRING, a_times_b STRING, a_div_b STRING, plus_int STRING, times_int STRING,
  div_int STRING, with_double STRING, rounded STRING, rounded_neg STRING, x_str STRING,
  lit STRING, lit_div STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  CAST(a + b AS STRING),
  CAST(a - b AS STRING),
  CAST(a * b AS STRING),
  CAST(a / b AS STRING),
  CAST(a + c AS STRING),
  CAST(b * c AS STRING),
  CAST(b / NULLIF(c, 0) AS STRING),
  CAST(b + x AS STRING),
  CAST(ROUND(a, 1) AS STRING),
  CAST(ROUND(a, -1) AS STRING),
  CAST(x AS STRING),
  CAST(0.1 + 0.2 AS STRING),
  CAST(1.0 / 3 AS STRING)
FROM t;
