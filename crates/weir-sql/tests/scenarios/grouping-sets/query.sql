-- GROUPING SETS with GROUPING() and GROUPING_ID(): a NULL that is data (region NULL) is told
-- apart from a NULL that means "all" by GROUPING(region).
CREATE TABLE sales (
  region STRING, country STRING, product STRING, units INT, amount DECIMAL(8, 2)
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/sales.jsonl', 'format' = 'json');

SELECT region, country, product,
       GROUPING(region) AS g_region, GROUPING_ID(region, country, product) AS gid,
       COUNT(*) AS n, SUM(units) AS units, SUM(amount) AS amount
FROM sales
GROUP BY GROUPING SETS ((region, country), (product), ());
