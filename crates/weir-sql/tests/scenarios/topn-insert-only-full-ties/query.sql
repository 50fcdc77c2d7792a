CREATE TABLE products (id INT, cat STRING, name STRING, price INT, qty INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/products.jsonl', 'format' = 'json');

SELECT cat, name, price, qty, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY price DESC, qty ASC) AS rn
  FROM products)
WHERE rn <= 2;
