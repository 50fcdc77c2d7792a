-- Two Debezium tables: orders LEFT JOIN customers (a customer changes country, one is
-- deleted so its order loses its match, an order has no customer), then revenue, customers
-- and orders per country with a HAVING on the revenue; both sides update.
CREATE TABLE customers (cid INT, name STRING, country STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/customers.json', 'format' = 'debezium-json');
CREATE TABLE orders (oid INT, cid INT, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.json', 'format' = 'debezium-json');

SELECT c.country, COUNT(DISTINCT c.cid) AS customers, COUNT(o.oid) AS orders_,
       SUM(o.amount) AS revenue, LISTAGG(DISTINCT c.name) AS names
FROM orders AS o LEFT JOIN customers AS c ON o.cid = c.cid
GROUP BY c.country
HAVING SUM(o.amount) > 0;
