-- Sales priced at their time from a versioned Debezium price table (temporal LEFT join:
-- exact version boundaries, a deleted then re-created SKU, unknown SKUs), then an unbounded
-- revenue per SKU with the number of unpriced sales and the distinct prices seen.
CREATE TABLE prices (
  sku STRING, price INT, ts TIMESTAMP(3),
  PRIMARY KEY (sku) NOT ENFORCED,
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/prices.json', 'format' = 'debezium-json',
        'debezium-json.timestamp-format.standard' = 'ISO-8601');
CREATE TABLE sales (
  sid INT, sku STRING, qty INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/sales.jsonl', 'format' = 'json');

CREATE VIEW priced AS
SELECT s.sid, s.sku, s.qty, p.price
FROM sales AS s LEFT JOIN prices FOR SYSTEM_TIME AS OF s.ts AS p ON s.sku = p.sku;

SELECT sku, SUM(qty * price) AS revenue, COUNT(*) AS sales,
       COUNT(*) FILTER (WHERE price IS NULL) AS unpriced,
       COUNT(DISTINCT price) AS prices
FROM priced GROUP BY sku;
