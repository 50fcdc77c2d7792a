-- ROLLUP over data whose keys are themselves NULL: GROUPING() tells a subtotal's NULL from a
-- NULL key; GROUPING_ID over three columns; HAVING on GROUPING; labels built with CASE.
CREATE TABLE s (id INT, region STRING, city STRING, shop INT, units INT)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/s.jsonl', 'format' = 'json');

SELECT CASE WHEN GROUPING(region) = 1 THEN 'ALL' ELSE COALESCE(region, '(null)') END AS r,
       CASE WHEN GROUPING(city) = 1 THEN 'ALL' ELSE COALESCE(city, '(null)') END AS c,
       shop, GROUPING_ID(region, city, shop) AS gid, GROUPING(shop) AS gs,
       SUM(units) AS units, COUNT(*) AS n
FROM s
GROUP BY ROLLUP (region, city, shop)
HAVING GROUPING(city) = 1 OR COUNT(*) > 1;
