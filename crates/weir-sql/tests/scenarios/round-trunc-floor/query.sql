-- ROUND / TRUNCATE / FLOOR / CEIL of DOUBLE, DECIMAL and INT, with positive, zero and
-- negative digits; half-way values, values rounding up into one more integer digit, results
-- near zero (-0.0?), and the result types made visible as STRING.
CREATE TABLE t (id INT, x DOUBLE, d DECIMAL(7, 3), i INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  id INT, rx STRING, rx2 STRING, rx_neg STRING, rd STRING, rd2 STRING, rd_neg STRING, ri_neg STRING,
  tx1 STRING, td1 STRING, ti_neg STRING, fx STRING, cx STRING, fd STRING, cd STRING, fi STRING,
  ri STRING
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT id,
  CAST(ROUND(x) AS STRING),
  CAST(ROUND(x, 2) AS STRING),
  CAST(ROUND(x, -2) AS STRING),
  CAST(ROUND(d) AS STRING),
  CAST(ROUND(d, 2) AS STRING),
  CAST(ROUND(d, -1) AS STRING),
  CAST(ROUND(i, -1) AS STRING),
  CAST(TRUNCATE(x, 1) AS STRING),
  CAST(TRUNCATE(d, 1) AS STRING),
  CAST(TRUNCATE(i, -1) AS STRING),
  CAST(FLOOR(x) AS STRING),
  CAST(CEIL(x) AS STRING),
  CAST(FLOOR(d) AS STRING),
  CAST(CEIL(d) AS STRING),
  CAST(FLOOR(i) AS STRING),
  CAST(ROUND(i / 10.0, 0) AS STRING)
FROM t;
