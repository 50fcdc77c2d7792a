-- A Debezium changelog of a product table (snapshot reads, creates, updates that move a row
-- between groups, a delete), aggregated per category: the aggregate retracts and re-emits.
CREATE TABLE products (
  id INT,
  category STRING,
  price DECIMAL(10, 2),
  updated TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/products.json',
  'format' = 'debezium-json',
  'debezium-json.timestamp-format.standard' = 'ISO-8601'
);

SELECT category, COUNT(*) AS products, SUM(price) AS total, MAX(updated) AS last_update
FROM products
GROUP BY category;
