-- ROLLUP and CUBE, as one result: GROUPING_ID tells the grouping sets apart.
CREATE TABLE sales (
  region STRING, country STRING, product STRING, units INT, amount DECIMAL(8, 2)
) WITH ('connector' = 'filesystem', 'path' = '${DATA}/sales.jsonl', 'format' = 'json');

SELECT 'rollup' AS kind, region, country, CAST(NULL AS STRING) AS product,
       GROUPING_ID(region, country) AS gid, SUM(units) AS units, MAX(amount) AS top
FROM sales
GROUP BY ROLLUP (region, country)
UNION ALL
SELECT 'cube', region, CAST(NULL AS STRING), product,
       GROUPING_ID(region, product), SUM(units), MAX(amount)
FROM sales
GROUP BY CUBE (region, product);
