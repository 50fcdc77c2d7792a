-- IN / NOT IN / EXISTS / NOT EXISTS subqueries. NOT IN over a list holding a NULL is never
-- true (so `not_blocked` is empty), NOT EXISTS is not affected by the NULL.
CREATE TABLE orders (oid INT, cust INT, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');
CREATE TABLE vips (cust INT, tier STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/vips.jsonl', 'format' = 'json');
CREATE TABLE blocked (cust INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/blocked.jsonl', 'format' = 'json');

SELECT 'in_gold' AS q, oid FROM orders WHERE cust IN (SELECT cust FROM vips WHERE tier = 'gold')
UNION ALL
SELECT 'not_in_vip', oid FROM orders WHERE cust NOT IN (SELECT cust FROM vips)
UNION ALL
SELECT 'not_blocked', oid FROM orders WHERE cust NOT IN (SELECT cust FROM blocked)
UNION ALL
SELECT 'exists', oid FROM orders o WHERE EXISTS (SELECT 1 FROM vips v WHERE v.cust = o.cust AND o.amount > 8)
UNION ALL
SELECT 'not_exists_blocked', oid FROM orders o WHERE NOT EXISTS (SELECT 1 FROM blocked b WHERE b.cust = o.cust)
UNION ALL
SELECT 'in_list', oid FROM orders WHERE amount IN (7, 25, 40) AND cust NOT IN (2, 3);
