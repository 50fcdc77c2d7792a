-- Comparisons across types: IN lists mixing INT and DECIMAL, DECIMAL vs DOUBLE, BETWEEN
-- SYMMETRIC with reversed bounds, NOT BETWEEN, LIKE with an escaped % and _, SIMILAR TO with
-- a character class and alternation, a STRING column compared with a string literal of digits.
CREATE TABLE t (id INT, i INT, d DECIMAL(6, 2), x DOUBLE, s STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, in_mixed BOOLEAN, d_eq_x BOOLEAN, d_lt_x BOOLEAN, btw_sym BOOLEAN, btw_asym BOOLEAN,
  not_btw BOOLEAN, like_pct BOOLEAN, like_us BOOLEAN, sim BOOLEAN, s_eq_10 BOOLEAN,
  i_eq_d BOOLEAN
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  i IN (1, 2.5, 3),
  d = x,
  d < x,
  i BETWEEN SYMMETRIC 10 AND 1,
  i BETWEEN 10 AND 1,
  i NOT BETWEEN SYMMETRIC 5 AND -5,
  s LIKE '%10\%%' ESCAPE '\',
  s LIKE 'a\_%' ESCAPE '\',
  s SIMILAR TO '[a-c]+(_x|10%)',
  s = '10',
  i = d
FROM t;
