-- The latest price per product (keep-last deduplication on event time) feeds a Top-N: the 2
-- cheapest products per category, rank shown (rn). Price changes move products in and out of
-- the top 2; equal prices are ordered by product; an older price update is ignored.
CREATE TABLE price_updates (product STRING, category STRING, price DECIMAL(8, 2), ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/price_updates.jsonl', 'format' = 'json');

CREATE VIEW latest AS
SELECT product, category, price FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY product ORDER BY ts DESC) AS rn FROM price_updates)
WHERE rn = 1;

SELECT category, rn, product, price FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY category ORDER BY price ASC, product ASC) AS rn FROM latest)
WHERE rn <= 2;
