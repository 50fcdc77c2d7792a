-- A LEFT join with a residual condition (amount within the user's limit) — orders failing it
-- or without a user are padded, NULL keys never match — and an inner join on expressions
-- (UPPER of both names).
CREATE TABLE users (uid INT, name STRING, tier STRING, limit_ INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/users.jsonl', 'format' = 'json');
CREATE TABLE orders (oid INT, uid INT, buyer STRING, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

SELECT 'left' AS j, o.oid, u.name, u.tier
FROM orders o LEFT JOIN users u ON o.uid = u.uid AND o.amount <= u.limit_
UNION ALL
SELECT 'upper', o.oid, u.name, u.tier
FROM orders o JOIN users u ON UPPER(o.buyer) = UPPER(u.name);
