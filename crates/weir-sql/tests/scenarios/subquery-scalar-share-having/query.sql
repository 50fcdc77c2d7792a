-- Each customer's share of the grand total (a scalar subquery over a global aggregate in the
-- SELECT list, updating as rows arrive), kept only when the customer's sum beats the average
-- order (scalar subquery in HAVING).
CREATE TABLE orders (oid INT, cust STRING, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

SELECT cust, SUM(amount) AS total,
       SUM(amount) * 100 / (SELECT SUM(amount) FROM orders) AS pct,
       (SELECT COUNT(DISTINCT cust) FROM orders) AS custs
FROM orders
GROUP BY cust
HAVING SUM(amount) > (SELECT AVG(amount) FROM orders);
