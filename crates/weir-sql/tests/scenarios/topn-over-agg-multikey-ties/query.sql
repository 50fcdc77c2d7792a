-- Best two customers per region by running total; ties broken by order count, then name.
CREATE TABLE orders (
  id INT, region STRING, cust STRING, amount INT
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

CREATE VIEW per_cust AS
SELECT region, cust, SUM(amount) AS total, COUNT(*) AS n
FROM orders GROUP BY region, cust;

SELECT region, cust, total, n, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY region ORDER BY total DESC, n DESC, cust ASC) AS rn
  FROM per_cust)
WHERE rn <= 2;
