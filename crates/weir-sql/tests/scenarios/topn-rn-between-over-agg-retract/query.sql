-- Places 2 and 3 (rn BETWEEN 2 AND 3) per region over an updating SUM per (region, product):
-- refunds (negative amounts) move products down, a product whose sum becomes NULL-free zero,
-- ties broken by product name; the rank is shown.
CREATE TABLE sales (region STRING, product STRING, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/sales.jsonl', 'format' = 'json');

CREATE VIEW totals AS
SELECT region, product, SUM(amount) AS total, COUNT(*) AS cnt
FROM sales GROUP BY region, product;

SELECT region, product, total, cnt, rn FROM (
  SELECT region, product, total, cnt,
    ROW_NUMBER() OVER (PARTITION BY region ORDER BY total DESC, product ASC) AS rn
  FROM totals)
WHERE rn BETWEEN 2 AND 3;
