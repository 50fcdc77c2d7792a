-- Exactly the second-most expensive product per category (rn = 2), and the top two that also
-- cost more than 10 (a filter on a non-rank column next to the rank filter).
CREATE TABLE products (id INT, cat STRING, name STRING, price INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/products.jsonl', 'format' = 'json');

CREATE VIEW ranked AS
SELECT cat, name, price,
       ROW_NUMBER() OVER (PARTITION BY cat ORDER BY price DESC, id ASC) AS rn
FROM products;

SELECT 'second' AS q, cat, name, price, rn FROM ranked WHERE rn = 2
UNION ALL
SELECT 'top2_over10', cat, name, price, rn FROM ranked WHERE rn < 3 AND price > 10;
