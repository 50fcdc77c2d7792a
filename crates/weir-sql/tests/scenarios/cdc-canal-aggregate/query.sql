-- A Canal binlog of one table among others (filtered by 'canal-json.table.include'), with DDL
-- messages, multi-row inserts and updates whose "old" holds only the changed fields.
CREATE TABLE products (
  id INT,
  category STRING,
  price DECIMAL(10, 2)
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/binlog.json',
  'format' = 'canal-json',
  'canal-json.table.include' = 'products',
  'canal-json.ignore-parse-errors' = 'true'
);

SELECT category, COUNT(*) AS products, SUM(price) AS total
FROM products
GROUP BY category;
