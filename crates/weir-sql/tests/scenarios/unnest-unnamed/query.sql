-- UNNEST without column names: Flink names a map's columns KEY and VALUE, an array of ROWs'
-- columns after the ROW's fields, an array of scalars' column EXPR$0, and the position
-- ORDINALITY. A NULL ROW element gives no row (a NULL scalar element does); two UNNESTs in
-- one FROM, an UNNEST over a common table expression and an UNNEST with nothing on its left.
CREATE TABLE orders (oid INT, tags ARRAY<STRING>, qty MAP<STRING, INT>)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.jsonl', 'format' = 'json');
CREATE TABLE lines (oid INT, lines ARRAY<ROW<item STRING, n INT>>, nums ARRAY<INT>)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/lines.jsonl', 'format' = 'json');

WITH w AS (SELECT oid, qty FROM orders WHERE oid > 1)
SELECT 'map' AS kind, oid, KEY AS k, `VALUE` AS v FROM orders CROSS JOIN UNNEST(qty)
UNION ALL
SELECT 'mapt', oid, t.KEY, t.`VALUE` FROM orders CROSS JOIN UNNEST(qty) AS t
UNION ALL
SELECT 'rows', oid, item, n FROM lines CROSS JOIN UNNEST(lines)
UNION ALL
SELECT 'left', oid, item, n FROM lines LEFT JOIN UNNEST(lines) ON TRUE
UNION ALL
SELECT 'nums' AS kind, oid, CAST(NULL AS STRING) AS k, EXPR$0 FROM lines, UNNEST(nums)
UNION ALL
SELECT 'ord' AS kind, oid, EXPR$0, ORDINALITY FROM orders CROSS JOIN UNNEST(tags) WITH ORDINALITY
UNION ALL
SELECT 'two' AS kind, oid, EXPR$0, `VALUE` FROM orders CROSS JOIN UNNEST(tags) CROSS JOIN UNNEST(qty)
UNION ALL
SELECT 'cte', oid, KEY, `VALUE` FROM w CROSS JOIN UNNEST(qty)
UNION ALL
SELECT 'lit' AS kind, 0 AS oid, CAST(NULL AS STRING) AS k, EXPR$0 FROM UNNEST(ARRAY[1, 2, 3]);
