-- CROSS JOIN UNNEST of an ARRAY (with ORDINALITY) and of a MAP: empty and NULL collections
-- give no row; a NULL element is a row; LEFT JOIN UNNEST keeps the order with no element.
CREATE TABLE orders (oid INT, tags ARRAY<STRING>, qty MAP<STRING, INT>)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');

SELECT 'tag' AS kind, oid, tag AS k, CAST(pos AS INT) AS v
FROM orders CROSS JOIN UNNEST(tags) WITH ORDINALITY AS t(tag, pos)
UNION ALL
SELECT 'qty', oid, item, n
FROM orders CROSS JOIN UNNEST(qty) AS m(item, n)
UNION ALL
SELECT 'left', oid, tag, CAST(NULL AS INT)
FROM orders LEFT JOIN UNNEST(tags) AS t(tag) ON TRUE;
