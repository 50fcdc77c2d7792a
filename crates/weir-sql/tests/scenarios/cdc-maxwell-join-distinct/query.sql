-- A Maxwell binlog of a product table (updates with partial "old", a delete and a re-insert of
-- the same id in another category), joined with plain orders, then per category: distinct
-- customers, revenue and the number of order lines.
CREATE TABLE products (
  id INT, category STRING, price DECIMAL(10, 2)
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/products.json', 'format' = 'maxwell-json');

CREATE TABLE orders (oid INT, pid INT, cust STRING, qty INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

SELECT p.category,
       COUNT(DISTINCT o.cust) AS custs,
       SUM(o.qty * p.price) AS revenue,
       COUNT(*) AS lines_
FROM orders AS o JOIN products AS p ON o.pid = p.id
GROUP BY p.category;
