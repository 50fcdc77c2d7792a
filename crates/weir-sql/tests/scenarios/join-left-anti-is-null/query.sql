-- The LEFT JOIN ... WHERE right IS NULL anti-join (rows leave the result as matches arrive),
-- a RIGHT JOIN with COALESCEd keys, and a join of two GROUP BY derived tables.
CREATE TABLE users (uid INT, name STRING, country STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/users.jsonl', 'format' = 'json');
CREATE TABLE orders (oid INT, uid INT, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

SELECT 'no_orders' AS q, u.name AS k, CAST(NULL AS BIGINT) AS a, CAST(NULL AS INT) AS b
FROM users u LEFT JOIN orders o ON u.uid = o.uid WHERE o.oid IS NULL
UNION ALL
SELECT 'right', COALESCE(u.name, '?'), CAST(o.oid AS BIGINT), COALESCE(u.uid, o.uid)
FROM users u RIGHT JOIN orders o ON u.uid = o.uid
UNION ALL
SELECT 'country', c.country, c.users, s.total
FROM (SELECT country, COUNT(*) AS users FROM users GROUP BY country) c
JOIN (SELECT u.country, SUM(o.amount) AS total FROM orders o JOIN users u ON o.uid = u.uid GROUP BY u.country) s
  ON c.country = s.country;
