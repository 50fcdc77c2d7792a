-- MIN and MAX over an updating input: per region, the smallest and largest customer total
-- while the totals change (each change retracts the customer's previous total).
CREATE TABLE orders (
  customer STRING,
  region STRING,
  amount INT
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

CREATE VIEW totals AS
SELECT customer, region, SUM(amount) AS total
FROM orders
GROUP BY customer, region;

SELECT region, MIN(total) AS smallest, MAX(total) AS largest, COUNT(*) AS customers
FROM totals
GROUP BY region;
