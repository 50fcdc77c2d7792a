-- Top-2 lines per order by an expression (revenue = price * qty, DESC) then by the length of
-- the product name and the product, over an insert-only stream; ties on revenue; a NULL
-- price makes a NULL revenue (sorted last in DESC); then the sum of the top-2 revenue per
-- order from the Top-N changelog.
CREATE TABLE lines (order_id INT, product STRING, price DECIMAL(6, 2), qty INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/lines.jsonl', 'format' = 'json');

CREATE VIEW top2 AS
SELECT order_id, product, price * qty AS revenue, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY order_id
      ORDER BY price * qty DESC, CHAR_LENGTH(product) ASC, product ASC) AS rn
  FROM lines)
WHERE rn <= 2;

SELECT order_id, SUM(revenue) AS top_revenue, LISTAGG(product || '#' || CAST(rn AS STRING)) AS ranked,
  COUNT(*) AS n
FROM top2 GROUP BY order_id;
