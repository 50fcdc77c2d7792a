-- "Latest row per key" with ROW_NUMBER ORDER BY a plain TIMESTAMP column (no watermark, so not
-- a time attribute): Flink plans a Top-1, not a deduplication — an older update arriving late
-- does not replace a newer one, equal times keep the first arrival; LEFT JOIN of the latest
-- price to a product table afterwards, with COALESCE for products that have none.
CREATE TABLE prices (sku STRING, price DECIMAL(8, 2), updated TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/prices.jsonl', 'format' = 'json');
CREATE TABLE products (sku STRING, name STRING)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/products.jsonl', 'format' = 'json');

CREATE VIEW latest AS
SELECT sku, price, updated FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY sku ORDER BY updated DESC) AS rn FROM prices)
WHERE rn = 1;

SELECT p.sku, p.name, COALESCE(l.price, 0) AS price, l.updated
FROM products AS p LEFT JOIN latest AS l ON p.sku = l.sku;
