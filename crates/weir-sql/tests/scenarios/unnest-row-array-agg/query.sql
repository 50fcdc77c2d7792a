-- UNNEST of an ARRAY<ROW> (its field names), CROSS JOIN UNNEST WITH ORDINALITY of an ARRAY<INT>
-- with a NULL element, LEFT JOIN UNNEST for an empty or NULL array; then totals per item.
CREATE TABLE carts (
  cid INT, who STRING,
  lines ARRAY<ROW<item STRING, qty INT>>,
  marks ARRAY<INT>
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/carts.jsonl', 'format' = 'json');

SELECT 'lines' AS q, item AS k, SUM(qty) AS total, COUNT(*) AS n FROM carts
CROSS JOIN UNNEST(lines) AS l(item, qty)
GROUP BY item
UNION ALL
SELECT 'marks', CONCAT(who, '#', CAST(pos AS STRING)), SUM(mark), COUNT(*) FROM carts
CROSS JOIN UNNEST(marks) WITH ORDINALITY AS m(mark, pos)
GROUP BY CONCAT(who, '#', CAST(pos AS STRING))
UNION ALL
SELECT 'left', CAST(cid AS STRING), SUM(mark), COUNT(mark) FROM carts
LEFT JOIN UNNEST(marks) AS m(mark) ON TRUE
GROUP BY cid;
