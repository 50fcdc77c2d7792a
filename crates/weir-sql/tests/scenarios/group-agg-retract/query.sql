-- Two levels of unbounded aggregation: per customer, then how many customers have each
-- order count. The second level consumes the first's retractions (-U/+U).
CREATE TABLE orders (
  id INT,
  customer STRING,
  amount DECIMAL(10, 2),
  status STRING
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

CREATE VIEW per_customer AS
SELECT customer, COUNT(*) AS orders, SUM(amount) AS total
FROM orders
WHERE status <> 'void'
GROUP BY customer;

SELECT orders, COUNT(*) AS customers, SUM(total) AS total
FROM per_customer
GROUP BY orders;
