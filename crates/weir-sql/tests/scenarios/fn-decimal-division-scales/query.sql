-- Money arithmetic with DECIMALs: division by INT and by DECIMAL (result scales shown as
-- STRING), multiplication scale growth, ROUND of a product, a percentage, NULLIF to avoid
-- division by zero, CAST to a smaller scale (rounding half up), AVG-like ratio.
CREATE TABLE t (id INT, price DECIMAL(10, 2), qty INT, rate DECIMAL(4, 3), total DECIMAL(8, 2))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/t.jsonl', 'format' = 'json');

SELECT id,
  CAST(price / qty AS STRING) AS unit_div,
  CAST(price / NULLIF(qty, 0) AS STRING) AS unit_safe,
  CAST(price * rate AS STRING) AS tax,
  CAST(ROUND(price * rate, 2) AS STRING) AS tax_r,
  CAST(total / price AS STRING) AS ratio,
  CAST(price * qty + total AS STRING) AS line,
  CAST(CAST(rate * 100 AS DECIMAL(5, 1)) AS STRING) AS pct,
  CAST(CAST(price AS DECIMAL(6, 1)) AS STRING) AS cut,
  CAST(price / 3 AS STRING) AS third,
  CAST(qty / 4 AS STRING) AS int_div,
  CAST(qty / 4.0 AS STRING) AS int_div_dec
FROM t
WHERE qty <> 0;
