-- Row-valued IN and NOT IN subqueries with NULLs on either side: IN keeps the rows equal to
-- a subquery row on every column; NOT IN drops a row when any subquery row equals it or
-- compares as NULL (a NULL column on either side), and keeps every row when the subquery is
-- empty.
CREATE TABLE orders (oid INT, cust STRING, item STRING, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');
CREATE TABLE promos (cust STRING, item STRING, min_amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/promos.jsonl', 'format' = 'json');

SELECT 'in' AS q, oid FROM orders WHERE (cust, item) IN (SELECT cust, item FROM promos)
UNION ALL
SELECT 'not_in', oid FROM orders WHERE (cust, item) NOT IN (SELECT cust, item FROM promos)
UNION ALL
SELECT 'not_in_nonnull', oid FROM orders
WHERE amount > 0 AND (cust, item) NOT IN (SELECT cust, item FROM promos WHERE cust IS NOT NULL AND item IS NOT NULL)
UNION ALL
SELECT 'not_in_empty', oid FROM orders WHERE (cust, item) NOT IN (SELECT cust, item FROM promos WHERE min_amount < -100);
