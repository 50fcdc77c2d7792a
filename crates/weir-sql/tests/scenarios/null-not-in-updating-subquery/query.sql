-- NOT IN / IN over an updating subquery that holds a NULL for a while (a NULL customer is
-- blocked, then unblocked), next to IN / NOT IN lists with a NULL and a CASE showing UNKNOWN.
CREATE TABLE orders (oid INT, cust INT, amount INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');
CREATE TABLE blocks (cust INT, delta INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/blocks.jsonl', 'format' = 'json');

CREATE VIEW blocked_now AS
SELECT cust FROM (SELECT cust, SUM(delta) AS s FROM blocks GROUP BY cust) WHERE s > 0;

SELECT 'not_in_blocked' AS q, oid, CAST(NULL AS STRING) AS tv FROM orders
WHERE cust NOT IN (SELECT cust FROM blocked_now)
UNION ALL
SELECT 'in_blocked', oid, CAST(NULL AS STRING) FROM orders
WHERE cust IN (SELECT cust FROM blocked_now)
UNION ALL
SELECT 'in_null_list', oid, CAST(NULL AS STRING) FROM orders WHERE amount IN (10, NULL)
UNION ALL
SELECT 'not_in_null_list', oid, CAST(NULL AS STRING) FROM orders WHERE amount NOT IN (10, NULL)
UNION ALL
SELECT 'not_in_list', oid, CAST(NULL AS STRING) FROM orders WHERE cust NOT IN (1, 2)
UNION ALL
SELECT 'case', oid,
  CASE WHEN amount IN (10, NULL) THEN 'yes'
       WHEN NOT (amount IN (10, NULL)) THEN 'no'
       ELSE 'unknown' END
FROM orders;
