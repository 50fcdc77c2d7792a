-- Integer division (truncates toward zero), MOD with negative operands, % , INT + BIGINT
-- widening, ROUND / TRUNCATE with positive and negative digits, POWER / SQRT / LN / LOG /
-- LOG10 / LOG2 / EXP, ABS / SIGN, BIN / HEX of integers, CEIL / FLOOR of a DOUBLE.
CREATE TABLE t (id INT, i INT, j INT, big BIGINT, d DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id,
  i / j AS div_ij,
  MOD(i, j) AS mod_ij,
  i % j AS pct_ij,
  i + big AS widened,
  ROUND(d, 1) AS r1,
  ROUND(d, -2) AS r_neg2,
  ROUND(d) AS r0,
  TRUNCATE(d, 2) AS t2,
  TRUNCATE(i * 111, -2) AS t_neg2,
  POWER(j, 2) AS pw,
  SQRT(ABS(d)) AS sq,
  LN(ABS(d) + 1) AS ln_d,
  LOG(2, 8) AS log_2_8,
  LOG10(ABS(i) + 1) AS lg10,
  LOG2(j * j) AS lg2,
  EXP(j) AS ex,
  ABS(i) AS abs_i,
  SIGN(d) AS sgn,
  BIN(i) AS bin_i,
  HEX(big) AS hex_big,
  CEIL(d) AS ceil_d,
  FLOOR(d) AS floor_d
FROM t;
