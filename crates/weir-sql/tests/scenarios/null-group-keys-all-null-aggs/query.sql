-- NULL grouping keys form their own group; COUNT(col) vs COUNT(*); MIN/MAX/SUM/AVG of a group
-- whose values are all NULL; COUNT(DISTINCT) ignores NULL; HAVING on COUNT(col) = 0.
CREATE TABLE m (id INT, dev STRING, zone INT, v INT, d DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '${DATA}/m.jsonl', 'format' = 'json');

SELECT dev, zone, COUNT(*) AS n, COUNT(v) AS nv, COUNT(DISTINCT v) AS dv,
       SUM(v) AS sv, MIN(v) AS mn, MAX(v) AS mx, AVG(v) AS av, SUM(d) AS sd, AVG(d) AS ad,
       COUNT(v) = 0 AS all_null
FROM m
GROUP BY dev, zone;
