-- Latest reading per sensor (deduplicated: an updating input), then per CASE bucket several
-- DISTINCT aggregates at once (COUNT, SUM, AVG DISTINCT) next to plain ones.
CREATE TABLE r (id INT, sensor STRING, v INT, ts TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${DATA}/r.jsonl', 'format' = 'json');

CREATE VIEW latest AS
SELECT sensor, v FROM (
  SELECT sensor, v, ROW_NUMBER() OVER (PARTITION BY sensor ORDER BY ts DESC) AS rn FROM r)
WHERE rn = 1;

SELECT CASE WHEN v IS NULL THEN 'none' WHEN v < 0 THEN 'neg' WHEN v < 10 THEN 'low' ELSE 'high' END AS bucket,
       COUNT(*) AS n, COUNT(DISTINCT v) AS dv, SUM(DISTINCT v) AS sdv, AVG(DISTINCT v) AS adv,
       SUM(v) AS sv, MAX(v) AS mx
FROM latest
GROUP BY CASE WHEN v IS NULL THEN 'none' WHEN v < 0 THEN 'neg' WHEN v < 10 THEN 'low' ELSE 'high' END;
