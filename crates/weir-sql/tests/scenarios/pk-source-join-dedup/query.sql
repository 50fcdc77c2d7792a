-- PRIMARY KEY NOT ENFORCED on filesystem tables (a composite key on one side) joined and
-- aggregated; the key is declared but the data is plain insert-only rows.
CREATE TABLE prices (
  sku STRING,
  store INT,
  price DECIMAL(6, 2),
  PRIMARY KEY (sku, store) NOT ENFORCED
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/prices.csv', 'format' = 'csv');

CREATE TABLE sales (
  sale_id BIGINT NOT NULL,
  sku STRING,
  store INT,
  qty INT,
  CONSTRAINT pk_sales PRIMARY KEY (sale_id) NOT ENFORCED
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/sales.jsonl', 'format' = 'json');

SELECT s.store, COUNT(DISTINCT s.sku) AS skus, SUM(s.qty * p.price) AS revenue, COUNT(*) AS n
FROM sales AS s LEFT JOIN prices AS p ON s.sku = p.sku AND s.store = p.store
GROUP BY s.store;
