-- Correlated scalar subquery in WHERE: orders above their customer's average (the average
-- moves as orders arrive, so rows come and go); a NULL customer has no average.
CREATE TABLE orders (oid INT, cust STRING, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

SELECT o.oid, o.cust, o.amount
FROM orders o
WHERE o.amount > (SELECT AVG(p.amount) FROM orders p WHERE p.cust = o.cust);
