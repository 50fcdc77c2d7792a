-- A permanent view with a column list, a TEMPORARY VIEW over it, and a view with a computed
-- source column; the final query joins two views and aggregates.
CREATE TABLE orders (
  oid INT,
  cust STRING,
  qty INT,
  price DECIMAL(7, 2),
  line_total AS qty * price
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

CREATE TABLE customers (
  cust STRING,
  region STRING,
  PRIMARY KEY (cust) NOT ENFORCED
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/customers.csv', 'format' = 'csv');

CREATE VIEW big_orders (order_id, customer, amount) AS
SELECT oid, UPPER(cust), line_total FROM orders WHERE qty > 0;

CREATE TEMPORARY VIEW per_customer AS
SELECT customer, COUNT(*) AS n, SUM(amount) AS total
FROM big_orders
GROUP BY customer;

CREATE TEMPORARY VIEW regions AS SELECT UPPER(cust) AS customer, COALESCE(region, '?') AS region FROM customers;

SELECT r.region, COUNT(*) AS customers, SUM(p.n) AS orders, SUM(p.total) AS total
FROM per_customer AS p JOIN regions AS r ON p.customer = r.customer
GROUP BY r.region;
