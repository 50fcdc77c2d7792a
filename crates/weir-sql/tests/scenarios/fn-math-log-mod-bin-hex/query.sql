-- Numeric helpers: MOD and % with negative operands, LOG with a base, LOG2 / LOG10, ROUND and
-- TRUNCATE to negative digits on DECIMAL and INT, BIN / HEX of negative BIGINTs, integer
-- division, SIGN, ABS of the minimum edge, ATAN2 and DEGREES.
CREATE TABLE t (id INT, i INT, j INT, b BIGINT, d DECIMAL(6, 3), x DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id,
  MOD(i, j) AS m,
  i % j AS pct,
  MOD(b, 7) AS mod_big,
  LOG(2, x) AS log2x,
  LOG(x) AS ln_x,
  LOG10(x) AS lg,
  ROUND(d, -1) AS r_neg1,
  ROUND(d, 2) AS r2,
  TRUNCATE(d, 1) AS tr1,
  TRUNCATE(d, -2) AS tr_neg2,
  ROUND(i * 15, -1) AS r_int,
  BIN(b) AS bin_b,
  HEX(b) AS hex_b,
  i / j AS idiv,
  SIGN(d) AS sg,
  DEGREES(ATAN2(CAST(i AS DOUBLE), CAST(j AS DOUBLE))) AS deg
FROM t;
