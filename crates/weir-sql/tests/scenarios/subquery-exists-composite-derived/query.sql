-- Correlated EXISTS with a non-equi correlation, NOT EXISTS, a two-column IN, and a derived
-- table (GROUP BY) joined back to the rows it was computed from.
CREATE TABLE orders (oid INT, cust STRING, item STRING, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');
CREATE TABLE promos (cust STRING, item STRING, min_amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/promos.jsonl', 'format' = 'json');

SELECT 'exists_ge' AS q, o.oid, CAST(NULL AS INT) AS x FROM orders o
WHERE EXISTS (SELECT 1 FROM promos p WHERE p.cust = o.cust AND o.amount >= p.min_amount)
UNION ALL
SELECT 'not_exists', o.oid, CAST(NULL AS INT) FROM orders o
WHERE NOT EXISTS (SELECT 1 FROM promos p WHERE p.item = o.item)
UNION ALL
SELECT 'pair_in', oid, CAST(NULL AS INT) FROM orders
WHERE (cust, item) IN (SELECT cust, item FROM promos)
UNION ALL
SELECT 'above_cust_max_half', o.oid, m.mx FROM orders o
JOIN (SELECT cust, MAX(amount) AS mx FROM orders GROUP BY cust) m
  ON o.cust = m.cust AND o.amount * 2 > m.mx;
