-- A chain of temporary views (filter -> enrich by an inner join with a VALUES dimension -> project with CASE), INSERT with a reordered column list, literals of several types and a NULL cast
CREATE TABLE sales (sku STRING, qty INT, price DECIMAL(8, 2))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/sales.jsonl', 'format' = 'json');
CREATE TABLE `out` (sku STRING, cat STRING, revenue DECIMAL(18, 2), band STRING, tax_rate DOUBLE, src STRING, flag BOOLEAN, d DATE)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'json');

CREATE TEMPORARY VIEW dims (sku, cat, tax_rate) AS
SELECT * FROM (VALUES ('a1', 'food', 0.07), ('b2', 'tools', 0.19), ('c3', CAST(NULL AS STRING), 0.0), ('d4', 'ünïcode', 0.5)) AS t(sku, cat, rate);
CREATE TEMPORARY VIEW v_valid AS SELECT sku, qty, price FROM sales WHERE qty > 0;
CREATE TEMPORARY VIEW v_enriched AS
SELECT v.sku, d.cat, v.qty * v.price AS revenue, d.tax_rate FROM v_valid v JOIN dims d ON v.sku = d.sku;
CREATE TEMPORARY VIEW v_banded AS
SELECT sku, COALESCE(cat, '?') AS cat, revenue, tax_rate,
  CASE WHEN revenue IS NULL THEN 'none' WHEN revenue >= 100 THEN 'high' WHEN revenue >= 10 THEN 'mid' ELSE 'low' END AS band
FROM v_enriched;

INSERT INTO `out` (band, sku, revenue, cat, tax_rate, src, flag, d)
SELECT band, sku, revenue, cat, tax_rate, 'batch-1', revenue > 50, DATE '2024-02-29' FROM v_banded;
