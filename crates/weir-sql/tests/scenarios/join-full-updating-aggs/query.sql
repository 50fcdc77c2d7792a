CREATE TABLE orders (oid INT, cust STRING, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');
CREATE TABLE payments (pid INT, cust STRING, paid INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/payments.jsonl', 'format' = 'json');

WITH o AS (SELECT cust, SUM(amount) AS ordered, COUNT(*) AS n FROM orders GROUP BY cust),
     p AS (SELECT cust, SUM(paid) AS paid FROM payments GROUP BY cust)
SELECT COALESCE(o.cust, p.cust) AS cust, o.ordered, o.n, p.paid,
       COALESCE(o.ordered, 0) - COALESCE(p.paid, 0) AS balance
FROM o FULL OUTER JOIN p ON o.cust = p.cust;
