-- Scalar subqueries: a correlated one in the SELECT list (NULL when there is no row), an
-- uncorrelated aggregate in WHERE; the result updates as the aggregate changes.
CREATE TABLE orders (oid INT, cust INT, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');
CREATE TABLE vips (cust INT, tier STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/vips.jsonl', 'format' = 'json');

SELECT o.oid, o.amount,
       (SELECT COUNT(*) FROM vips v WHERE v.cust = o.cust) AS tiers,
       (SELECT MAX(v.tier) FROM vips v WHERE v.cust = o.cust) AS best
FROM orders o
WHERE o.amount > (SELECT AVG(amount) FROM orders) - 10;
