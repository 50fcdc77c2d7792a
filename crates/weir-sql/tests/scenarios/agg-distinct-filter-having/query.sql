-- COUNT(DISTINCT), SUM(DISTINCT), aggregates with FILTER (WHERE …), and HAVING over an
-- aggregate that is not selected: shop c (only a void order) is filtered out by HAVING.
CREATE TABLE orders (shop STRING, cust STRING, amount INT, status STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

SELECT shop,
       COUNT(DISTINCT cust) AS custs,
       SUM(DISTINCT amount) AS distinct_sum,
       COUNT(*) FILTER (WHERE status = 'paid') AS paid,
       SUM(amount) FILTER (WHERE status = 'paid') AS paid_sum,
       COUNT(DISTINCT cust) FILTER (WHERE status = 'paid') AS paying_custs,
       MAX(amount) FILTER (WHERE status <> 'paid') AS max_unpaid
FROM orders
GROUP BY shop
HAVING SUM(amount) FILTER (WHERE status = 'paid') IS NOT NULL;
