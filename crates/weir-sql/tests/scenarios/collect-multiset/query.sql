-- COLLECT: the MULTISET of a group's non-NULL values, read back with UNNEST (each element as
-- often as it was collected). Over an updating input a value leaves the multiset when it is
-- retracted: 'blue' moves from the group of tags seen once to the group of tags seen twice.
CREATE TABLE orders (oid INT, tags ARRAY<STRING>, qty MAP<STRING, INT>)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

SELECT 'order' AS kind, oid AS k, c
FROM (SELECT oid, COLLECT(tag) AS m FROM orders CROSS JOIN UNNEST(tags) AS t(tag) GROUP BY oid)
CROSS JOIN UNNEST(m) AS u(c)
UNION ALL
SELECT 'seen', CAST(n AS INT), c
FROM (SELECT n, COLLECT(tag) AS m
      FROM (SELECT tag, COUNT(*) AS n FROM orders CROSS JOIN UNNEST(tags) AS t(tag) GROUP BY tag)
      GROUP BY n)
CROSS JOIN UNNEST(m) AS u(c);
