-- Inner join of two insert-only tables on a key plus a condition across both sides:
-- duplicate orders join twice, a key with two customers joins both, NULL keys match
-- nothing, and a single-side filter is pushed into the input.
CREATE TABLE orders (
  order_id INT,
  customer_id INT,
  amount INT
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

CREATE TABLE customers (
  id INT,
  name STRING,
  region STRING,
  min_amount INT
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/customers.jsonl', 'format' = 'json');

CREATE TABLE `out` (
  order_id INT, name STRING, region STRING, amount INT
) WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

INSERT INTO `out`
SELECT o.order_id, c.name, c.region, o.amount
FROM orders AS o
JOIN customers AS c ON o.customer_id = c.id AND o.amount >= c.min_amount
WHERE c.region <> 'APAC';
