CREATE TABLE products (id INT, cat STRING, name STRING, score INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/products.jsonl', 'format' = 'json');
CREATE TABLE cats (cat STRING, label STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/cats.jsonl', 'format' = 'json');

CREATE VIEW best AS
SELECT cat, name, score FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY score DESC) AS rn FROM products)
WHERE rn = 1;

SELECT c.label, b.name, b.score
FROM cats c LEFT JOIN best b ON c.cat = b.cat;
